import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAccessKeysCommand,
  paginateGetAccountAuthorizationDetails,
  paginateListAccessKeys,
  type GetAccountAuthorizationDetailsCommandOutput,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  loadAwsSandboxDataset,
  startAwsSandbox,
  type AwsSandbox,
  type AwsSandboxDataset,
} from '../../../connectors/aws-iam/sandbox/index.js';
import { FIXTURE_DIR, rejectionOf, sandboxClients } from './sandbox-clients.js';

let dataset: AwsSandboxDataset;
let sandbox: AwsSandbox;
let iam: ReturnType<typeof sandboxClients>['iam'];

beforeAll(async () => {
  dataset = await loadAwsSandboxDataset(FIXTURE_DIR);
  sandbox = await startAwsSandbox(dataset);
  iam = sandboxClients(sandbox).iam;
});
afterAll(() => sandbox.close());

function callsSince(mark: number, operation: string) {
  return sandbox.calls.slice(mark).filter((call) => call.operation === operation);
}

async function allPages(pageSize: number, Filter?: ('User' | 'Group' | 'Role' | 'LocalManagedPolicy' | 'AWSManagedPolicy')[]) {
  const pages: GetAccountAuthorizationDetailsCommandOutput[] = [];
  for await (const page of paginateGetAccountAuthorizationDetails({ client: iam, pageSize }, { Filter })) pages.push(page);
  return pages;
}

const names = (pages: GetAccountAuthorizationDetailsCommandOutput[]) => ({
  users: pages.flatMap((page) => page.UserDetailList ?? []).map((user) => user.UserName),
  groups: pages.flatMap((page) => page.GroupDetailList ?? []).map((group) => group.GroupName),
  roles: pages.flatMap((page) => page.RoleDetailList ?? []).map((role) => role.RoleName),
  policies: pages.flatMap((page) => page.Policies ?? []).map((policy) => policy.PolicyName),
});

