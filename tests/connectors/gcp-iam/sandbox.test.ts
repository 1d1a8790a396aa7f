import { cloudresourcemanager } from '@googleapis/cloudresourcemanager';
import { iam } from '@googleapis/iam';
import { OAuth2Client } from 'google-auth-library';
import { createAPIRequest } from 'googleapis-common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudAsset, PolicyAnalyzer } from '../../../connectors/gcp-iam/rest.js';
import type { FaultKind } from '../../../src/sdk/index.js';
import { sandboxOn, TWO_PROJECTS } from './helpers.js';

const A = 'alpha-prod-1';
const noRetry = { retry: false } as const;

/** The sandbox as the real googleapis clients see it. */
describe('GCP sandbox wire', () => {
  let sandbox: Awaited<ReturnType<typeof sandboxOn>>;
  let clients: ReturnType<typeof clientsFor>;

  function clientsFor(token: string) {
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: token });
    const options = { auth, rootUrl: sandbox.rootUrl };
    return {
      iam: iam({ version: 'v1', ...options }),
      crm: cloudresourcemanager({ version: 'v3', ...options }),
      analyzer: new PolicyAnalyzer(options, { createAPIRequest }),
      assets: new CloudAsset(options, { createAPIRequest }),
    };
  }

  beforeAll(async () => {
    sandbox = await sandboxOn(TWO_PROJECTS);
    clients = clientsFor(sandbox.token);
  });
  afterAll(() => sandbox.close());

  it('requires the bearer token', async () => {
    const wrong = clientsFor('not-the-token');
    await expect(wrong.iam.projects.serviceAccounts.list({ name: `projects/${A}` }, noRetry)).rejects.toMatchObject({
      status: 401,
      response: { data: { error: { status: 'UNAUTHENTICATED' } } },
    });
  });

  it('pages service accounts with pageToken and rejects a token from another query', async () => {
    const first = await clients.iam.projects.serviceAccounts.list({ name: `projects/${A}`, pageSize: 4 });
    expect(first.data.accounts).toHaveLength(4);
    const second = await clients.iam.projects.serviceAccounts.list({ name: `projects/${A}`, pageSize: 4, pageToken: first.data.nextPageToken! });
    expect(second.data.accounts).toHaveLength(1);
    expect(second.data.nextPageToken).toBeUndefined();
    // What goes on the wire carries no sandbox-only `x-` field.
    expect(JSON.stringify([first.data, second.data])).not.toMatch(/"x-/);
    await expect(
      clients.iam.projects.serviceAccounts.list({ name: 'projects/beta-data-2', pageToken: first.data.nextPageToken! }, noRetry),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('hides what does not exist at the as-of date', async () => {
    const { data } = await clients.iam.projects.serviceAccounts.list({ name: `projects/${A}`, pageSize: 100 });
    const emails = data.accounts!.map((a) => a.email);
    expect(emails).not.toContain(`late-joiner@${A}.iam.gserviceaccount.com`);
    expect(emails).not.toContain(`old-batch@${A}.iam.gserviceaccount.com`);
  });

  it('filters keys by type, answers {} for none, and 404s (or 403s through `-`) an unknown account', async () => {
    const account = `projects/${A}/serviceAccounts/key-never@${A}.iam.gserviceaccount.com`;
    const all = await clients.iam.projects.serviceAccounts.keys.list({ name: account });
    expect(all.data.keys!.map((k) => k.keyType).sort()).toEqual(['SYSTEM_MANAGED', 'USER_MANAGED']);
    const user = await clients.iam.projects.serviceAccounts.keys.list({ name: account, keyTypes: ['USER_MANAGED'] });
    expect(user.data.keys!.map((k) => k.keyType)).toEqual(['USER_MANAGED']);
    const none = await clients.iam.projects.serviceAccounts.keys.list({ name: `projects/${A}/serviceAccounts/${A}@appspot.gserviceaccount.com` });
    expect(none.data).toEqual({});
    await expect(clients.iam.projects.serviceAccounts.keys.list({ name: `projects/${A}/serviceAccounts/nobody@x.iam.gserviceaccount.com` }, noRetry)).rejects.toMatchObject({ status: 404 });
    await expect(clients.iam.projects.serviceAccounts.keys.list({ name: 'projects/-/serviceAccounts/nobody@x.iam.gserviceaccount.com' }, noRetry)).rejects.toMatchObject({ status: 403 });
  });

  it('answers getIamPolicy v3 with conditions and v1 with conditions folded into role names', async () => {
    const v3 = await clients.crm.projects.getIamPolicy({ resource: `projects/${A}`, requestBody: { options: { requestedPolicyVersion: 3 } } });
    expect(v3.data.version).toBe(3);
    expect(v3.data.bindings!.find((b) => b.role === 'roles/storage.objectViewer')!.condition).toMatchObject({ title: 'until 2027' });
    // A deleted account still bound reads as Google shows it; one not created yet is not bound.
    expect(v3.data.bindings!.find((b) => b.role === 'roles/logging.logWriter')!.members).toEqual([
      `deleted:serviceAccount:old-batch@${A}.iam.gserviceaccount.com?uid=100000000000000000006`,
    ]);
    const v1 = await clients.crm.projects.getIamPolicy({ resource: `projects/${A}`, requestBody: {} });
    expect(v1.data.version).toBe(1);
    expect(v1.data.bindings!.some((b) => /^roles\/storage\.objectViewer_withcond_[0-9a-f]+$/.test(b.role!) && !b.condition)).toBe(true);
  });

  it('lists projects and folders under a parent', async () => {
    const folders = await clients.crm.folders.list({ parent: 'organizations/610000000001' });
    expect(folders.data.folders!.map((f) => f.name)).toEqual(['folders/620000000001']);
    const projects = await clients.crm.projects.list({ parent: 'folders/620000000001' });
    expect(projects.data.projects!.map((p) => p.projectId)).toEqual([A]);
    await expect(clients.crm.projects.list({ parent: 'folders/1' }, noRetry)).rejects.toMatchObject({ status: 403 });
  });

  it('answers activities:query for both activity types, with a full_resource_name filter', async () => {
    const parent = (type: string) => `projects/${A}/locations/global/activityTypes/${type}`;
    const accounts = await clients.analyzer.query({ parent: parent('serviceAccountLastAuthentication') });
    expect(accounts.data.activities!.map((a) => a.fullResourceName)).toEqual([
      `//iam.googleapis.com/projects/${A}/serviceAccounts/710000000001-compute@developer.gserviceaccount.com`,
      `//iam.googleapis.com/projects/${A}/serviceAccounts/app-runner@${A}.iam.gserviceaccount.com`,
    ]);
    expect(accounts.data.activities![0]).toMatchObject({
      activityType: 'serviceAccountLastAuthentication',
      observationPeriod: { startTime: '2025-06-01T07:00:00Z', endTime: '2026-11-19T08:00:00Z' },
      activity: { lastAuthenticatedTime: '2026-07-14T07:00:00Z', serviceAccount: { serviceAccountId: '100000000000000000002', projectNumber: '710000000001' } },
    });
    const keys = await clients.analyzer.query({ parent: parent('serviceAccountKeyLastAuthentication') });
    const filtered = await clients.analyzer.query({
      parent: parent('serviceAccountKeyLastAuthentication'),
      filter: `activities.full_resource_name="${keys.data.activities![0]!.fullResourceName}"`,
    });
    expect(filtered.data.activities).toEqual(keys.data.activities);
    expect(filtered.data.activities![0]!.activity).toMatchObject({ lastAuthenticatedTime: '2026-11-18T08:00:00Z' });
    const nothing = await clients.analyzer.query({ parent: parent('serviceAccountKeyLastAuthentication'), filter: `activities.fullResourceName = "//iam.googleapis.com/projects/${A}/serviceAccounts/nobody/keys/none"` });
    expect(nothing.data).toEqual({});
    await expect(clients.analyzer.query({ parent: parent('serviceAccountLastAuthentication'), filter: 'nonsense' }, noRetry)).rejects.toMatchObject({ status: 400 });
  });

  it('answers SERVICE_DISABLED where the Policy Analyzer API is off', async () => {
    await expect(
      clients.analyzer.query({ parent: 'projects/beta-data-2/locations/global/activityTypes/serviceAccountLastAuthentication' }, noRetry),
    ).rejects.toMatchObject({ status: 403, response: { data: { error: { status: 'PERMISSION_DENIED', details: [{ reason: 'SERVICE_DISABLED' }] } } } });
  });

  it('searches service accounts and keys across the organization', async () => {
    const { data } = await clients.assets.searchAllResources({
      scope: 'organizations/610000000001',
      assetTypes: ['iam.googleapis.com/ServiceAccount', 'iam.googleapis.com/ServiceAccountKey'],
      pageSize: 500,
    });
    const types = data.results!.map((r) => r.assetType);
    expect(types.filter((t) => t === 'iam.googleapis.com/ServiceAccount')).toHaveLength(7);
    expect(types.filter((t) => t === 'iam.googleapis.com/ServiceAccountKey')).toHaveLength(5);
    expect(data.results!.find((r) => r.additionalAttributes?.email === `key-never@${A}.iam.gserviceaccount.com`)).toMatchObject({
      name: `//iam.googleapis.com/projects/${A}/serviceAccounts/100000000000000000004`,
      project: 'projects/710000000001',
      createTime: '2026-02-01T00:00:00Z',
    });
    const folderOnly = await clients.assets.searchAllResources({ scope: 'folders/620000000001', assetTypes: ['iam.googleapis.com/ServiceAccount'], pageSize: 500 });
    expect(folderOnly.data.results!.every((r) => r.project === 'projects/710000000001')).toBe(true);
  });

  it('refuses what a denial names, per operation and resource, and logs every call', async () => {
    const denying = await sandboxOn(TWO_PROJECTS, { denials: [{ operation: 'cloudresourcemanager', resource: 'beta-data-2' }] });
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: denying.token });
    const crm = cloudresourcemanager({ version: 'v3', auth, rootUrl: denying.rootUrl });
    await expect(crm.projects.getIamPolicy({ resource: 'projects/710000000002', requestBody: {} }, noRetry)).rejects.toMatchObject({ status: 403 });
    await expect(crm.projects.getIamPolicy({ resource: `projects/${A}`, requestBody: {} }, noRetry)).resolves.toMatchObject({ status: 200 });
    await denying.close();
    expect(denying.calls.map((c) => [c.operation, c.resource, c.status])).toEqual([
      ['cloudresourcemanager.projects.getIamPolicy', 'beta-data-2', 403],
      ['cloudresourcemanager.projects.getIamPolicy', A, 200],
    ]);
  });
});

