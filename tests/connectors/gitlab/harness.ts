import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import connector from '../../../connectors/gitlab/index.js';
import { loadDataset, type Dataset } from '../../../connectors/gitlab/sandbox/dataset.js';
import { startSandbox, type GitLabSandbox, type SandboxOptions } from '../../../connectors/gitlab/sandbox/index.js';
import { collectSource, type SourceResult } from '../../../src/engine/collect.js';
import type { Logger } from '../../../src/sdk/index.js';

export const FIXTURE_DIR = path.resolve(import.meta.dirname, '../../../fixtures/gitlab/basic');
export const DEMO_DIR = path.resolve(import.meta.dirname, '../../../fixtures/demo-org/gitlab');
export const FIXTURE_NOW = new Date('2026-11-20T00:00:00Z');
export const TOKEN = 'glpat-test-collector-token-0001';

/** Retries in tests wait milliseconds, not seconds. */
export const FAST_RETRY = { retries: 2, baseDelayMs: 1, maxWaitSeconds: 120 };

export function loadFixture(): Promise<Dataset> {
  return loadDataset(FIXTURE_DIR);
}

export async function sandboxOver(dataset: Dataset, options: Partial<SandboxOptions> = {}): Promise<GitLabSandbox> {
  return startSandbox({ dataset, now: FIXTURE_NOW, token: TOKEN, ...options });
}

export interface Run extends SourceResult {
  /** Every raw page the run wrote, as text. */
  rawText: string;
  rawFiles: string[];
  /** Every log line, as JSON text. */
  logText: string;
}

/** Runs the connector the way the product does, with a temporary raw folder and a logger that keeps every line. */
export async function collect(sandbox: GitLabSandbox, settings: Record<string, unknown>, env: Record<string, string> = { GITLAB_TOKEN: TOKEN }): Promise<Run> {
  const rawDir = await mkdtemp(path.join(tmpdir(), 'nhi-gitlab-'));
  const lines: string[] = [];
  try {
    const result = await collectSource(
      connector,
      { name: 'gl', connector: 'gitlab', host: sandbox.host, tokenEnv: 'GITLAB_TOKEN', retry: FAST_RETRY, ...settings },
      { now: FIXTURE_NOW, env, baseDir: FIXTURE_DIR, rawDir, log: capturingLogger(lines, {}) },
    );
    const rawFiles = (await readdir(rawDir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(rawDir, path.join(entry.parentPath, entry.name)))
      .sort();
    const rawText = (await Promise.all(rawFiles.map((file) => readFile(path.join(rawDir, file), 'utf8')))).join('\n');
    return { ...result, rawText, rawFiles, logText: lines.join('\n') };
  } finally {
    await rm(rawDir, { recursive: true, force: true });
  }
}

function capturingLogger(lines: string[], bindings: Record<string, unknown>): Logger {
  const write = (level: string) => (objOrMsg: object | string, msg?: string) => {
    lines.push(JSON.stringify({ level, ...bindings, ...(typeof objOrMsg === 'string' ? { msg: objOrMsg } : { ...objOrMsg, msg }) }));
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => capturingLogger(lines, { ...bindings, ...more }),
  };
}
