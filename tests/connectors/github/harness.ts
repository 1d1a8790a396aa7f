import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import connector from '../../../connectors/github/index.js';
import { DatasetSchema, loadDataset, type Dataset } from '../../../connectors/github/sandbox/dataset.js';
import { collectSource, type SourceResult } from '../../../src/engine/collect.js';
import { DEFAULT_PAGING, DEFAULT_TIMEOUTS, silentLogger, type DoctorReport, type Logger } from '../../../src/sdk/index.js';

export const FIXTURE_DIR = path.resolve(import.meta.dirname, '../../../fixtures/github/basic');
export const DEMO_DIR = path.resolve(import.meta.dirname, '../../../fixtures/demo-org/github');
export const FIXTURE_NOW = new Date('2026-11-20T00:00:00Z');

export function loadFixture(): Promise<Dataset> {
  return loadDataset(FIXTURE_DIR);
}

/** One RSA key pair per test file: generating one costs tens of milliseconds. */
export function appKeys(): { privateKey: KeyObject; publicKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey, pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Retries in tests wait milliseconds, not seconds. */
export const FAST_RETRY = { retries: 3, baseDelayMs: 1, maxWaitSeconds: 900, graphqlIntervalMs: 0 };

export interface Run extends SourceResult {
  /** Every raw page the run wrote, as text. */
  rawText: string;
  rawFiles: string[];
  /** Every log line, as JSON text. */
  logText: string;
}

/** Runs the connector the way the product does, with a temporary raw folder and a logger that keeps every line. */
export async function collect(settings: Record<string, unknown>, env: Record<string, string>, now = FIXTURE_NOW): Promise<Run> {
  const rawDir = await mkdtemp(path.join(tmpdir(), 'nhi-github-'));
  const lines: string[] = [];
  try {
    const result = await collectSource(connector, { name: 'gh', connector: 'github', retry: FAST_RETRY, ...settings }, {
      now,
      env,
      baseDir: FIXTURE_DIR,
      rawDir,
      log: capturingLogger(lines, {}),
    });
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

/** Runs the connector's doctor as `nhi-audit doctor` does: the settings parsed with its schema, the source's default limits. */
export function doctor(settings: Record<string, unknown>, env: Record<string, string>, now = FIXTURE_NOW): Promise<DoctorReport> {
  const config = connector.config.parse({ retry: FAST_RETRY, ...settings });
  return connector.doctor!(config as Parameters<NonNullable<typeof connector.doctor>>[0], { source: 'gh', log: silentLogger, env, baseDir: FIXTURE_DIR, now, timeouts: DEFAULT_TIMEOUTS, paging: DEFAULT_PAGING });
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

/** How many repositories of a large organization hold each repository-level kind (one item each). */
export interface RepositoryFeatures {
  actionsSecrets?: number;
  /** Repositories with two environments (staging and production), each holding one secret. */
  environments?: number;
  dependabotSecrets?: number;
  codespacesSecrets?: number;
  webhooks?: number;
  runners?: number;
}

/**
 * An organization of `repositories` repositories, the first `withDeployKeys` of which hold one deploy key; each
 * other kind sits in `features[kind]` repositories spread evenly over the organization.
 */
export function largeOrganization(repositories: number, withDeployKeys: number, features: RepositoryFeatures = {}): Dataset {
  const spread = (count = 0) => new Set(Array.from({ length: count }, (_, slot) => Math.floor((slot * repositories) / count)));
  const holders = Object.fromEntries(Object.entries(features).map(([kind, count]) => [kind, spread(count)])) as Record<keyof RepositoryFeatures, Set<number> | undefined>;
  const holds = (kind: keyof RepositoryFeatures, index: number) => holders[kind]?.has(index) ?? false;
  const secret = (name: string) => ({ name, created_at: '2025-02-01T00:00:00Z', updated_at: '2025-02-01T00:00:00Z' });
  return DatasetSchema.parse({
    org: { login: 'big-org', id: 8001, name: 'Big Org', created_at: '2018-01-01T00:00:00Z' },
    repositories: Array.from({ length: repositories }, (_, index) => ({
      id: 100_000 + index,
      name: `repo-${String(index).padStart(4, '0')}`,
      created_at: '2020-01-01T00:00:00Z',
      properties: { owner: `team-${index % 7}` },
      deploy_keys:
        index < withDeployKeys
          ? [{ id: 500_000 + index, title: `key-${index}`, key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIScaleKey', read_only: true, created_at: '2025-01-01T00:00:00Z' }]
          : [],
      actions_secrets: holds('actionsSecrets', index) ? [secret('DEPLOY_TOKEN')] : [],
      environments: holds('environments', index)
        ? ['staging', 'production'].map((name, slot) => ({
            id: 600_000 + index * 2 + slot,
            name,
            created_at: '2025-01-01T00:00:00Z',
            updated_at: '2025-01-01T00:00:00Z',
            secrets: [secret('CLOUD_KEY')],
          }))
        : [],
      dependabot_secrets: holds('dependabotSecrets', index) ? [secret('REGISTRY_TOKEN')] : [],
      codespaces_secrets: holds('codespacesSecrets', index) ? [secret('DEV_TOKEN')] : [],
      hooks: holds('webhooks', index)
        ? [{ id: 700_000 + index, active: true, events: ['push'], config: { url: `https://ci.example.com/hook/${index}`, content_type: 'json' }, created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z' }]
        : [],
      runners: holds('runners', index) ? [{ id: 800_000 + index, name: `runner-${index}`, os: 'linux', status: 'online', busy: false, labels: ['self-hosted'] }] : [],
    })),
  });
}
