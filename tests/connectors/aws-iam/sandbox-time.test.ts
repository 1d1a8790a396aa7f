import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
} from '@aws-sdk/client-iam';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../../connectors/aws-iam/sandbox/index.js';
import { FIXTURE_DIR, sandboxClients } from './sandbox-clients.js';

/** The fixture organization as it stood at the end of January 2025. */
const NOW = new Date('2025-01-31T00:00:00Z');

let sandbox: AwsSandbox;
let clients: ReturnType<typeof sandboxClients>;

beforeAll(async () => {
  const dataset = await loadAwsSandboxDataset(FIXTURE_DIR);
  dataset.accounts['111111111111']!.accountSummaryOverrides = { Users: 99 };
  sandbox = await startAwsSandbox(dataset, { now: NOW, credentialReportPolls: 0 });
  clients = sandboxClients(sandbox);
});
afterAll(() => sandbox.close());

test('items created after now are hidden and items deleted after now are still there', async () => {
  const page = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1000 }));
  expect(page.UserDetailList?.map((user) => user.UserName)).toEqual(['nhi-audit-collector', 'ci-deployer', 'alice', 'legacy-report-bot']);
  expect(page.Policies?.map((policy) => policy.PolicyName)).toEqual(['DeployPolicy', 'ReportReader', 'AdministratorAccess', 'SecurityAudit']);
  expect(page.UserDetailList?.find((user) => user.UserName === 'legacy-report-bot')?.AttachedManagedPolicies).toEqual([
    { PolicyName: 'ReportReader', PolicyArn: 'arn:aws:iam::111111111111:policy/ReportReader' },
  ]);
});

test('a policy version created after now is hidden and the newest earlier one is the default', async () => {
  const page = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['LocalManagedPolicy'] }));
  const deploy = page.Policies?.find((policy) => policy.PolicyName === 'DeployPolicy');
  expect(deploy?.DefaultVersionId).toBe('v1');
  expect(deploy?.UpdateDate).toEqual(new Date('2023-02-01T08:00:00Z'));
  expect(deploy?.PolicyVersionList?.map((version) => [version.VersionId, version.IsDefaultVersion])).toEqual([['v1', true]]);
});

test('use after now is not reported: roles, keys and passwords show no later use', async () => {
  const page = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['Role'] }));
  const lastUsed = Object.fromEntries((page.RoleDetailList ?? []).map((role) => [role.RoleName, role.RoleLastUsed]));
  expect(lastUsed['github-actions-deploy']).toEqual({});
  // within IAM's 400-day window as of now, unlike at the dataset's latest date
  expect(lastUsed['nightly-batch']).toEqual({ LastUsedDate: new Date('2024-02-10T01:00:00Z'), Region: 'us-east-1' });

  const key = await clients.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIAACMECIDEPLOYER001' }));
  expect(key.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });

  expect((await clients.iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
  const report = await clients.iam.send(new GetCredentialReportCommand({}));
  expect(report.GeneratedTime).toEqual(NOW);
  const rows: Record<string, string>[] = parse(new TextDecoder().decode(report.Content), { columns: true });
  const byUser = new Map(rows.map((row) => [row.user, row]));
  expect(byUser.get('alice')?.password_last_used).toBe('no_information');
  expect(byUser.get('ci-deployer')).toMatchObject({ access_key_1_last_used_date: 'N/A', access_key_1_last_used_service: 'N/A' });
  expect(byUser.get('legacy-report-bot')).toMatchObject({ access_key_1_active: 'true', access_key_1_last_used_date: '2024-12-01T03:00:00+00:00' });
});

test('GetAccountSummary counts as of now, then applies the dataset’s overrides', async () => {
  const { SummaryMap } = await clients.iam.send(new GetAccountSummaryCommand({}));
  expect(SummaryMap).toMatchObject({ Users: 99, Policies: 2, Roles: 4 });
});

test('Organizations lists accounts that had joined and not yet left', async () => {
  const { Accounts } = await clients.organizations.send(new ListAccountsCommand({}));
  expect(Accounts?.map((account) => account.Id)).toEqual(['111111111111', '222222222222', '333333333333', '555555555555']);
});

test('a key with earlier uses reports the latest one on or before now, and nothing of x-earlierUses on the wire', async () => {
  const dataset = await loadAwsSandboxDataset(FIXTURE_DIR);
  const key = dataset.accounts['111111111111']!.credentials!['ci-deployer']!.accessKeys!.find((k) => k.AccessKeyId === 'AKIAACMECIDEPLOYER001')!;
  key.LastUsedDate = '2025-06-01T00:00:00Z';
  key['x-earlierUses'] = ['2024-12-24T08:00:00Z', '2025-01-15T08:00:00Z', '2025-03-01T08:00:00Z'];
  const earlier = await startAwsSandbox(dataset, { now: NOW, credentialReportPolls: 0 });
  try {
    const { iam } = sandboxClients(earlier);
    const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId }));
    expect(used.AccessKeyLastUsed?.LastUsedDate).toEqual(new Date('2025-01-15T08:00:00Z'));
    expect(JSON.stringify(used)).not.toContain('earlierUses');
  } finally {
    await earlier.close();
  }
});