/** The shared fault vocabulary as Google's REST APIs speak it, seen on the wire. */
describe('GCP sandbox faults', () => {
  let sandbox: Awaited<ReturnType<typeof sandboxOn>>;
  const accounts = `/v1/projects/${A}/serviceAccounts`;
  const get = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, sandbox.rootUrl), { ...init, headers: { authorization: `Bearer ${sandbox.token}` } });
  const json = async (path: string) => (await (await get(path)).json()) as { accounts?: Array<Record<string, unknown>>; nextPageToken?: string };
  const faults = (kind: FaultKind, times?: number) =>
    sandbox.faults.set([{ connector: 'gcp-iam', operation: 'iam.projects.serviceAccounts.list', kind, ...(times ? { times } : {}) }]);

  beforeAll(async () => {
    sandbox = await sandboxOn(TWO_PROJECTS);
  });
  afterEach(() => sandbox.faults.set([]));
  afterAll(() => sandbox.close());

  it('fails each distinct request `times` times, then answers it; without times, always', async () => {
    faults('throttle', 1);
    const throttled = await get(`${accounts}?pageSize=2`);
    expect([throttled.status, ((await throttled.json()) as { error: { status: string } }).error.status]).toEqual([429, 'RESOURCE_EXHAUSTED']);
    expect((await get(`${accounts}?pageSize=2`)).status).toBe(200);
    // Another page is another request: it meets the fault once too.
    const { nextPageToken } = await json(`${accounts}?pageSize=2`);
    expect((await get(`${accounts}?pageSize=2&pageToken=${nextPageToken}`)).status).toBe(429);
    faults('5xx');
    expect([(await get(accounts)).status, (await get(accounts)).status]).toEqual([503, 503]);
  });

  it('answers html, {}, a truncated body with its own length, or drops the records\' emails', async () => {
    faults('html');
    const html = await get(accounts);
    expect([html.status, html.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    faults('empty-object');
    expect(await (await get(accounts)).text()).toBe('{}');
    faults('truncate');
    const truncated = await get(accounts);
    const text = await truncated.text();
    expect(Number(truncated.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect(() => JSON.parse(text)).toThrow();
    faults('drop-field');
    const { accounts: dropped } = await json(accounts);
    expect(dropped!.length).toBe(5);
    expect(dropped!.every((a) => a.email === undefined && typeof a.uniqueId === 'string')).toBe(true);
  });

  it('resets, or hangs until the client gives up, and still closes', async () => {
    faults('reset');
    await expect(get(accounts)).rejects.toThrow();
    faults('hang');
    await expect(get(accounts, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sandbox.calls.slice(-2).map((c) => c.status)).toEqual([0, 0]);
  });

  it('breaks paging: a repeated token, a fresh token to the same page, an empty page that claims more', async () => {
    const first = await json(`${accounts}?pageSize=2`);
    faults('repeat-cursor');
    // The first page was reached by no token, so it has none to repeat.
    expect((await json(`${accounts}?pageSize=2`)).nextPageToken).toBe(first.nextPageToken);
    const second = await json(`${accounts}?pageSize=2&pageToken=${first.nextPageToken}`);
    expect(second.nextPageToken).toBe(first.nextPageToken);
    faults('self-link');
    const self = await json(`${accounts}?pageSize=2`);
    expect(self.accounts).toEqual(first.accounts);
    expect(self.nextPageToken).not.toBe(first.nextPageToken);
    faults('empty-page-more');
    const empty = await json(`${accounts}?pageSize=2`);
    expect(empty.accounts).toBeUndefined();
    sandbox.faults.set([]);
    // Both lead back to the first page.
    expect((await json(`${accounts}?pageSize=2&pageToken=${self.nextPageToken}`)).accounts).toEqual(first.accounts);
    expect((await json(`${accounts}?pageSize=2&pageToken=${empty.nextPageToken}`)).accounts).toEqual(first.accounts);
  });
});
