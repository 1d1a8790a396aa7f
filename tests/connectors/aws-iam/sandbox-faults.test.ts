import {
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  ListAccessKeysCommand,
  paginateGetAccountAuthorizationDetails,
} from '@aws-sdk/client-iam';
import { ListAccountsCommand, paginateListAccounts, type ListAccountsCommandOutput } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../../connectors/aws-iam/sandbox/index.js';
import { FIXTURE_DIR, rejectionOf, sandboxClients } from './sandbox-clients.js';

let sandbox: AwsSandbox;
let clients: ReturnType<typeof sandboxClients>;

beforeAll(async () => {
  sandbox = await startAwsSandbox(await loadAwsSandboxDataset(FIXTURE_DIR));
  clients = sandboxClients(sandbox);
});
beforeEach(() => {
  sandbox.setFaults([]);
  sandbox.calls.length = 0;
});
afterAll(() => sandbox.close());

const statuses = (operation: string) => sandbox.calls.filter((call) => call.operation === operation).map((call) => call.status);

describe('throttling', () => {
  test('Throttling twice is absorbed by the SDK’s standard retry', async () => {
    sandbox.setFaults([{ operation: 'GetAccountSummary', kind: 'throttle', times: 2 }]);
    const summary = await clients.iam.send(new GetAccountSummaryCommand({}));
    expect(summary.$metadata.attempts).toBe(3);
    expect(statuses('GetAccountSummary')).toEqual([400, 400, 200]);
  });

  test('permanent throttling surfaces as Throttling: Rate exceeded once retries run out', async () => {
    sandbox.setFaults([{ service: 'sts', kind: 'throttle' }]);
    const error = await rejectionOf(clients.sts.send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe('Throttling');
    expect(error.message).toBe('Rate exceeded');
    expect(error.$metadata?.attempts).toBe(3);
  });

  test('each distinct request is throttled `times` times: every page of a paged read is retried once', async () => {
    sandbox.setFaults([{ operation: 'GetAccountAuthorizationDetails', kind: 'throttle', times: 1 }]);
    const attempts = [];
    for await (const page of paginateGetAccountAuthorizationDetails({ client: clients.iam, pageSize: 5 }, {})) {
      attempts.push(page.$metadata.attempts);
    }
    expect(attempts).toEqual([2, 2, 2]);
    expect(statuses('GetAccountAuthorizationDetails')).toEqual([400, 200, 400, 200, 400, 200]);
  });

  test('Organizations throttles with TooManyRequestsException, which the SDK retries', async () => {
    sandbox.setFaults([{ service: 'organizations', kind: 'throttle', times: 1 }]);
    const page = await clients.organizations.send(new ListAccountsCommand({}));
    expect(page.$metadata.attempts).toBe(2);
    expect(statuses('ListAccounts')).toEqual([429, 200]);
    sandbox.setFaults([{ service: 'organizations', kind: 'throttle' }]);
    expect((await rejectionOf(clients.organizations.send(new ListAccountsCommand({})))).name).toBe('TooManyRequestsException');
  });

  test('a rate limit throttles requests beyond the burst', async () => {
    const limited = await startAwsSandbox(await loadAwsSandboxDataset(FIXTURE_DIR), { rateLimit: { requestsPerSecond: 0.001, burst: 2 } });
    try {
      const { iam } = sandboxClients(limited, limited.baseCredentials, 1);
      await iam.send(new GetAccountSummaryCommand({}));
      await iam.send(new GetAccountSummaryCommand({}));
      expect((await rejectionOf(iam.send(new GetAccountSummaryCommand({})))).name).toBe('Throttling');
      // buckets are per operation
      await iam.send(new ListAccessKeysCommand({}));
    } finally {
      await limited.close();
    }
  });
});

describe('errors', () => {
  test('a permanent permission error is not retried and surfaces with its code as name', async () => {
    sandbox.setFaults([{ operation: 'ListAccessKeys', kind: 'error', status: 403, code: 'AccessDenied', message: 'not allowed' }]);
    const error = await rejectionOf(clients.iam.send(new ListAccessKeysCommand({ UserName: 'ci-deployer' })));
    expect(error.name).toBe('AccessDenied');
    expect(error.message).toBe('not allowed');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 403, attempts: 1 });
  });

  test('a 500 is ServiceFailure by default and transient when given times', async () => {
    sandbox.setFaults([{ service: 'iam', kind: 'error', times: 1 }]);
    const summary = await clients.iam.send(new GetAccountSummaryCommand({}));
    expect(summary.$metadata.attempts).toBe(2);
    expect(statuses('GetAccountSummary')).toEqual([500, 200]);

    sandbox.setFaults([{ service: 'iam', kind: 'error' }]);
    const error = await rejectionOf(clients.iam.send(new GetAccountSummaryCommand({})));
    expect(error.name).toBe('ServiceFailureException');
    expect(error.$metadata?.httpStatusCode).toBe(500);
  });

  test('faults can target one account', async () => {
    sandbox.setFaults([{ account: '222222222222', kind: 'error', status: 403, code: 'AccessDenied' }]);
    await expect(clients.iam.send(new GetAccountSummaryCommand({}))).resolves.toBeDefined();
    const { Credentials } = await clients.sts.send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/NhiAuditReadOnly', RoleSessionName: 'faults', ExternalId: 'acme-nhi-audit' }),
    );
    const finance = sandboxClients(sandbox, {
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken ?? '',
    });
    expect((await rejectionOf(finance.iam.send(new GetAccountSummaryCommand({})))).name).toBe('AccessDenied');
  });

  test('a malformed body fails to parse in the SDK', async () => {
    sandbox.setFaults([{ operation: 'GetAccountAuthorizationDetails', kind: 'malformed', times: 1 }]);
    const error = await rejectionOf(clients.iam.send(new GetAccountAuthorizationDetailsCommand({})));
    expect(error.message).toMatch(/XML parse error/);
    expect(statuses('GetAccountAuthorizationDetails')).toEqual([200]);
    await expect(clients.iam.send(new GetAccountAuthorizationDetailsCommand({}))).resolves.toBeDefined();
  });
});

test('an empty Organizations page still carries a NextToken, and the paginator goes on', async () => {
  sandbox.setFaults([{ operation: 'ListAccounts', kind: 'empty-page', times: 1 }]);
  const pages: ListAccountsCommandOutput[] = [];
  for await (const page of paginateListAccounts({ client: clients.organizations, pageSize: 3 }, {})) pages.push(page);

  expect(pages.map((page) => page.Accounts?.length)).toEqual([0, 3, 0, 1]);
  expect(pages[0]?.NextToken).toEqual(expect.any(String));
  expect(pages.flatMap((page) => page.Accounts ?? []).map((account) => account.Id)).toEqual([
    '111111111111',
    '222222222222',
    '333333333333',
    '444444444444',
  ]);
});

test('latency delays every answer', async () => {
  const slow = await startAwsSandbox(await loadAwsSandboxDataset(FIXTURE_DIR), { latencyMs: 40 });
  try {
    const started = performance.now();
    await sandboxClients(slow).sts.send(new GetCallerIdentityCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  } finally {
    await slow.close();
  }
});
