import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import connector from '../../../connectors/entra-id/index.js';
import { loadDataset } from '../../../connectors/entra-id/sandbox/dataset.js';
import { startEntraSandbox, type EntraSandbox } from '../../../connectors/entra-id/sandbox/index.js';
import { collectSource, type SourceResult } from '../../../src/engine/collect.js';
import { silentLogger, type FaultSpec } from '../../../src/sdk/index.js';

export const DEMO = path.resolve('fixtures/demo-org/entra-id/dataset.json');
export const UNLICENSED = path.resolve('fixtures/entra-id/unlicensed-tenant/dataset.json');
export const NOW = new Date('2026-11-20T00:00:00Z');
/** The collector's client id in both datasets is the first application principal the tenant owns. */
export const COLLECTOR = { [DEMO]: 'c0e1d000-0000-4001-8000-000000000001', [UNLICENSED]: 'dd000000-0000-4000-8000-000000000001' };
export const SECRET = 'Q~canary-client-secret-7f3c9d1e';

export interface Run extends SourceResult {
  sandbox: EntraSandbox;
  packDir: string;
  /** Every raw page file's text, by path relative to the pack's raw/ folder. */
  rawFiles(): Promise<Map<string, string>>;
  remove(): Promise<void>;
}

/** Runs the connector as the product does, against a fresh sandbox over `datasetFile`, with fast retries. */
export async function collectFrom(
  datasetFile: string,
  settings: Record<string, unknown> = {},
  options: { faults?: FaultSpec[]; secret?: string; now?: Date } = {},
): Promise<Run> {
  const dataset = await loadDataset(datasetFile);
  const sandbox = await startEntraSandbox({ dataset, now: options.now ?? NOW, clientSecret: SECRET, faults: options.faults ?? [], retryAfterSeconds: 0 });
  const packDir = await mkdtemp(path.join(os.tmpdir(), 'nhi-entra-'));
  const rawDir = path.join(packDir, 'raw');
  await writeFile(path.join(packDir, 'ca.pem'), sandbox.ca);
  try {
    const result = await collectSource(
      connector,
      {
        name: 'entra',
        connector: 'entra-id',
        tenantId: dataset.tenantId,
        credential: { type: 'client-secret', clientId: COLLECTOR[datasetFile as keyof typeof COLLECTOR], clientSecretEnv: 'ENTRA_SECRET' },
        authorityHost: sandbox.origin,
        graphBaseUrl: sandbox.origin,
        caFile: 'ca.pem',
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 },
        timeouts: { requestMs: 5000 },
        ...settings,
      },
      { now: options.now ?? NOW, log: silentLogger, env: { ENTRA_SECRET: options.secret ?? SECRET }, baseDir: packDir, rawDir },
    );
    return {
      ...result,
      sandbox,
      packDir,
      async rawFiles() {
        const files = new Map<string, string>();
        const walk = async (dir: string): Promise<void> => {
          for (const entry of await readdir(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) await walk(full);
            else files.set(path.relative(rawDir, full), await readFile(full, 'utf8'));
          }
        };
        await walk(rawDir).catch(() => undefined);
        return files;
      },
      remove: () => rm(packDir, { recursive: true, force: true }),
    };
  } finally {
    await sandbox.close();
  }
}

export const byName = (result: SourceResult, name: string) => {
  const found = result.identities.find((i) => i.name === name);
  if (!found) throw new Error(`no identity named ${name}: ${result.identities.map((i) => i.name).join(', ')}`);
  return found;
};
