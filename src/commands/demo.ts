import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateConfig, type LoadedConfig } from '../config.js';
import { loadInputs } from '../engine/pipeline.js';
import { generateSigningKey, parsePrivateKey, publicKeyPem, type SigningKey } from '../evidence/keys.js';
import { parseYaml } from '../parse.js';
import { packageRoot } from '../paths.js';
import { ConfigError, EXIT, ExitError, formatFaultSpec, type DemoSandbox, type FaultSpec, type SandboxModule } from '../sdk/index.js';
import { writers } from '../writers/index.js';
import { commandLogger, registries, resolveAsOf, sourceProgress, type GlobalOptions } from './context.js';
import { exitCodeFor } from './results.js';
import { resolveCycle, sealRun } from './run.js';

/** The demo organization's snapshot date: its data is written as of this day, so its findings never drift. */
export const DEMO_AS_OF = '2026-11-20T00:00:00Z';

function demoDir(): string {
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

/** Starts each connector's sandbox over its demo dataset and points the demo's sources at it. */
async function startSandboxes(
  raw: { sources?: { connector?: string }[] },
  now: Date,
  faults: readonly FaultSpec[],
): Promise<{ sandboxes: DemoSandbox[]; env: Record<string, string> }> {
  const sandboxes: DemoSandbox[] = [];
  const env: Record<string, string> = {};
  const connectorIds = [...new Set((raw.sources ?? []).map((s) => s.connector ?? ''))];
  const stray = faults.find((fault) => !connectorIds.includes(fault.connector));
  if (stray) {
    throw new ExitError(EXIT.usage, `--fault ${formatFaultSpec(stray)}: the demo has no ${stray.connector} source; its connectors are ${connectorIds.join(', ')}`);
  }
  try {
    for (const id of connectorIds) {
      const module = (await import(`../../connectors/${id}/sandbox/index.js`)) as SandboxModule;
      const sandbox = await module.startDemo(path.join(demoDir(), id), { now, faults });
      sandboxes.push(sandbox);
      Object.assign(env, sandbox.env);
      for (const source of raw.sources ?? []) if (source.connector === id) Object.assign(source, sandbox.sourceOverrides);
    }
  } catch (error) {
    await Promise.all(sandboxes.map((s) => s.close()));
    throw error;
  }
  return { sandboxes, env };
}

export default async function demo(options: { out: string; fault?: FaultSpec[] }, globals: GlobalOptions): Promise<number> {
  const configFile = path.join(demoDir(), 'nhi-audit.yaml');
  const parsed = parseYaml(await readFile(configFile, 'utf8'));
  if (parsed.problems.length > 0) throw new ConfigError(configFile, parsed.problems);
  const raw = parsed.value as { sources?: { connector?: string }[] };
  const asOf = resolveAsOf({ ...globals, asOf: globals.asOf ?? DEMO_AS_OF });
  const out = path.resolve(options.out);
  const { sandboxes, env } = await startSandboxes(raw, asOf, options.fault ?? []);
  try {
    const { config, problems } = validateConfig(raw, registries);
    if (!config) throw new ConfigError(configFile, problems);
    const loaded: LoadedConfig = { file: configFile, baseDir: demoDir(), config };
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
    await Promise.all(sandboxes.map((s) => s.close()));
  }
}
