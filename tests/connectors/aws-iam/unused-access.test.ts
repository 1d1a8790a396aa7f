import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AccessAnalyzerClient, GetFindingV2Command, ListAnalyzersCommand, ListFindingsV2Command, paginateGetFindingV2 } from '@aws-sdk/client-accessanalyzer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector from '../../../connectors/aws-iam/index.js';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox, type AwsSandboxDataset } from '../../../connectors/aws-iam/sandbox/index.js';
import { existsAt } from '../../../connectors/aws-iam/sandbox/view.js';
import { collectSource, type SourceResult } from '../../../src/engine/collect.js';
import { collectFromRaw } from '../../../src/engine/from-raw.js';
import { silentLogger } from '../../../src/sdk/index.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const now = new Date('2026-11-20T00:00:00Z');
const EXTERNAL_ID = 'corvid-nhi-audit-7f3c';
const FINANCE = '222222222222';
const ANALYZER_ARN = `arn:aws:access-analyzer:us-east-1:${FINANCE}:analyzer/finance-unused-access`;

async function collect(sandbox: AwsSandbox, fields: Record<string, unknown> = {}): Promise<SourceResult> {
  const rawDir = await mkdtemp(path.join(os.tmpdir(), 'nhi-aws-unused-'));
  return collectSource(
    connector,
    {
      name: 'aws',
      connector: 'aws-iam',
      endpoint: sandbox.url,
      credentials: { accessKeyIdEnv: 'KEY_ID', secretAccessKeyEnv: 'SECRET' },
      organizations: { discover: true },
      assumeRole: { externalIdEnv: 'EXTERNAL_ID' },
      minIntervalMs: 0,
      credentialReport: { pollIntervalMs: 1 },
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
      ...fields,
    },
    { now, log: silentLogger, env: { KEY_ID: sandbox.baseCredentials.accessKeyId, SECRET: sandbox.baseCredentials.secretAccessKey, EXTERNAL_ID }, baseDir: ROOT, rawDir },
  );
}

const scope = (result: SourceResult, id: string) => result.completeness.scopes.find((s) => s.scope === id)!;
const usageOf = (result: SourceResult, id: string) => result.identities.find((i) => i.id === `aws-iam:${id}`)?.privilege.usage;

let dataset: AwsSandboxDataset;
let sandbox: AwsSandbox;
beforeAll(async () => {
  dataset = await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam'));
  sandbox = await startAwsSandbox(dataset, { now, credentialReportPolls: 0 });
});
afterAll(() => sandbox.close());

