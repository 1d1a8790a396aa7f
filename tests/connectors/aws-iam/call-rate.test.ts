import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import connector from '../../../connectors/aws-iam/index.js';
import type { AwsSandboxDataset } from '../../../connectors/aws-iam/sandbox/dataset.js';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandboxOptions } from '../../../connectors/aws-iam/sandbox/index.js';
import { collectSource } from '../../../src/engine/collect.js';
import { collectFromRaw } from '../../../src/engine/from-raw.js';
import { silentLogger } from '../../../src/sdk/index.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const now = new Date('2026-11-20T00:00:00Z');
const ACCOUNT = '210987654321';

/** One account of `users` service users, each holding one active key. */
function keyHolders(users: number): AwsSandboxDataset {
  const names = Array.from({ length: users }, (_, i) => `svc-${i}`);
  return {
    baseCredentials: { accessKeyId: 'AKIABASE0000000000001', accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/collector` },
    accounts: {
      [ACCOUNT]: {
        authorizationDetails: {
          UserDetailList: names.map((name, i) => ({
            Path: '/',
            UserName: name,
            UserId: `AIDA${String(i).padStart(17, '0')}`,
            Arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
            CreateDate: '2025-01-01T00:00:00Z',
          })),
          GroupDetailList: [],
          RoleDetailList: [],
          Policies: [],
        },
        credentials: Object.fromEntries(
          names.map((name, i) => [
            name,
            { passwordEnabled: false, mfaActive: false, accessKeys: [{ AccessKeyId: `AKIA${String(i).padStart(16, '0')}`, Status: 'Active', CreateDate: '2026-06-01T00:00:00Z' }] },
          ]),
        ),
      },
    },
  } as unknown as AwsSandboxDataset;
}

async function collectAgainst(dataset: AwsSandboxDataset, options: AwsSandboxOptions, fields: Record<string, unknown>) {
  const sandbox = await startAwsSandbox(dataset, { now, credentialReportPolls: 0, ...options });
  const pack = await mkdtemp(path.join(os.tmpdir(), 'nhi-aws-rate-'));
  try {
    const collected = await collectSource(
      connector,
      {
        name: 'aws',
        connector: 'aws-iam',
        endpoint: sandbox.url,
        credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' },
        credentialReport: { pollIntervalMs: 1 },
        ...fields,
      },
      { now, log: silentLogger, env: { K: sandbox.baseCredentials.accessKeyId, S: sandbox.baseCredentials.secretAccessKey, X: 'corvid-nhi-audit-7f3c' }, baseDir: ROOT, rawDir: path.join(pack, 'raw') },
    );
    const reread = await collectFromRaw(connector, pack, collected.completeness, now);
    return { collected, reread, calls: [...sandbox.calls] };
  } finally {
    await sandbox.close();
  }
}

describe('aws-iam: accessKeyIds false', () => {
  it('names keys by their credential report slot, calls no ListAccessKeys, and a re-read of the pack gives the same', async () => {
    const dataset = await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam'));
    const fields = { organizations: { discover: true }, assumeRole: { externalIdEnv: 'X' } };
    const listed = await collectAgainst(dataset, {}, fields);
    const minimal = await collectAgainst(dataset, {}, { ...fields, accessKeyIds: false });

    expect(minimal.collected.completeness.verdict).toBe('complete');
    expect(minimal.calls.filter((c) => c.operation === 'ListAccessKeys')).toEqual([]);
    expect(listed.calls.filter((c) => c.operation === 'ListAccessKeys').length).toBeGreaterThan(0);
    expect(minimal.reread.identities).toEqual(minimal.collected.identities);

    const keysOf = (identities: typeof listed.collected.identities) =>
      identities.flatMap((i) => i.credentials.filter((c) => c.type === 'access-key').map((c) => ({ owner: i.id, status: c.status, createdAt: c.createdAt, id: c.id })));
    const withIds = keysOf(listed.collected.identities);
    const bySlot = keysOf(minimal.collected.identities);
    // The same keys, in the same state, of the same users; only their names differ.
    expect(bySlot.map(({ id: _id, ...k }) => k)).toEqual(withIds.map(({ id: _id, ...k }) => k));
    expect(bySlot.length).toBeGreaterThan(0);
    for (const key of bySlot) expect(key.id).toMatch(/access-key-[12]$/);
  });
});

describe('aws-iam: an account that throttles', () => {
  it('is read whole at the rate it allows: the sending rate drops after throttling instead of retrying every call', async () => {
    const users = 120;
    const { collected, calls } = await collectAgainst(keyHolders(users), { rateLimit: { requestsPerSecond: 25, burst: 2 } }, { accounts: [{ id: ACCOUNT }] });

    expect(collected.completeness.verdict).toBe('complete');
    const keys = collected.identities.flatMap((i) => i.credentials.filter((c) => c.type === 'access-key'));
    expect(keys).toHaveLength(users);
    const listings = calls.filter((c) => c.operation === 'ListAccessKeys');
    const throttled = listings.filter((c) => c.status === 400).length;
    expect(throttled).toBeGreaterThan(0);
    // Without an adaptive rate, four calls in flight against six tokens a burst throttle most first attempts.
    expect(throttled).toBeLessThan(users / 4);
  }, 120_000);
});
