import {
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  ListAccessKeysCommand,
  paginateGetAccountAuthorizationDetails,
} from '@aws-sdk/client-iam';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../../connectors/aws-iam/sandbox/index.js';
import type { FaultKind } from '../../../src/sdk/index.js';
import { FIXTURE_DIR, rejectionOf, sandboxClients } from './sandbox-clients.js';

let sandbox: AwsSandbox;
let clients: ReturnType<typeof sandboxClients>;

beforeAll(async () => {
  sandbox = await startAwsSandbox(await loadAwsSandboxDataset(FIXTURE_DIR));
  clients = sandboxClients(sandbox);
});
beforeEach(() => {
  sandbox.faults.set([]);
  sandbox.calls.length = 0;
});
afterAll(() => sandbox.close());

function inject(operation: string, kind: FaultKind, times?: number): void {
  sandbox.faults.set([{ connector: 'aws-iam', operation, kind, ...(times ? { times } : {}) }]);
}

const statuses = (operation: string) => sandbox.calls.filter((call) => call.operation === operation).map((call) => call.status);

describe('throttling', () => {
  test('Throttling twice is absorbed by the SDK’s standard retry', async () => {
    inject('GetAccountSummary', 'throttle', 2);
    const summary = await clients.iam.send(new GetAccountSummaryCommand({}));
    expect(summary.$metadata.attempts).toBe(3);
    expect(statuses('GetAccountSummary')).toEqual([400, 400, 200]);
  });

  test('permanent throttling surfaces as Throttling: Rate exceeded once retries run out', async () => {
    inject('GetCallerIdentity', 'throttle');
    const error = await rejectionOf(clients.sts.send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe('Throttling');
    expect(error.message).toBe('Rate exceeded');
    expect(error.$metadata?.attempts).toBe(3);
  });

  test('each distinct request is throttled `times` times: every page of a paged read is retried once', async () => {
    inject('GetAccountAuthorizationDetails', 'throttle', 1);
    const attempts = [];
    for await (const page of paginateGetAccountAuthorizationDetails({ client: clients.iam, pageSize: 5 }, {})) {
      attempts.push(page.$metadata.attempts);
    }
    expect(attempts).toEqual([2, 2, 2]);
    expect(statuses('GetAccountAuthorizationDetails')).toEqual([400, 200, 400, 200, 400, 200]);
  });

  test('Organizations throttles with TooManyRequestsException, which the SDK retries', async () => {
    inject('ListAccounts', 'throttle', 1);
    const page = await clients.organizations.send(new ListAccountsCommand({}));
    expect(page.$metadata.attempts).toBe(2);
    expect(statuses('ListAccounts')).toEqual([429, 200]);
    inject('ListAccounts', 'throttle');
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

describe('server errors and broken connections', () => {
  test('a 5xx is the service’s own failure, transient when given times', async () => {
    inject('*', '5xx', 1);
    const summary = await clients.iam.send(new GetAccountSummaryCommand({}));
    expect(summary.$metadata.attempts).toBe(2);
    expect(statuses('GetAccountSummary')).toEqual([500, 200]);

    inject('GetAccountSummary', '5xx');
    const error = await rejectionOf(clients.iam.send(new GetAccountSummaryCommand({})));
    expect(error.name).toBe('ServiceFailureException');
    expect(error.$metadata?.httpStatusCode).toBe(500);
  });

  test('a reset closes the connection without an answer, which the SDK retries', async () => {
    inject('GetCallerIdentity', 'reset', 1);
    const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
    expect(identity.$metadata.attempts).toBe(2);
    expect(statuses('GetCallerIdentity')).toEqual([0, 200]);
  });

  test('a hang never answers: only a client timeout ends it', async () => {
    inject('GetCallerIdentity', 'hang');
    const { sts } = sandboxClients(sandbox, sandbox.baseCredentials, 1, { requestTimeout: 200, throwOnRequestTimeout: true });
    const error = await rejectionOf(sts.send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe('TimeoutError');
    expect(statuses('GetCallerIdentity')).toEqual([0]);
  });

  test('a refusal is not a fault: never retried, its code as name', async () => {
    const error = await rejectionOf(clients.iam.send(new ListAccessKeysCommand({ UserName: 'nobody-at-all' })));
    expect(error.name).toBe('NoSuchEntityException');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 404, attempts: 1 });
  });
});

describe('bodies that are not what the operation returns', () => {
  test('a truncated XML body fails to parse in the SDK, which does not retry it', async () => {
    inject('GetAccountAuthorizationDetails', 'truncate', 1);
    const error = await rejectionOf(clients.iam.send(new GetAccountAuthorizationDetailsCommand({})));
    expect(error.message).toMatch(/XML parse error|Deserialization error/);
    expect(statuses('GetAccountAuthorizationDetails')).toEqual([200]);
    await expect(clients.iam.send(new GetAccountAuthorizationDetailsCommand({}))).resolves.toBeDefined();
  });

  test('an HTML page answered with 200 is not the operation’s JSON', async () => {
    inject('ListAccounts', 'html');
    const error = await rejectionOf(clients.organizations.send(new ListAccountsCommand({})));
    expect(statuses('ListAccounts')[0]).toBe(200);
    expect(error.message).toMatch(/Deserialization error|JSON|Unexpected token/);
  });

  test('an empty object is a well-formed answer without any of the fields', async () => {
    inject('ListAccounts', 'empty-object');
    const accounts = await clients.organizations.send(new ListAccountsCommand({}));
    expect(accounts.Accounts).toBeUndefined();
    inject('GetAccountAuthorizationDetails', 'empty-object');
    const details = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({}));
    expect(details.IsTruncated).toBeUndefined();
    expect(details.UserDetailList).toBeUndefined();
  });

  test('drop-field removes the field each item is named by', async () => {
    inject('*', 'drop-field');
    const details = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User', 'Role'] }));
    expect(details.UserDetailList!.length).toBeGreaterThan(0);
    expect(details.UserDetailList!.every((user) => user.UserName === undefined && user.Arn !== undefined)).toBe(true);
    expect(details.RoleDetailList!.every((role) => role.RoleName === undefined)).toBe(true);
    const accounts = await clients.organizations.send(new ListAccountsCommand({}));
    expect(accounts.Accounts!.every((account) => account.Id === undefined && account.Email !== undefined)).toBe(true);
    expect((await clients.sts.send(new GetCallerIdentityCommand({}))).Arn).toBeUndefined();
  });
});

describe('paging faults', () => {
  test('repeat-cursor: every page, the last one too, claims more behind a token back to itself', async () => {
    inject('GetAccountAuthorizationDetails', 'repeat-cursor');
    const first = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1000 }));
    expect(first.IsTruncated).toBe(true);
    const second = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1000, Marker: first.Marker }));
    expect(second.Marker).toBe(first.Marker);
    expect(second.UserDetailList).toEqual(first.UserDetailList);
  });

  test('self-link on Organizations: the NextToken leads to the page itself', async () => {
    inject('ListAccounts', 'self-link');
    const first = await clients.organizations.send(new ListAccountsCommand({}));
    const second = await clients.organizations.send(new ListAccountsCommand({ NextToken: first.NextToken }));
    expect(first.NextToken).toEqual(expect.any(String));
    expect(second.NextToken).toBe(first.NextToken);
  });

  test('empty-page-more once: an empty page with a fresh token to the same place, which then answers', async () => {
    inject('ListAccounts', 'empty-page-more', 1);
    const ids: string[] = [];
    const tokens: string[] = [];
    let token: string | undefined;
    do {
      const page = await clients.organizations.send(new ListAccountsCommand({ MaxResults: 3, NextToken: token }));
      ids.push(...(page.Accounts ?? []).map((account) => account.Id!));
      token = page.NextToken;
      if (token) tokens.push(token);
    } while (token);
    expect(ids).toEqual(['111111111111', '222222222222', '333333333333', '444444444444']);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(statuses('ListAccounts')).toHaveLength(4);
  });

  test('paging faults leave operations that do not page unharmed', async () => {
    inject('*', 'empty-page-more');
    expect((await clients.sts.send(new GetCallerIdentityCommand({}))).Account).toBe('111111111111');
  });
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