describe('the sandbox speaks Access Analyzer REST-JSON to the real SDK client', () => {
  /** The finance account's own session, as the collector gets it through the audit role. */
  async function financeClient(): Promise<AccessAnalyzerClient> {
    const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    const base = { region: 'us-east-1', endpoint: sandbox.url, credentials: { accessKeyId: sandbox.baseCredentials.accessKeyId, secretAccessKey: sandbox.baseCredentials.secretAccessKey } };
    const { Credentials } = await new STSClient(base).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${FINANCE}:role/NhiAuditReadOnly`, RoleSessionName: 'test', ExternalId: EXTERNAL_ID }),
    );
    return new AccessAnalyzerClient({
      ...base,
      credentials: { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! },
    });
  }

  it('lists the analyzer, filters findings by type and pages a finding’s details', async () => {
    const client = await financeClient();
    const { analyzers } = await client.send(new ListAnalyzersCommand({ type: 'ACCOUNT_UNUSED_ACCESS' }));
    expect(analyzers?.map((a) => [a.arn, a.type, a.configuration?.unusedAccess?.unusedAccessAge])).toEqual([[ANALYZER_ARN, 'ACCOUNT_UNUSED_ACCESS', 90]]);
    expect((await client.send(new ListAnalyzersCommand({ type: 'ORGANIZATION' }))).analyzers).toEqual([]);
    const roles = await client.send(new ListFindingsV2Command({ analyzerArn: ANALYZER_ARN, filter: { findingType: { eq: ['UnusedIAMRole'] } } }));
    expect(roles.findings?.map((f) => f.resource)).toEqual([`arn:aws:iam::${FINANCE}:role/legacy-consolidation-import`]);
    expect(roles.findings?.[0]?.createdAt).toBeInstanceOf(Date);
    const [permission] = (await client.send(new ListFindingsV2Command({ analyzerArn: ANALYZER_ARN, filter: { findingType: { eq: ['UnusedPermission'] } } }))).findings!;
    const details = [];
    for await (const page of paginateGetFindingV2({ client, pageSize: 1 }, { analyzerArn: ANALYZER_ARN, id: permission!.id! })) details.push(...(page.findingDetails ?? []));
    expect(details.map((d) => d.unusedPermissionDetails?.serviceNamespace)).toEqual(['s3', 'dynamodb']);
    expect(details[0]?.unusedPermissionDetails?.lastAccessed).toEqual(new Date('2026-11-18T22:00:00Z'));
  });

  it('answers AWS errors the SDK names: an unknown finding, an unknown analyzer', async () => {
    const client = await financeClient();
    await expect(client.send(new GetFindingV2Command({ analyzerArn: ANALYZER_ARN, id: 'no-such-finding' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(client.send(new ListFindingsV2Command({ analyzerArn: `${ANALYZER_ARN}-gone` }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('aws-iam usage data from IAM Access Analyzer', () => {
  it('gives each principal of an account with an analyzer what it left unused, and says which scopes had data', async () => {
    sandbox.calls.length = 0;
    const result = await collect(sandbox);
    expect(result.completeness.verdict).toBe('complete');
    expect(usageOf(result, `${FINANCE}:role/vendor-closewise-reconciliation`)).toEqual({
      source: 'access-analyzer',
      observedDays: 90,
      items: [
        { kind: 'action', name: 's3:DeleteBucket', lastUsed: 'unknown' },
        { kind: 'action', name: 's3:DeleteObject', lastUsed: 'unknown' },
        { kind: 'action', name: 's3:PutBucketPolicy', lastUsed: 'unknown' },
        { kind: 'action', name: 's3:PutObject', lastUsed: 'unknown' },
        { kind: 'service', name: 'dynamodb', lastUsed: 'unknown' },
      ],
    });
    expect(usageOf(result, `${FINANCE}:role/legacy-consolidation-import`)?.items).toEqual([{ kind: 'role', name: 'legacy-consolidation-import', lastUsed: { at: '2025-06-30T18:00:00.000Z' } }]);
    expect(usageOf(result, `${FINANCE}:user/svc-arbridge-sftp`)?.items).toEqual([{ kind: 'credential', name: 'AKIACORVIDARBRIDG01', lastUsed: 'never' }]);
    // An analyzer that found nothing about a principal is usage data too: nothing unused.
    expect(usageOf(result, `${FINANCE}:role/erp-batch-lambda`)?.items).toEqual([]);
    expect(scope(result, FINANCE).usage).toMatchObject({ source: 'access-analyzer', available: true, note: expect.stringContaining('3 active unused-access findings') });
    // Accounts without an analyzer: no usage on their principals, and the manifest says why.
    expect(usageOf(result, '333333333333:role/redshift-etl')).toBeUndefined();
    expect(scope(result, '333333333333').usage).toEqual({
      source: 'access-analyzer',
      available: false,
      note: expect.stringMatching(/^no active unused-access analyzer .*service last accessed data was not asked for \(serviceLastAccessed\.enabled\)$/),
    });
    const calls = sandbox.calls.filter((c) => c.account === FINANCE && c.service === 'access-analyzer').map((c) => c.operation);
    expect(calls.filter((c) => c === 'GetFindingV2')).toHaveLength(3);
  });

  it('recovers from AccessDenied: no usage data, said in the manifest, the population complete', async () => {
    const finance = dataset.accounts[FINANCE]!;
    const denying = await startAwsSandbox(
      { ...dataset, accounts: { ...dataset.accounts, [FINANCE]: { ...finance, accessAnalyzer: { ...finance.accessAnalyzer!, 'x-deniedOperations': ['ListFindingsV2'] } } } },
      { now, credentialReportPolls: 0 },
    );
    try {
      const result = await collect(denying);
      expect(result.completeness.verdict).toBe('complete');
      expect(scope(result, FINANCE).errors).toEqual([
        expect.objectContaining({ operation: 'ListFindingsV2', code: 'AccessDeniedException', hint: expect.stringContaining('access-analyzer:ListFindingsV2') }),
      ]);
      expect(scope(result, FINANCE).usage).toMatchObject({ available: false, note: expect.stringContaining('AccessDeniedException') });
      expect(usageOf(result, `${FINANCE}:role/vendor-closewise-reconciliation`)).toBeUndefined();
    } finally {
      await denying.close();
    }
  });

  it('is incomplete, naming the operation, when a finding cannot be read', async () => {
    sandbox.faults.set([{ connector: 'aws-iam', operation: 'GetFindingV2', kind: '5xx' }]);
    try {
      const result = await collect(sandbox);
      expect(result.completeness.verdict).toBe('incomplete');
      expect(scope(result, FINANCE).errors).toEqual([expect.objectContaining({ operation: 'GetFindingV2' })]);
      expect(usageOf(result, `${FINANCE}:role/vendor-closewise-reconciliation`)).toBeUndefined();
    } finally {
      sandbox.faults.set([]);
    }
  });

  it('keeps the findings as raw pages the offline re-read turns into the same usage', async () => {
    const pack = await mkdtemp(path.join(os.tmpdir(), 'nhi-aws-unused-pack-'));
    const rawDir = path.join(pack, 'raw');
    const result = await collectSource(
      connector,
      {
        name: 'aws', connector: 'aws-iam', endpoint: sandbox.url, credentials: { accessKeyIdEnv: 'KEY_ID', secretAccessKeyEnv: 'SECRET' },
        accounts: [{ id: FINANCE }], assumeRole: { externalIdEnv: 'EXTERNAL_ID' }, minIntervalMs: 0, credentialReport: { pollIntervalMs: 1 },
      },
      { now, log: silentLogger, env: { KEY_ID: sandbox.baseCredentials.accessKeyId, SECRET: sandbox.baseCredentials.secretAccessKey, EXTERNAL_ID }, baseDir: ROOT, rawDir },
    );
    const lines = async (file: string) => (await readFile(path.join(rawDir, 'aws', FINANCE, file), 'utf8')).trimEnd().split('\n');
    const files = (await readdir(path.join(rawDir, 'aws', FINANCE))).filter((f) => /^(ListAnalyzers|ListFindingsV2|GetFindingV2)\./.test(f));
    expect(files.sort()).toEqual(['GetFindingV2.jsonl', 'ListAnalyzers.jsonl', 'ListFindingsV2.jsonl']);
    expect(await Promise.all(files.sort().map(async (file) => (await lines(file)).length))).toEqual([3, 1, 1]);
    const page = JSON.parse((await lines('ListFindingsV2.jsonl'))[0]!);
    expect(page.parameters.filter.findingType.eq).toContain('UnusedPermission');
    const reread = await collectFromRaw(connector, pack, result.completeness, now);
    expect(reread.identities.map((i) => i.privilege.usage)).toEqual(result.identities.map((i) => i.privilege.usage));
  });
});

describe('aws-iam usage data from service last accessed data, opt-in', () => {
  it('asks for each principal of an account without an analyzer, polls the job, and gives each service its last use', async () => {
    sandbox.calls.length = 0;
    const result = await collect(sandbox, { serviceLastAccessed: { enabled: true, pollIntervalMs: 1 } });
    expect(result.completeness.verdict).toBe('complete');
    expect(usageOf(result, '333333333333:role/warehouse-maintenance')).toEqual({
      source: 'service-last-accessed',
      observedDays: 400,
      items: [
        { kind: 'service', name: 'iam', lastUsed: { notSince: '2025-10-16T00:00:00.000Z' } },
        { kind: 'service', name: 'redshift', lastUsed: { at: '2026-11-19T02:00:00.000Z' } },
      ],
    });
    // The finance account has an analyzer: its findings, not service last accessed data.
    expect(usageOf(result, `${FINANCE}:role/vendor-closewise-reconciliation`)?.source).toBe('access-analyzer');
    const principals = dataset.accounts['333333333333']!.authorizationDetails;
    const count = [...(principals.UserDetailList ?? []), ...(principals.RoleDetailList ?? [])].filter((p) => existsAt(p, now)).length;
    expect(scope(result, '333333333333').usage).toEqual({
      source: 'service-last-accessed',
      available: true,
      note: `no unused-access analyzer; service last accessed data for ${count} of ${count} principals`,
    });
    const calls = sandbox.calls.filter((c) => c.account === '333333333333');
    expect(calls.filter((c) => c.operation === 'GenerateServiceLastAccessedDetails')).toHaveLength(count);
    // Each job is polled once while in progress, then read.
    expect(calls.filter((c) => c.operation === 'GetServiceLastAccessedDetails')).toHaveLength(2 * count);
    expect(sandbox.calls.filter((c) => c.account === FINANCE && c.operation === 'GenerateServiceLastAccessedDetails')).toHaveLength(0);
  });

  it('is incomplete, naming the operation, when a job cannot be read, and the re-read agrees', async () => {
    // Each job is its own request: the fault meets every principal's first poll.
    sandbox.faults.set([{ connector: 'aws-iam', operation: 'GetServiceLastAccessedDetails', kind: '5xx', times: 1 }]);
    try {
      const pack = await mkdtemp(path.join(os.tmpdir(), 'nhi-aws-slad-pack-'));
      const settings = {
        name: 'aws', connector: 'aws-iam', endpoint: sandbox.url, credentials: { accessKeyIdEnv: 'KEY_ID', secretAccessKeyEnv: 'SECRET' },
        accounts: [{ id: '333333333333' }], assumeRole: { externalIdEnv: 'EXTERNAL_ID' }, minIntervalMs: 0, credentialReport: { pollIntervalMs: 1 },
        retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 2 }, serviceLastAccessed: { enabled: true, pollIntervalMs: 1 },
      };
      const env = { KEY_ID: sandbox.baseCredentials.accessKeyId, SECRET: sandbox.baseCredentials.secretAccessKey, EXTERNAL_ID };
      const result = await collectSource(connector, settings, { now, log: silentLogger, env, baseDir: ROOT, rawDir: path.join(pack, 'raw') });
      expect(result.completeness.verdict).toBe('incomplete');
      const { errors, usage } = scope(result, '333333333333');
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e.operation === 'GetServiceLastAccessedDetails')).toBe(true);
      expect(usage).toMatchObject({ source: 'service-last-accessed', available: false, note: expect.stringContaining('for 0 of') });
      expect(result.identities.filter((i) => i.privilege.usage)).toEqual([]);
      const reread = await collectFromRaw(connector, pack, result.completeness, now);
      expect(reread.identities.map((i) => i.privilege.usage)).toEqual(result.identities.map((i) => i.privilege.usage));
    } finally {
      sandbox.faults.set([]);
    }
  });
});
