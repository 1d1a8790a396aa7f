import { GetAccountAuthorizationDetailsCommand } from '@aws-sdk/client-iam';
import {
  DescribePolicyCommand,
  ListAccountsCommand,
  ListPoliciesCommand,
  ListTargetsForPolicyCommand,
  paginateListAccounts,
  paginateListPolicies,
  paginateListTargetsForPolicy,
  type Account,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../../connectors/aws-iam/sandbox/index.js';
import { FIXTURE_DIR, rejectionOf, sandboxClients, type FakeCredentials } from './sandbox-clients.js';

let sandbox: AwsSandbox;
let clients: ReturnType<typeof sandboxClients>;

beforeAll(async () => {
  sandbox = await startAwsSandbox(await loadAwsSandboxDataset(FIXTURE_DIR));
  clients = sandboxClients(sandbox);
});
afterAll(() => sandbox.close());

const FINANCE_ROLE = 'arn:aws:iam::222222222222:role/NhiAuditReadOnly';

async function assume(RoleArn: string, ExternalId?: string): Promise<FakeCredentials> {
  const { Credentials } = await clients.sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'nhi-audit', ExternalId }));
  return {
    accessKeyId: Credentials?.AccessKeyId ?? '',
    secretAccessKey: Credentials?.SecretAccessKey ?? '',
    sessionToken: Credentials?.SessionToken ?? '',
  };
}