describe('GetAccountAuthorizationDetails', () => {
  test('a 1000-item page holds every entity as of now, in one call', async () => {
    const mark = sandbox.calls.length;
    const pages = await allPages(1000, ['User', 'Role', 'Group', 'LocalManagedPolicy']);

    expect(pages).toHaveLength(1);
    expect(pages[0]?.IsTruncated).toBe(false);
    expect(pages[0]?.Marker).toBeUndefined();
    expect(names(pages)).toEqual({
      // legacy-report-bot and its ReportReader policy were deleted before the dataset's latest date
      users: ['nhi-audit-collector', 'ci-deployer', 'alice', 'quarter-close-bot'],
      groups: ['admins', 'deployers'],
      roles: ['NhiAuditReadOnly', 'github-actions-deploy', 'AWSServiceRoleForOrganizations', 'nightly-batch'],
      policies: ['DeployPolicy'],
    });
    expect(callsSince(mark, 'GetAccountAuthorizationDetails')).toEqual([
      {
        service: 'iam',
        operation: 'GetAccountAuthorizationDetails',
        account: '111111111111',
        parameters: { Filter: ['User', 'Role', 'Group', 'LocalManagedPolicy'], MaxItems: '1000' },
        status: 200,
      },
    ]);
  });

  test('small pages cut across the user, group, role and policy lists and yield every entity exactly once', async () => {
    const mark = sandbox.calls.length;
    const pages = await allPages(3);
    const all = names(pages);

    expect(all).toEqual({
      users: ['nhi-audit-collector', 'ci-deployer', 'alice', 'quarter-close-bot'],
      groups: ['admins', 'deployers'],
      roles: ['NhiAuditReadOnly', 'github-actions-deploy', 'AWSServiceRoleForOrganizations', 'nightly-batch'],
      policies: ['DeployPolicy', 'AdministratorAccess', 'SecurityAudit'],
    });
    // 13 entities at 3 a page
    expect(pages).toHaveLength(5);
    expect(callsSince(mark, 'GetAccountAuthorizationDetails')).toHaveLength(5);
    expect(names([pages[1] as GetAccountAuthorizationDetailsCommandOutput])).toEqual({
      users: ['quarter-close-bot'],
      groups: ['admins', 'deployers'],
      roles: [],
      policies: [],
    });
    expect(pages.slice(0, -1).every((page) => page.IsTruncated && page.Marker)).toBe(true);
    expect(pages.at(-1)?.IsTruncated).toBe(false);
  });

  test('policy documents arrive URL-encoded (RFC 3986) and decode to the dataset objects', async () => {
    const [page] = await allPages(1000);
    const account = dataset.accounts['111111111111'];
    const details = account?.authorizationDetails;
    const ciDeployer = page?.UserDetailList?.find((user) => user.UserName === 'ci-deployer');
    const inline = ciDeployer?.UserPolicyList?.[0]?.PolicyDocument ?? '';
    expect(inline).toMatch(/^%7B%22Version%22%3A%222012-10-17%22/);
    expect(inline).toContain('%2A');
    expect(JSON.parse(decodeURIComponent(inline))).toEqual(details?.UserDetailList?.[1]?.UserPolicyList?.[0]?.PolicyDocument);

    const ghaRole = page?.RoleDetailList?.find((role) => role.RoleName === 'github-actions-deploy');
    expect(JSON.parse(decodeURIComponent(ghaRole?.AssumeRolePolicyDocument ?? ''))).toEqual(details?.RoleDetailList?.[1]?.AssumeRolePolicyDocument);
    expect(ghaRole?.RoleLastUsed).toEqual({ LastUsedDate: new Date('2025-11-20T16:45:00Z'), Region: 'eu-west-1' });

    const profileRole = page?.RoleDetailList?.find((role) => role.RoleName === 'nightly-batch')?.InstanceProfileList?.[0]?.Roles?.[0];
    expect(JSON.parse(decodeURIComponent(profileRole?.AssumeRolePolicyDocument ?? ''))).toMatchObject({ Version: '2012-10-17' });

    const deployPolicy = page?.Policies?.find((policy) => policy.PolicyName === 'DeployPolicy');
    expect(deployPolicy?.DefaultVersionId).toBe('v2');
    expect(deployPolicy?.PolicyVersionList?.map((version) => [version.VersionId, version.IsDefaultVersion])).toEqual([
      ['v2', true],
      ['v1', false],
    ]);
    const expectedVersions = details?.Policies?.[0]?.PolicyVersionList?.map((version) => version.Document);
    expect(deployPolicy?.PolicyVersionList?.map((version) => JSON.parse(decodeURIComponent(version.Document ?? '')))).toEqual(expectedVersions);
  });

  test('boto3 dates in the dataset arrive as timestamps; a role unused for 400 days has an empty RoleLastUsed', async () => {
    const [page] = await allPages(1000);
    expect(page?.UserDetailList?.find((user) => user.UserName === 'ci-deployer')?.CreateDate).toEqual(new Date('2023-02-01T08:30:00Z'));
    expect(page?.RoleDetailList?.find((role) => role.RoleName === 'nightly-batch')?.RoleLastUsed).toEqual({});
    expect(page?.RoleDetailList?.find((role) => role.RoleName === 'AWSServiceRoleForOrganizations')?.RoleLastUsed).toEqual({});
  });

  test.each([0, 1001])('MaxItems %i is a ValidationError', async (MaxItems) => {
    const error = await rejectionOf(iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems })));
    expect(error.name).toBe('ValidationError');
    expect(error.message).toContain("at 'maxItems' failed to satisfy constraint");
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.$metadata?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('an unknown filter and a forged marker are ValidationErrors', async () => {
    const badFilter = await rejectionOf(iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User', 'Users' as 'User'] })));
    expect(badFilter.name).toBe('ValidationError');
    const badMarker = await rejectionOf(iam.send(new GetAccountAuthorizationDetailsCommand({ Marker: 'not-a-marker' })));
    expect(badMarker.name).toBe('ValidationError');
  });
});

