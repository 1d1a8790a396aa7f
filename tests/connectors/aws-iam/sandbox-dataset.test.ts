import { GetAccountAuthorizationDetailsCommandOutput, paginateGetAccountAuthorizationDetails } from '@aws-sdk/client-iam';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  loadAwsSandboxDataset,
  parseAwsSandboxDataset,
  startAwsSandbox,
  startDemo,
} from '../../../connectors/aws-iam/sandbox/index.js';
import { ConfigError } from '../../../src/sdk/index.js';
import { CLOUDSPLAINING_EXPORT, FIXTURE_DIR, rejectionOf, sandboxClients } from './sandbox-clients.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'aws-sandbox-dataset-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A copy of the fixture folder with one account file replaced. */
async function fixtureWith(name: string, accountFile: string, content: string): Promise<string> {
  const dir = join(scratch, name);
  await cp(FIXTURE_DIR, dir, { recursive: true });
  await writeFile(join(dir, 'accounts', accountFile), content);
  return dir;
}

async function loadError(dir: string): Promise<ConfigError> {
  const error = await rejectionOf(loadAwsSandboxDataset(dir));
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadAwsSandboxDataset', () => {
  test('reads base credentials, the organization and one file per account', async () => {
    const dataset = await loadAwsSandboxDataset(FIXTURE_DIR);
    expect(Object.keys(dataset.accounts)).toEqual(['111111111111', '222222222222']);
    expect(dataset.baseCredentials.accessKeyId).toBe('AKIASANDBOXCOLLECTOR');
    expect(dataset.organization?.accounts).toHaveLength(5);
  });

  test('without base-credentials.json the collector is a user in the management account', async () => {
    const dir = join(scratch, 'no-base-credentials');
    await cp(FIXTURE_DIR, dir, { recursive: true });
    await rm(join(dir, 'base-credentials.json'));
    const dataset = await loadAwsSandboxDataset(dir);
    expect(dataset.baseCredentials).toEqual({
      accessKeyId: 'AKIASANDBOX111111111',
      accountId: '111111111111',
      arn: 'arn:aws:iam::111111111111:user/nhi-audit-collector',
    });
  });

  test('a bad value is an error naming the file, the field path and the problem', async () => {
    const original = JSON.parse(await readFile(join(FIXTURE_DIR, 'accounts', '222222222222.json'), 'utf8'));
    original.authorizationDetails.UserDetailList[1].CreateDate = 'last Tuesday';
    original.credentials['erp-journal-poster'].accessKeys[0].Status = 'Enabled';
    const dir = await fixtureWith('bad-value', '222222222222.json', JSON.stringify(original));
    const error = await loadError(dir);
    const file = join(dir, 'accounts', '222222222222.json');
    expect(error.file).toBe(file);
    expect(error.message).toContain(
      `${file}: authorizationDetails.UserDetailList[1].CreateDate: expected a date such as 2024-05-01T10:00:00Z or 2019-12-18 19:10:08+00:00`,
    );
    expect(error.message).toContain(`${file}: credentials.erp-journal-poster.accessKeys[0].Status: Invalid option: expected one of "Active"|"Inactive"`);
  });

  test('a service control policy attached to nothing known, or an account under an unknown OU, names organization.json and the field', async () => {
    const organization = JSON.parse(await readFile(join(FIXTURE_DIR, 'organization.json'), 'utf8'));
    organization.serviceControlPolicies[2]['x-targets'] = ['ou-acme-nosuch00'];
    organization.accounts[1]['x-parent'] = 'ou-acme-gone0000';
    const dir = join(scratch, 'bad-scp');
    await cp(FIXTURE_DIR, dir, { recursive: true });
    await writeFile(join(dir, 'organization.json'), JSON.stringify(organization));
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, 'organization.json'));
    expect(error.problems).toEqual([
      { path: 'accounts[1].x-parent', message: 'no such root or organizational unit' },
      { path: 'serviceControlPolicies[2].x-targets[0]', message: 'no such root, organizational unit or account' },
    ]);
  });

  test('a misspelt field, a user unknown to GAAD, a bad file name and bad JSON are errors too', async () => {
    const original = JSON.parse(await readFile(join(FIXTURE_DIR, 'accounts', '222222222222.json'), 'utf8'));
    original.authorizationDetails.RoleDetailList[0].RoleLastUse = {};
    original.credentials.ghost = { passwordEnabled: false, mfaActive: false };
    const misspelt = await loadError(await fixtureWith('misspelt', '222222222222.json', JSON.stringify(original)));
    expect(misspelt.problems).toEqual([
      { path: 'authorizationDetails.RoleDetailList[0].RoleLastUse', message: expect.stringMatching(/^unknown field \(known: .*RoleLastUsed/) },
      { path: 'credentials.ghost', message: 'no user of that name in authorizationDetails.UserDetailList' },
    ]);

    const badName = await loadError(await fixtureWith('bad-name', 'finance.json', '{}'));
    expect(badName.message).toMatch(/accounts\/finance\.json: the file name must be a 12-digit AWS account id$/);

    const badJson = await loadError(await fixtureWith('bad-json', '222222222222.json', '{ "auditRole": '));
    expect(badJson.message).toMatch(/accounts\/222222222222\.json: not valid JSON: /);
  });

  test('a dataset built in code is validated too', () => {
    expect(() => parseAwsSandboxDataset({ baseCredentials: { accessKeyId: 'AKIAX', accountId: '1', arn: 'x' }, accounts: {} })).toThrow(
      /baseCredentials\.accessKeyId: expected a long-term access key id/,
    );
  });
});

