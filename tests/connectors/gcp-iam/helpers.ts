import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import connector from '../../../connectors/gcp-iam/index.js';
import { loadDataset, type Dataset } from '../../../connectors/gcp-iam/sandbox/dataset.js';
import { startGcpSandbox, type GcpSandbox, type GcpSandboxOptions } from '../../../connectors/gcp-iam/sandbox/index.js';
import { collectSource, type SourceResult } from '../../../src/engine/collect.js';
import type { Logger } from '../../../src/sdk/index.js';

export const TWO_PROJECTS = path.resolve('fixtures/gcp-iam/two-projects/dataset.json');
export const DEMO = path.resolve('fixtures/demo-org/gcp-iam');
export const TOKEN_ENV = 'GCP_TEST_ACCESS_TOKEN';

/** A logger that keeps every line, so tests can search what would have been logged. */
export function capturingLogger(lines: string[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: string[] } {
  const write = (level: string) => (obj: object | string, msg?: string) => {
    lines.push(JSON.stringify({ level, ...bindings, ...(typeof obj === 'string' ? { msg: obj } : { ...obj, msg }) }));
  };
  return {
    lines,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => capturingLogger(lines, { ...bindings, ...more }),
  };
}

export interface Run extends SourceResult {
  /** A pack folder holding only the raw pages, at `<packDir>/raw`. */
  packDir: string;
  rawDir: string;
  /** Every raw page file's text, by path relative to rawDir. */
  rawFiles(): Promise<Map<string, string>>;
  logs: string[];
}

/** Runs the connector the way the product does, against a sandbox, with fast retries. */
export async function collectFrom(
  sandbox: GcpSandbox,
  token: string,
  settings: Record<string, unknown>,
  now = new Date('2026-11-20T00:00:00Z'),
): Promise<Run> {
  const packDir = await mkdtemp(path.join(os.tmpdir(), 'nhi-gcp-'));
  const rawDir = path.join(packDir, 'raw');
  const log = capturingLogger();
  const result = await collectSource(
    connector,
    {
      name: 'gcp',
      connector: 'gcp-iam',
      rootUrl: sandbox.rootUrl,
      accessTokenEnv: TOKEN_ENV,
      retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 4 },
      ...settings,
    },
    { now, log, env: { [TOKEN_ENV]: token }, baseDir: process.cwd(), rawDir },
  );
  return {
    ...result,
    packDir,
    rawDir,
    logs: log.lines,
    async rawFiles() {
      const files = new Map<string, string>();
      for (const entry of await readdir(rawDir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const full = path.join(entry.parentPath, entry.name);
        files.set(path.relative(rawDir, full), await readFile(full, 'utf8'));
      }
      return files;
    },
  };
}

export async function removeRun(run: Run): Promise<void> {
  await rm(run.packDir, { recursive: true, force: true });
}

export async function sandboxOn(
  dataset: Dataset | string,
  options: Partial<Omit<GcpSandboxOptions, 'dataset'>> = {},
): Promise<GcpSandbox & { token: string }> {
  const token = options.token ?? 'test-token';
  const data = typeof dataset === 'string' ? await loadDataset(dataset) : dataset;
  const sandbox = await startGcpSandbox({ now: new Date('2026-11-20T00:00:00Z'), ...options, dataset: data, token });
  return Object.assign(sandbox, { token });
}

export function byId<T extends { id: string }>(items: readonly T[], id: string): T {
  const found = items.find((i) => i.id === id);
  if (!found) throw new Error(`no ${id} among ${items.map((i) => i.id).join(', ')}`);
  return found;
}
