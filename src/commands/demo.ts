import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateConfig, withPlugins, type LoadedConfig } from '../config.js';
import { loadInputs } from '../engine/pipeline.js';
import { generateSigningKey, parsePrivateKey, publicKeyPem, type SigningKey } from '../evidence/keys.js';
import { parseYaml } from '../parse.js';
import { listPacks } from '../evidence/read-pack.js';
import { loadConnectorPackages } from '../plugins/load.js';
import { packageRoot } from '../paths.js';
import { ConfigError, EXIT, ExitError } from '../sdk/index.js';
import { writers } from '../writers/index.js';
import { commandLogger, loadRegistries, resolveAsOf, sourceProgress, type GlobalOptions } from './context.js';
import { exitCodeFor } from './results.js';
import { parseFaults, startSandboxes } from './sandboxes.js';
import { closeDemoCampaign } from './demo-campaign.js';
import { resolveCycle, sealRun, type SealedRun } from './run.js';

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

/** The previous quarter's snapshot date: a fresh demo seals it first, with its campaign, so the current pack has history. */
export const DEMO_PREVIOUS_AS_OF = '2026-09-30T00:00:00Z';

interface DemoRun {
  out: string;
  key: SigningKey;
  faults: ReturnType<typeof parseFaults>;
  globals: GlobalOptions;
  backfill: boolean;
}

/** Serves the demo organization as of `asOf` from the local sandboxes and seals one pack of it. */
async function sealDemoPack(asOf: Date, run: DemoRun): Promise<{ sealed: SealedRun; loaded: LoadedConfig }> {
  const registries = await loadRegistries();
  const configFile = path.join(demoDir(), 'nhi-audit.yaml');
  const configText = await readFile(configFile, 'utf8');
  const parsed = parseYaml(configText);
  if (parsed.problems.length > 0) throw new ConfigError(configFile, parsed.problems);
  const raw = parsed.value as { sources?: Array<Record<string, unknown>> };
  const plugins = await loadConnectorPackages(raw, { file: configFile, baseDir: demoDir() }, registries.connectors);
  const withPackages = withPlugins(registries, plugins);
  const { env, close } = await startSandboxes(raw, demoDir(), { now: asOf, faults: run.faults, connectors: withPackages.connectors });
  try {
    const { config, problems } = validateConfig(raw, withPackages);
    if (!config) throw new ConfigError(configFile, problems);
    const loaded: LoadedConfig = { file: configFile, text: configText, baseDir: demoDir(), config, plugins };
    const inputs = await loadInputs(loaded, registries);
    const sealed = await sealRun(loaded, inputs, run.key, {
      asOf,
      cycle: resolveCycle(undefined, asOf, loaded),
      output: run.out,
      log: commandLogger(run.globals),
      env: { ...process.env, ...env },
      onSource: sourceProgress(),
      backfill: run.backfill,
    });
    return { sealed, loaded };
  } finally {
    await close();
  }
}

/**
 * The quarter before, on a fresh output folder: its pack, then the SOX recertification campaign its owners closed
 * on it (bundled answers, three revokes). The current pack then shows what became of each revoke.
 */
async function sealPreviousQuarter(run: DemoRun): Promise<void> {
  const { sealed, loaded } = await sealDemoPack(new Date(DEMO_PREVIOUS_AS_OF), run);
  if (exitCodeFor(sealed.results, 'critical') === EXIT.incomplete) throw new ExitError(EXIT.incomplete, `the demo's previous quarter (${sealed.results.cycle}) was collected incompletely`);
  const { campaign, dir } = await closeDemoCampaign(sealed.dir, demoDir(), run.key, loaded.config.recertification.graceDays);
  const count = (d: string) => campaign.decisions.filter((x) => x.decision === d).length;
  process.stdout.write(
    `Previous quarter: ${sealed.results.cycle} pack ${path.relative(process.cwd(), sealed.dir) || '.'}\n` +
      `  its owners closed campaign ${campaign.id} on ${campaign.closedAt}: keep ${count('keep')}, revoke ${count('revoke')}, modify ${count('modify')}\n` +
      `  (${path.relative(process.cwd(), dir)}); this quarter's pack shows what became of each revoke\n\n`,
  );
}

export default async function demo(options: { out: string; fault?: string[]; backfill?: boolean }, globals: GlobalOptions): Promise<number> {
  const faults = parseFaults(options.fault ?? []);
  const asOf = resolveAsOf({ ...globals, asOf: globals.asOf ?? DEMO_AS_OF });
  const out = path.resolve(options.out);
  const key = await demoKey(out);
  await writeFile(path.join(out, 'nhi-audit.pub'), publicKeyPem(key));
  const run: DemoRun = { out, key, faults, globals, backfill: options.backfill === true };
  // A date or a fault asks for one pack; a fresh folder gets the quarter before it too, so the demo has a history.
  if (globals.asOf === undefined && faults.length === 0 && (await listPacks(out)).packs.length === 0) await sealPreviousQuarter(run);
  const { sealed, loaded } = await sealDemoPack(asOf, run);
  const relative = path.relative(process.cwd(), sealed.dir) || '.';
  const publicKey = path.relative(process.cwd(), path.join(out, 'nhi-audit.pub'));
  process.stdout.write(
    writers.table.render(sealed.results, { color: process.stdout.isTTY === true, maxFindings: 12, ...(process.stdout.columns ? { width: process.stdout.columns } : {}) }),
  );
  process.stdout.write(
    `\nDemo organization: ${loaded.config.organization ?? 'demo'}, as of ${asOf.toISOString()}, cycle ${sealed.results.cycle}\n` +
      `Evidence pack: ${relative}\n` +
      `Verify it:     npx nhi-audit verify ${relative} --public-key ${publicKey}\n` +
      `Or with coreutils and openssl only:\n` +
      `  (cd ${relative} && sha256sum -c SHA256SUMS --quiet && openssl pkeyutl -verify -pubin -inkey ${path.relative(sealed.dir, path.join(out, 'nhi-audit.pub'))} -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig)\n`,
  );
  // The demo's planted failures are its point; only an incomplete collection is a demo failure.
  return exitCodeFor(sealed.results, 'critical') === EXIT.incomplete ? EXIT.incomplete : EXIT.ok;
}