test('the cloudsplaining export is served as one account’s GAAD without edits', async () => {
  const exported = JSON.parse(await readFile(CLOUDSPLAINING_EXPORT, 'utf8'));
  const sandbox = await startAwsSandbox({
    baseCredentials: { accessKeyId: 'AKIACLOUDSPLAINING01', accountId: '012345678901', arn: 'arn:aws:iam::012345678901:user/auditor' },
    accounts: { '012345678901': { authorizationDetails: exported } },
  });
  try {
    const { iam, organizations } = sandboxClients(sandbox);
    const pages: GetAccountAuthorizationDetailsCommandOutput[] = [];
    for await (const page of paginateGetAccountAuthorizationDetails({ client: iam, pageSize: 10 }, {})) pages.push(page);
    const users = pages.flatMap((page) => page.UserDetailList ?? []);
    const groups = pages.flatMap((page) => page.GroupDetailList ?? []);
    const roles = pages.flatMap((page) => page.RoleDetailList ?? []);
    const policies = pages.flatMap((page) => page.Policies ?? []);

    expect([users.length, groups.length, roles.length, policies.length]).toEqual([
      exported.UserDetailList.length,
      exported.GroupDetailList.length,
      exported.RoleDetailList.length,
      exported.Policies.length,
    ]);
    expect([users.length, groups.length, roles.length, policies.length]).toEqual([3, 2, 3, 32]);
    expect(pages).toHaveLength(4);
    expect(users[0]?.CreateDate).toEqual(new Date('2019-12-18T19:10:08Z'));
    expect(policies.map((policy) => policy.PolicyName)).toEqual(exported.Policies.map((policy: { PolicyName: string }) => policy.PolicyName));
    expect(JSON.parse(decodeURIComponent(policies[0]?.PolicyVersionList?.[0]?.Document ?? ''))).toEqual(exported.Policies[0].PolicyVersionList[0].Document);
    // boto3 prints a missing count as null; IAM sends no element
    expect(policies[3]?.PermissionsBoundaryUsageCount).toBeUndefined();

    const ec2Role = roles.find((role) => role.RoleName === 'OverprivilegedEC2');
    expect(ec2Role?.InstanceProfileList?.[0]?.Roles?.[0]?.RoleName).toBe('OverprivilegedEC2');

    // no organization in this dataset
    expect((await rejectionOf(organizations.send(new ListAccountsCommand({})))).name).toBe('AWSOrganizationsNotInUseException');
  } finally {
    await sandbox.close();
  }
});

test('startDemo serves a dataset folder and hands the demo its endpoint and credential variables', async () => {
  const demo = await startDemo(FIXTURE_DIR, { now: new Date('2025-06-30T00:00:00Z') });
  try {
    expect(demo.sourceOverrides).toEqual({
      endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      credentials: { accessKeyIdEnv: 'NHI_DEMO_AWS_ACCESS_KEY_ID', secretAccessKeyEnv: 'NHI_DEMO_AWS_SECRET_ACCESS_KEY' },
    });
    expect(demo.env.NHI_DEMO_AWS_ACCESS_KEY_ID).toBe('AKIASANDBOXCOLLECTOR');
    expect(demo.env.NHI_DEMO_AWS_SECRET_ACCESS_KEY).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(demo.env.NHI_DEMO_AWS_EXTERNAL_ID).toBe('acme-nhi-audit');

    const { STSClient } = await import('@aws-sdk/client-sts');
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: demo.sourceOverrides.endpoint as string,
      credentials: { accessKeyId: demo.env.NHI_DEMO_AWS_ACCESS_KEY_ID ?? '', secretAccessKey: demo.env.NHI_DEMO_AWS_SECRET_ACCESS_KEY ?? '' },
    });
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('111111111111');
  } finally {
    await demo.close();
  }
});

test('secrets are new on every start', async () => {
  const dataset = await loadAwsSandboxDataset(FIXTURE_DIR);
  const [first, second] = await Promise.all([startAwsSandbox(dataset), startAwsSandbox(dataset)]);
  try {
    expect(first.baseCredentials.secretAccessKey).not.toBe(second.baseCredentials.secretAccessKey);
    const crossed = sandboxClients(first, second.baseCredentials, 1);
    expect((await rejectionOf(crossed.sts.send(new GetCallerIdentityCommand({})))).name).toBe('SignatureDoesNotMatch');
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});

test('an account file must sit in accounts/', async () => {
  const dir = join(scratch, 'no-accounts');
  await mkdir(dir, { recursive: true });
  const error = await loadError(dir);
  expect(error.message).toContain('no accounts/ folder');
});