describe('credential report', () => {
  test('GetCredentialReport before generation is ReportNotPresent; generation goes STARTED, INPROGRESS, COMPLETE', async () => {
    const missing = await rejectionOf(iam.send(new GetCredentialReportCommand({})));
    expect(missing.name).toBe('CredentialReportNotPresentException');
    expect(missing.$metadata?.httpStatusCode).toBe(410);

    const states = [];
    for (let poll = 0; poll < 4; poll++) states.push((await iam.send(new GenerateCredentialReportCommand({}))).State);
    expect(states).toEqual(['STARTED', 'INPROGRESS', 'COMPLETE', 'COMPLETE']);
  });

  test('the report has AWS columns and value rules: root row, N/A, no_information, lowercase booleans, slots in creation order', async () => {
    const report = await iam.send(new GetCredentialReportCommand({}));
    expect(report.ReportFormat).toBe('text/csv');
    expect(report.GeneratedTime).toEqual(sandbox.now);
    const csv = new TextDecoder().decode(report.Content);
    const [header] = csv.split('\n');
    expect(header?.split(',')).toHaveLength(22);
    expect(header).toBe(
      'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,' +
        'access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,' +
        'access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,' +
        'cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated',
    );
    const rows: Record<string, string>[] = parse(csv, { columns: true });
    const byUser = new Map(rows.map((row) => [row.user, row]));
    expect(rows.map((row) => row.user)).toEqual(['<root_account>', 'nhi-audit-collector', 'ci-deployer', 'alice', 'quarter-close-bot']);

    expect(byUser.get('<root_account>')).toMatchObject({
      arn: 'arn:aws:iam::111111111111:root',
      user_creation_time: '2019-03-04T10:00:00+00:00',
      password_enabled: 'not_supported',
      password_last_used: '2025-10-15T07:12:00+00:00',
      password_last_changed: 'not_supported',
      password_next_rotation: 'not_supported',
      mfa_active: 'true',
      access_key_1_active: 'false',
      access_key_1_last_rotated: 'N/A',
    });
    expect(byUser.get('ci-deployer')).toMatchObject({
      user_creation_time: '2023-02-01T08:30:00+00:00',
      password_enabled: 'false',
      password_last_used: 'N/A',
      password_last_changed: 'N/A',
      mfa_active: 'false',
      // the key deleted in 2023 holds no slot
      access_key_1_active: 'true',
      access_key_1_last_rotated: '2023-06-01T09:00:00+00:00',
      access_key_1_last_used_date: '2025-11-29T22:10:00+00:00',
      access_key_1_last_used_region: 'eu-west-1',
      access_key_1_last_used_service: 's3',
      access_key_2_active: 'false',
      access_key_2_last_rotated: '2024-08-01T10:00:00+00:00',
      access_key_2_last_used_date: 'N/A',
      access_key_2_last_used_region: 'N/A',
      access_key_2_last_used_service: 'N/A',
      cert_1_active: 'false',
      cert_1_last_rotated: 'N/A',
    });
    expect(byUser.get('alice')).toMatchObject({
      password_enabled: 'true',
      password_last_used: '2025-11-28T08:15:00+00:00',
      password_last_changed: '2025-01-10T09:00:00+00:00',
      password_next_rotation: 'N/A',
      mfa_active: 'true',
      access_key_1_active: 'false',
      access_key_2_active: 'false',
    });
  });

  test('in another account a report poll before completion is ReportInProgress, and an unused password is no_information', async () => {
    const { sts } = sandboxClients(sandbox);
    const session = await sts.send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/NhiAuditReadOnly', RoleSessionName: 'report', ExternalId: 'acme-nhi-audit' }),
    );
    const finance = sandboxClients(sandbox, {
      accessKeyId: session.Credentials?.AccessKeyId ?? '',
      secretAccessKey: session.Credentials?.SecretAccessKey ?? '',
      sessionToken: session.Credentials?.SessionToken ?? '',
    }).iam;

    expect((await finance.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
    const pending = await rejectionOf(finance.send(new GetCredentialReportCommand({})));
    expect(pending.name).toBe('CredentialReportNotReadyException');
    expect(pending.$metadata?.httpStatusCode).toBe(404);

    const report = await finance.send(new GetCredentialReportCommand({}));
    const rows: Record<string, string>[] = parse(new TextDecoder().decode(report.Content), { columns: true });
    expect(rows.find((row) => row.user === 'vendor-receivables-feed')).toMatchObject({
      arn: 'arn:aws:iam::222222222222:user/vendors/vendor-receivables-feed',
      password_enabled: 'true',
      password_last_used: 'no_information',
      access_key_1_active: 'true',
      access_key_1_last_used_date: 'N/A',
    });
  });
});

describe('access keys', () => {
  test('ListAccessKeys pages a user’s keys in creation order, inactive ones included, deleted ones not', async () => {
    const mark = sandbox.calls.length;
    const keys = [];
    for await (const page of paginateListAccessKeys({ client: iam, pageSize: 1 }, { UserName: 'ci-deployer' })) {
      keys.push(...(page.AccessKeyMetadata ?? []));
    }
    expect(keys).toEqual([
      { UserName: 'ci-deployer', AccessKeyId: 'AKIAACMECIDEPLOYER001', Status: 'Active', CreateDate: new Date('2023-06-01T09:00:00Z') },
      { UserName: 'ci-deployer', AccessKeyId: 'AKIAACMECIDEPLOYER002', Status: 'Inactive', CreateDate: new Date('2024-08-01T10:00:00Z') },
    ]);
    expect(callsSince(mark, 'ListAccessKeys')).toHaveLength(2);
  });

  test('without UserName ListAccessKeys lists the caller’s keys; an unknown user is NoSuchEntity', async () => {
    const own = await iam.send(new ListAccessKeysCommand({}));
    expect(own.AccessKeyMetadata?.map((key) => key.AccessKeyId)).toEqual(['AKIASANDBOXCOLLECTOR']);
    expect(own.IsTruncated).toBe(false);

    const missing = await rejectionOf(iam.send(new ListAccessKeysCommand({ UserName: 'legacy-report-bot' })));
    expect(missing.name).toBe('NoSuchEntityException');
    expect(missing.$metadata?.httpStatusCode).toBe(404);
  });

  test('GetAccessKeyLastUsed gives date, service and region, or N/A for a key never used', async () => {
    const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIAACMECIDEPLOYER001' }));
    expect(used.UserName).toBe('ci-deployer');
    expect(used.AccessKeyLastUsed).toEqual({ LastUsedDate: new Date('2025-11-29T22:10:00Z'), ServiceName: 's3', Region: 'eu-west-1' });

    const unused = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIAACMECIDEPLOYER002' }));
    expect(unused.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
  });
});

test('GetAccountSummary counts what is visible and parses as the SDK parses maps', async () => {
  const { SummaryMap } = await iam.send(new GetAccountSummaryCommand({}));
  expect(SummaryMap).toMatchObject({
    Users: 4,
    Groups: 2,
    Roles: 4,
    Policies: 1,
    InstanceProfiles: 1,
    AccessKeysPerUserQuota: 2,
    UsersQuota: 5000,
    AccountMFAEnabled: 1,
    AccountAccessKeysPresent: 0,
    MFADevicesInUse: 2,
  });
});

describe('managed policies', () => {
  test('GetPolicy and GetPolicyVersion read an AWS managed policy, its document URL-encoded as in GAAD', async () => {
    const arn = 'arn:aws:iam::aws:policy/AdministratorAccess';
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(Policy).toMatchObject({ PolicyName: 'AdministratorAccess', Arn: arn, DefaultVersionId: 'v1', IsAttachable: true });
    expect(Policy?.CreateDate).toEqual(new Date('2015-02-06T18:39:46Z'));

    const { PolicyVersion } = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    expect(PolicyVersion?.IsDefaultVersion).toBe(true);
    expect(JSON.parse(decodeURIComponent(PolicyVersion?.Document ?? ''))).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    });
  });

  test('a policy the account does not have, or a missing version, is NoSuchEntity', async () => {
    const missing = await rejectionOf(iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/PowerUserAccess' })));
    expect(missing.name).toBe('NoSuchEntityException');
    // another account's customer managed policy is not visible from this one
    const foreign = await rejectionOf(iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::222222222222:policy/ErpJournalWrite' })));
    expect(foreign.name).toBe('NoSuchEntityException');
    const version = await rejectionOf(
      iam.send(new GetPolicyVersionCommand({ PolicyArn: 'arn:aws:iam::111111111111:policy/DeployPolicy', VersionId: 'v9' })),
    );
    expect(version.$metadata?.httpStatusCode).toBe(404);
  });
});