describe('STS', () => {
  test('GetCallerIdentity names the base user, with its UserId from the dataset', async () => {
    const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({
      Account: '111111111111',
      Arn: 'arn:aws:iam::111111111111:user/automation/nhi-audit-collector',
      UserId: 'AIDAACMECOLLECTOR0001',
    });
    expect(identity.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('AssumeRole with the external id hands out temporary credentials that see the other account', async () => {
    const response = await clients.sts.send(
      new AssumeRoleCommand({ RoleArn: FINANCE_ROLE, RoleSessionName: 'nhi-audit', ExternalId: 'acme-nhi-audit', DurationSeconds: 900 }),
    );
    expect(response.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(response.Credentials?.Expiration?.getTime()).toBeGreaterThan(Date.now());
    expect(response.AssumedRoleUser).toEqual({
      AssumedRoleId: 'AROAACMENHIAUDIT00002:nhi-audit',
      Arn: 'arn:aws:sts::222222222222:assumed-role/NhiAuditReadOnly/nhi-audit',
    });

    const finance = sandboxClients(sandbox, {
      accessKeyId: response.Credentials?.AccessKeyId ?? '',
      secretAccessKey: response.Credentials?.SecretAccessKey ?? '',
      sessionToken: response.Credentials?.SessionToken ?? '',
    });
    expect(await finance.sts.send(new GetCallerIdentityCommand({}))).toMatchObject({
      Account: '222222222222',
      Arn: 'arn:aws:sts::222222222222:assumed-role/NhiAuditReadOnly/nhi-audit',
      UserId: 'AROAACMENHIAUDIT00002:nhi-audit',
    });
    const details = await finance.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'] }));
    expect(details.UserDetailList?.map((user) => user.UserName)).toEqual(['erp-journal-poster', 'vendor-receivables-feed']);
    expect(sandbox.calls.at(-1)).toMatchObject({ operation: 'GetAccountAuthorizationDetails', account: '222222222222', status: 200 });
  });

  test.each([
    ['a wrong external id', FINANCE_ROLE, 'guess'],
    ['no external id', FINANCE_ROLE, undefined],
    ['a role that is not the audit role', 'arn:aws:iam::222222222222:role/OrganizationAccountAccessRole', 'acme-nhi-audit'],
    ['an organization account without the audit role', 'arn:aws:iam::333333333333:role/NhiAuditReadOnly', 'acme-nhi-audit'],
  ])('AssumeRole with %s is AccessDenied', async (_case, RoleArn, ExternalId) => {
    const error = await rejectionOf(clients.sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'nhi-audit', ExternalId })));
    expect(error.name).toBe('AccessDenied');
    expect(error.message).toBe(`User: arn:aws:iam::111111111111:user/automation/nhi-audit-collector is not authorized to perform: sts:AssumeRole on resource: ${RoleArn}`);
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });

  test('AssumeRole beyond the role’s maximum session is a ValidationError', async () => {
    const error = await rejectionOf(
      clients.sts.send(new AssumeRoleCommand({ RoleArn: FINANCE_ROLE, RoleSessionName: 'nhi-audit', ExternalId: 'acme-nhi-audit', DurationSeconds: 7200 })),
    );
    expect(error.name).toBe('ValidationError');
  });
});

describe('signing', () => {
  test('an unknown access key id is InvalidClientTokenId (awsQuery) or UnrecognizedClientException (JSON)', async () => {
    const stranger = sandboxClients(sandbox, { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' });
    const query = await rejectionOf(stranger.sts.send(new GetCallerIdentityCommand({})));
    expect(query.name).toBe('InvalidClientTokenId');
    expect(query.$metadata?.httpStatusCode).toBe(403);
    const json = await rejectionOf(stranger.organizations.send(new ListAccountsCommand({})));
    expect(json.name).toBe('UnrecognizedClientException');
    expect(sandbox.calls.at(-1)).toMatchObject({ service: 'organizations', operation: 'ListAccounts', account: undefined, status: 403 });
  });

  test('a wrong secret is SignatureDoesNotMatch; temporary credentials without their session token are refused', async () => {
    const wrongSecret = sandboxClients(sandbox, { ...sandbox.baseCredentials, secretAccessKey: 'not-the-secret' });
    expect((await rejectionOf(wrongSecret.sts.send(new GetCallerIdentityCommand({})))).name).toBe('SignatureDoesNotMatch');

    const session = await assume(FINANCE_ROLE, 'acme-nhi-audit');
    const tokenless = sandboxClients(sandbox, { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey });
    expect((await rejectionOf(tokenless.sts.send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
  });

  test('an unsigned request is MissingAuthenticationToken, and its parameters cannot reach Object.prototype', async () => {
    const response = await fetch(`${sandbox.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15&__proto__.polluted=yes&Tags.member.1.Key=k',
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(sandbox.calls.at(-1)).toEqual({
      service: 'sts',
      operation: 'GetCallerIdentity',
      account: undefined,
      parameters: { Tags: [{ Key: 'k' }] },
      status: 403,
    });
  });

  test('an unknown action answers InvalidAction in AWS’s XML error shape with a request id', async () => {
    const response = await fetch(`${sandbox.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DeleteUser&Version=2010-05-08&UserName=alice',
    });
    expect(response.status).toBe(400);
    const requestId = response.headers.get('x-amzn-requestid');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.text()).toBe(
      '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>InvalidAction</Code>' +
        `<Message>Could not find operation DeleteUser for version 2010-05-08</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
  });
});

describe('Organizations', () => {
  test('ListAccounts pages the accounts in the organization as of now', async () => {
    const mark = sandbox.calls.length;
    const accounts: Account[] = [];
    for await (const page of paginateListAccounts({ client: clients.organizations, pageSize: 3 }, {})) accounts.push(...(page.Accounts ?? []));

    // 555555555555 left the organization before the dataset's latest date
    expect(accounts.map((account) => account.Id)).toEqual(['111111111111', '222222222222', '333333333333', '444444444444']);
    expect(accounts[1]).toEqual({
      Id: '222222222222',
      Arn: 'arn:aws:organizations::111111111111:account/o-acme12345/222222222222',
      Email: 'aws-finance-prod@acme.example',
      Name: 'acme-finance-prod',
      Status: 'ACTIVE',
      State: 'ACTIVE',
      Paths: ['o-acme12345/r-acme/ou-acme-finance0/222222222222/'],
      JoinedMethod: 'INVITED',
      JoinedTimestamp: new Date('2020-01-15T12:00:00Z'),
    });
    const calls = sandbox.calls.slice(mark);
    expect(calls.map((call) => call.parameters.MaxResults)).toEqual([3, 3]);
    expect(calls[1]?.parameters.NextToken).toEqual(expect.any(String));
  });

  test('MaxResults above 20 is InvalidInputException in the JSON error shape', async () => {
    const error = await rejectionOf(clients.organizations.send(new ListAccountsCommand({ MaxResults: 21 })));
    expect(error.name).toBe('InvalidInputException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  test('a member account’s credentials get AccessDeniedException', async () => {
    const finance = sandboxClients(sandbox, await assume(FINANCE_ROLE, 'acme-nhi-audit'));
    const error = await rejectionOf(finance.organizations.send(new ListAccountsCommand({})));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });
});

describe('Organizations: service control policies', () => {
  test('ListAccounts gives each account its path from the root', async () => {
    const { Accounts } = await clients.organizations.send(new ListAccountsCommand({}));
    expect(Accounts?.find((account) => account.Id === '222222222222')?.Paths).toEqual(['o-acme12345/r-acme/ou-acme-finance0/222222222222/']);
    expect(Accounts?.find((account) => account.Id === '444444444444')?.Paths).toEqual(['o-acme12345/r-acme/444444444444/']);
  });

  test('ListPolicies pages the SCPs with NextToken; other policy types list none', async () => {
    const mark = sandbox.calls.length;
    const names: string[] = [];
    for await (const page of paginateListPolicies({ client: clients.organizations, pageSize: 2 }, { Filter: 'SERVICE_CONTROL_POLICY' })) {
      names.push(...(page.Policies ?? []).map((policy) => `${policy.Name} ${policy.Type} ${policy.AwsManaged}`));
    }
    expect(names).toEqual(['FullAWSAccess SERVICE_CONTROL_POLICY true', 'deny-leave-organization SERVICE_CONTROL_POLICY false', 'finance-no-iam-changes SERVICE_CONTROL_POLICY false']);
    expect(sandbox.calls.slice(mark).map((call) => [call.parameters.MaxResults, typeof call.parameters.NextToken])).toEqual([
      [2, 'undefined'],
      [2, 'string'],
    ]);
    expect((await clients.organizations.send(new ListPoliciesCommand({ Filter: 'TAG_POLICY' }))).Policies).toEqual([]);
  });

  test('DescribePolicy returns the policy document as JSON text', async () => {
    const { Policy } = await clients.organizations.send(new DescribePolicyCommand({ PolicyId: 'p-financeiam1' }));
    expect(Policy?.PolicySummary).toMatchObject({ Id: 'p-financeiam1', Name: 'finance-no-iam-changes', Type: 'SERVICE_CONTROL_POLICY', AwsManaged: false });
    expect(JSON.parse(Policy?.Content ?? '')).toMatchObject({ Statement: [{ Sid: 'NoIamWrites', Effect: 'Deny' }] });
  });

  test('ListTargetsForPolicy names the root, OUs and accounts a policy is attached to, page by page', async () => {
    const targets: string[] = [];
    for await (const page of paginateListTargetsForPolicy({ client: clients.organizations, pageSize: 4 }, { PolicyId: 'p-FullAWSAccess' })) {
      targets.push(...(page.Targets ?? []).map((target) => `${target.Type} ${target.TargetId} ${target.Name}`));
    }
    expect(targets).toEqual([
      'ROOT r-acme Root',
      'ORGANIZATIONAL_UNIT ou-acme-finance0 Finance',
      'ACCOUNT 111111111111 acme-management',
      'ACCOUNT 222222222222 acme-finance-prod',
      'ACCOUNT 333333333333 acme-data-sandbox',
      'ACCOUNT 444444444444 acme-erp-staging',
    ]);
  });

  test.each([
    ['an unknown policy', () => new DescribePolicyCommand({ PolicyId: 'p-doesnotexist' }), 'PolicyNotFoundException', 400],
    ['a malformed policy id', () => new ListTargetsForPolicyCommand({ PolicyId: 'FullAWSAccess' }), 'InvalidInputException', 400],
    ['an unknown policy type', () => new ListPoliciesCommand({ Filter: 'NO_SUCH_POLICY' as never }), 'InvalidInputException', 400],
  ])('%s is refused', async (_case, command, name, status) => {
    const error = await rejectionOf(clients.organizations.send(command() as never));
    expect([error.name, error.$metadata?.httpStatusCode]).toEqual([name, status]);
  });

  test('a member account cannot read the policies', async () => {
    const finance = sandboxClients(sandbox, await assume(FINANCE_ROLE, 'acme-nhi-audit'));
    expect((await rejectionOf(finance.organizations.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' })))).name).toBe('AccessDeniedException');
  });
});
