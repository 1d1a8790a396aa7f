import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { connectors } from '../../connectors/index.js';
import { loadConfig, type LoadedConfig, type LoadedPlugin, type Registries } from '../config.js';
import type { SourceResult } from '../engine/collect.js';
import { controls } from '../controls/index.js';
import { parsePrivateKey, type SigningKey } from '../evidence/keys.js';
import { loadConnectorPackages } from '../plugins/load.js';
import { createLogger, type LogLevel } from '../log.js';
import { parseYaml } from '../parse.js';
import { ConfigError, ExitError, EXIT, type Logger } from '../sdk/index.js';

export interface GlobalOptions {
  config: string;
  logLevel: LogLevel;
  asOf?: string;
}

export const registries: Registries = { connectors, controls };

/** `--as-of`: a date means midnight UTC at its start; an instant is taken as given. Read once per run. */
export function resolveAsOf(globals: GlobalOptions, clock: () => Date = () => new Date()): Date {
  if (!globals.asOf) return clock();
  const text = /^\d{4}-\d{2}-\d{2}$/.test(globals.asOf) ? `${globals.asOf}T00:00:00Z` : globals.asOf;
  const date = new Date(text);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(globals.asOf)) {
    throw new ExitError(EXIT.usage, `--as-of: "${globals.asOf}" is not an ISO 8601 date or instant (2026-12-31 or 2026-12-31T18:00:00Z)`);
  }
  return date;
}

export function commandLogger(globals: GlobalOptions): Logger {
  return createLogger({ level: globals.logLevel, pretty: process.stderr.isTTY === true });
}

export function loadConfigFor(globals: GlobalOptions): Promise<LoadedConfig> {
  return loadConfig(globals.config, registries, loadConnectorPackages);
}

/**
 * The connector packages the config names, loaded and checked, without validating the rest of it; none when there
 * is no config file (commands that only list or re-read work without one).
 */
export async function connectorPackagesFor(globals: GlobalOptions): Promise<LoadedPlugin[]> {
  const text = await readFile(globals.config, 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  const parsed = parseYaml(text);
  if (parsed.problems.length > 0) throw new ConfigError(globals.config, parsed.problems);
  return loadConnectorPackages(parsed.value, { file: globals.config, baseDir: path.dirname(path.resolve(globals.config)) }, registries.connectors);
}

/** The signing key the config names, from a file or an environment variable; never from the config itself. */
export async function signingKeyFor({ config, baseDir, file }: LoadedConfig, env: NodeJS.ProcessEnv): Promise<SigningKey> {
  const signing = config.signing;
  let pem: string | undefined;
  let origin: string;
  if (signing?.privateKeyEnv) {
    origin = `signing.privateKeyEnv (${signing.privateKeyEnv})`;
    pem = env[signing.privateKeyEnv];
    if (!pem) throw new ConfigError(file, [{ path: 'signing.privateKeyEnv', message: `${signing.privateKeyEnv} is not set; export the PEM private key in it` }]);
  } else if (signing?.privateKeyFile) {
    const keyFile = path.resolve(baseDir, signing.privateKeyFile);
    origin = 'signing.privateKeyFile';
    pem = await readFile(keyFile, 'utf8').catch(() => {
      throw new ConfigError(file, [{ path: 'signing.privateKeyFile', message: `cannot read ${keyFile}; create a key with \`nhi-audit keys generate\`` }]);
    });
  } else {
    throw new ConfigError(file, [{ path: 'signing', message: 'a pack must be signed: set signing.privateKeyFile (from `nhi-audit keys generate`) or signing.privateKeyEnv' }]);
  }
  try {
    return parsePrivateKey(pem);
  } catch {
    throw new ConfigError(file, [{ path: origin.split(' ')[0]!, message: 'not an Ed25519 private key in PEM form; create one with `nhi-audit keys generate`' }]);
  }
}

/** One line per source as it finishes, on a terminal only: stdout stays clean for --format output. */
export function sourceProgress(stream: NodeJS.WriteStream = process.stderr): ((result: SourceResult) => void) | undefined {
  if (!stream.isTTY) return undefined;
  return ({ completeness: c }) => {
    const seconds = ((Date.parse(c.finishedAt) - Date.parse(c.startedAt)) / 1000).toFixed(1);
    const verdict = c.verdict === 'incomplete' ? 'INCOMPLETE' : c.verdict;
    stream.write(`  ${c.source.padEnd(12)} ${String(c.identities).padStart(6)} identities  ${verdict.padEnd(12)} ${seconds} s\n`);
  };
}
