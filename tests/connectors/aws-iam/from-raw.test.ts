import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import connector from '../../../connectors/aws-iam/index.js';
import { loadAwsSandboxDataset, startAwsSandbox } from '../../../connectors/aws-iam/sandbox/index.js';
import type { AwsSandboxDataset } from '../../../connectors/aws-iam/sandbox/dataset.js';
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

describe('aws-iam: re-reading an incomplete collection keeps exactly what was collected', () => {
  it('an account whose authorization details stopped after the first page gives no identity, as the collection did', async () => {
    const users = Array.from({ length: 1500 }, (_, i) => ({
      Path: '/',
      UserName: `batch-${i}`,
      UserId: `AIDA${String(i).padStart(17, '0')}`,
      Arn: `arn:aws:iam::444444444444:user/batch-${i}`,
      CreateDate: '2026-01-01T00:00:00Z',
    }));
    const sandbox = await startAwsSandbox(
      {
        baseCredentials: { accessKeyId: 'AKIASANDBOXPARTIAL1', accountId: '444444444444', arn: 'arn:aws:iam::444444444444:user/collector' },
        accounts: { '444444444444': { authorizationDetails: { UserDetailList: users, GroupDetailList: [], RoleDetailList: [], Policies: [] } } },
      } as AwsSandboxDataset,
      // The first page's marker leads back to itself: the second page repeats it and the listing cannot go on.
      { now, credentialReportPolls: 0, faults: [{ connector: 'aws-iam', operation: 'GetAccountAuthorizationDetails', kind: 'repeat-cursor' }] },
    );
    try {
      const { collected, reread } = await collectThenReread(
        { endpoint: sandbox.url, credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' } },
        { K: sandbox.baseCredentials.accessKeyId, S: sandbox.baseCredentials.secretAccessKey },
      );
      expect(sandbox.calls.filter((c) => c.operation === 'GetAccountAuthorizationDetails').map((c) => c.status)).toEqual([200, 200]);
      expect(collected.completeness.scopes[0]!.errors).toMatchObject([{ operation: 'GetAccountAuthorizationDetails', code: 'repeated-cursor' }]);
      expect(collected.completeness.verdict).toBe('incomplete');
      expect(collected.identities).toEqual([]);
      expect(reread.identities).toEqual([]);
    } finally {
      await sandbox.close();
    }
  });
});
