import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import connector from '../../../connectors/aws-iam/index.js';
import { loadAwsSandboxDataset, startAwsSandbox } from '../../../connectors/aws-iam/sandbox.js';
import { collectSource } from '../../../src/engine/collect.js';
import { collectFromRaw } from '../../../src/engine/from-raw.js';
import { silentLogger } from '../../../src/sdk/index.js';
import { CLOUDSPLAINING_EXPORT } from './sandbox-clients.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const now = new Date('2026-11-20T00:00:00Z');

async function collectThenReread(fields: Record<string, unknown>, env: Record<string, string>) {
  const pack = await mkdtemp(path.join(os.tmpdir(), 'nhi-aws-reread-'));
  const collected = await collectSource(connector, { name: 'aws', connector: 'aws-iam', minIntervalMs: 0, credentialReport: { pollIntervalMs: 1 }, ...fields }, {
    now,
    log: silentLogger,
    env,
    baseDir: ROOT,
    rawDir: path.join(pack, 'raw'),
  });
  const reread = await collectFromRaw(connector, pack, collected.completeness, now);
  return { collected, reread };
}

describe('aws-iam: re-reading raw pages', () => {
  it('gives the identities the collection gave, field for field, for every account of the demo organization', async () => {
    const sandbox = await startAwsSandbox(await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam')), { now, credentialReportPolls: 0 });
    try {
      const { collected, reread } = await collectThenReread(
        {
          endpoint: sandbox.url,
          credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' },
          organizations: { discover: true },
          assumeRole: { externalIdEnv: 'X' },
        },
        { K: sandbox.baseCredentials.accessKeyId, S: sandbox.baseCredentials.secretAccessKey, X: 'corvid-nhi-audit-7f3c' },
      );
      expect(collected.identities.length).toBeGreaterThan(20);
      expect(reread.identities).toEqual(collected.identities);
      expect(reread.completeness.verdict).toBe('complete');
    } finally {
      await sandbox.close();
    }
  });

  it('re-reads an offline export the same way it was read', async () => {
    const { collected, reread } = await collectThenReread(
      { exports: [{ authorizationDetails: CLOUDSPLAINING_EXPORT, credentialReport: 'fixtures/aws-iam/credential-report-012345678901.csv' }] },
      {},
    );
    expect(collected.identities.map((i) => i.credentials.length)).toContain(2);
    expect(reread.identities).toEqual(collected.identities);
  });
});
