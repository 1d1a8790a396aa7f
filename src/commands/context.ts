import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type LoadedConfig, type LoadedPlugin, type Registries } from '../config.js';
import type { SourceResult } from '../engine/collect.js';
import { controls } from '../controls/index.js';
import { keyIdOf, parsePrivateKey, readPublicKey, type SigningKey } from '../evidence/keys.js';
import { displayPath, openPack, type PackData, type PackList } from '../evidence/read-pack.js';
import { loadConnectorPackages } from '../plugins/load.js';
import { createLogger, type LogLevel } from '../log.js';
import { parseYaml } from '../parse.js';
import { z } from 'zod';
import { ConfigError, ExitError, EXIT, type Logger } from '../sdk/index.js';

export interface GlobalOptions {
  config: string;
  /** True when -c/--config was given, rather than the default. */
  configGiven?: boolean;
  logLevel: LogLevel;
  asOf?: string;
}

/**
 * The connectors and controls, the connectors imported only when a command needs them: their SDKs are most of what
 * a command loads, and the commands that re-read a pack need none.
 */
export async function loadRegistries(): Promise<Registries> {
  const { connectors } = await import('../../connectors/index.js');
  return { connectors, controls };
}

/**
 * `--as-of`: a date means midnight UTC at its start; an instant is taken as given. Read once per run. Only real
 * calendar dates and times pass (no 2026-02-30, no 24:00), so a typo never becomes another day.
 */
export function resolveAsOf(globals: GlobalOptions, clock: () => Date = () => new Date()): Date {
  if (!globals.asOf) return clock();
  const isDate = z.iso.date().safeParse(globals.asOf).success;
  if (!isDate && !z.iso.datetime({ offset: true }).safeParse(globals.asOf).success) {
    throw new ExitError(EXIT.usage, `--as-of: "${globals.asOf}" is not a calendar date or instant in ISO 8601 (2026-12-31 or 2026-12-31T18:00:00Z)`);
  }
  return new Date(isDate ? `${globals.asOf}T00:00:00Z` : globals.asOf);
}

export function commandLogger(globals: GlobalOptions): Logger {
  return createLogger({ level: globals.logLevel, pretty: process.stderr.isTTY === true });
}

export async function loadConfigFor(globals: GlobalOptions): Promise<LoadedConfig> {
  return loadConfig(globals.config, await loadRegistries(), loadConnectorPackages);
}

/**
 * The config with `--systems` in place of `evaluate.systems`: the effective configuration sealed in the pack then
 * records the restriction, so re-performing the run restricts it the same way.
 */
export function withSystemsOption(loaded: LoadedConfig, systems: string | undefined): LoadedConfig {
  if (systems === undefined) return loaded;
  const names = systems.split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new ExitError(EXIT.usage, '--systems: name sox (every SOX key system) or systems of the registry, comma-separated');
  const scope = names.length === 1 && names[0]!.toLowerCase() === 'sox' ? 'sox' : names;
  return { ...loaded, config: { ...loaded.config, evaluate: { ...loaded.config.evaluate, systems: scope } } };
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
  return loadConnectorPackages(parsed.value, { file: globals.config, baseDir: path.dirname(path.resolve(globals.config)) }, (await loadRegistries()).connectors);
}

/** The config when there is one (named with -c, or nhi-audit.yaml here): an auditor reads packs without one. */
export async function optionalConfig(globals: GlobalOptions): Promise<LoadedConfig | undefined> {
  if (!globals.configGiven && !existsSync(globals.config)) return undefined;
  return loadConfigFor(globals);
}

/** The public keys packs may be signed with: each --public-key, and those the config pins (`verification.publicKeys`). */
export async function trustedKeys(files: readonly string[], loaded?: LoadedConfig): Promise<KeyObject[]> {
  const keys: KeyObject[] = [];
  for (const file of files) {
    keys.push(
      await readPublicKey(file).catch((error: Error) => {
        throw new ExitError(EXIT.usage, `--public-key: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? `cannot read ${file}` : error.message}`);
      }),
    );
  }
  const pinned = loaded?.config.verification?.publicKeys ?? [];
  for (const [i, file] of pinned.entries()) {
    keys.push(
      await readPublicKey(path.resolve(loaded!.baseDir, file)).catch((error: Error) => {
        throw new ConfigError(loaded!.file, [{ path: `verification.publicKeys[${i}]`, message: `cannot read an Ed25519 public key from ${file} (${error.message})` }]);
      }),
    );
  }
  return keys;
}

/** Opens a pack named on the command line (verified first) and says on stderr when its signature went unchecked. */
export async function openPackArgument<L extends PackList = PackList>(given: string, keys: readonly KeyObject[], lists?: readonly L[]): Promise<PackData<L>> {
  const pack = await openPack<L>(given, keys, lists);
  if (!pack.verification.signatureChecked) {
    process.stderr.write(
      `note: ${displayPath(pack.dir)}: digests and file list verified; its signature (key ${pack.verification.keyId.slice(0, 16)}…) was not checked: give --public-key\n`,
    );
  }
  return pack;
}

export function shortKeyId(key: KeyObject | string): string {
  return (typeof key === 'string' ? key : keyIdOf(key)).slice(0, 16);
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
