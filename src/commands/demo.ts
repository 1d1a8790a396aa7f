import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateConfig, withPlugins, type LoadedConfig } from '../config.js';
import { loadInputs } from '../engine/pipeline.js';
import { generateSigningKey, parsePrivateKey, publicKeyPem, type SigningKey } from '../evidence/keys.js';
import { parseYaml } from '../parse.js';
import { loadConnectorPackages } from '../plugins/load.js';
import { packageRoot } from '../paths.js';
import { ConfigError, EXIT } from '../sdk/index.js';
import { writers } from '../writers/index.js';
import { commandLogger, registries, resolveAsOf, sourceProgress, type GlobalOptions } from './context.js';
import { exitCodeFor } from './results.js';
import { parseFaults, startSandboxes } from './sandboxes.js';
import { resolveCycle, sealRun } from './run.js';

/** The demo organization's snapshot date: its data is written as of this day, so its findings never drift. */
export const DEMO_AS_OF = '2026-11-20T00:00:00Z';

export function demoDir(): string {
  return path.join(packageRoot(), 'fixtures', 'demo-org');
}

/**
 * The demo's throwaway key, kept beside its packs so that every demo pack verifies with the one public key
 * it writes (two demo runs make a chain). It signs demo evidence only.
 */
async function demoKey(out: string): Promise<SigningKey> {
  const keyFile = path.join(out, '.demo-signing-key.pem');
  try {
    return parsePrivateKey(await readFile(keyFile, 'utf8'));
  } catch {
    const key = generateSigningKey();
    await mkdir(out, { recursive: true });
    await writeFile(keyFile, key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    return key;
  }
}

export default async function demo(options: { out: string; fault?: string[] }, globals: GlobalOptions): Promise<number> {
  const faults = parseFaults(options.fault ?? []);
  const configFile = path.join(demoDir(), 'nhi-audit.yaml');
  const parsed = parseYaml(await readFile(configFile, 'utf8'));
  if (parsed.problems.length > 0) throw new ConfigError(configFile, parsed.problems);
  const raw = parsed.value as { sources?: Array<Record<string, unknown>> };
  const asOf = resolveAsOf({ ...globals, asOf: globals.asOf ?? DEMO_AS_OF });
  const out = path.resolve(options.out);
  const plugins = await loadConnectorPackages(raw, { file: configFile, baseDir: demoDir() }, registries.connectors);
  const withPackages = withPlugins(registries, plugins);
  const { env, close } = await startSandboxes(raw, demoDir(), { now: asOf, faults, connectors: withPackages.connectors });
  try {
    const { config, problems } = validateConfig(raw, withPackages);
    if (!config) throw new ConfigError(configFile, problems);
    const loaded: LoadedConfig = { file: configFile, baseDir: demoDir(), config, plugins };
    const inputs = await loadInputs(loaded, registries);
    const key = await demoKey(out);
    await writeFile(path.join(out, 'nhi-audit.pub'), publicKeyPem(key));
    const sealed = await sealRun(loaded, inputs, key, {
      asOf,
      cycle: resolveCycle(undefined, asOf, loaded),
      output: out,
      log: commandLogger(globals),
      env: { ...process.env, ...env },
      onSource: sourceProgress(),
    });
    const relative = path.relative(process.cwd(), sealed.dir) || '.';
    const publicKey = path.relative(process.cwd(), path.join(out, 'nhi-audit.pub'));
    process.stdout.write(
      writers.table.render(sealed.results, { color: process.stdout.isTTY === true, maxFindings: 12, ...(process.stdout.columns ? { width: process.stdout.columns } : {}) }),
    );
    process.stdout.write(
      `\nDemo organization: ${config.organization ?? 'demo'}, as of ${asOf.toISOString()}, cycle ${sealed.results.cycle}\n` +
        `Evidence pack: ${relative}\n` +
        `Verify it:     npx nhi-audit verify ${relative} --public-key ${publicKey}\n` +
        `Or with coreutils and openssl only:\n` +
        `  (cd ${relative} && sha256sum -c SHA256SUMS --quiet && openssl pkeyutl -verify -pubin -inkey ${path.relative(sealed.dir, path.join(out, 'nhi-audit.pub'))} -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig)\n`,
    );
    // The demo's planted failures are its point; only an incomplete collection is a demo failure.
    return exitCodeFor(sealed.results, 'critical') === EXIT.incomplete ? EXIT.incomplete : EXIT.ok;
  } finally {
    await close();
  }
}
