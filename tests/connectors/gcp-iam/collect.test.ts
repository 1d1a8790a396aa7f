import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../../src/sdk/index.js';
import { resolveRawRef } from '../../helpers/raw-ref.js';
import { byId, collectFrom, removeRun, sandboxOn, TWO_PROJECTS, type Run } from './helpers.js';

const A = 'alpha-prod-1';
const B = 'beta-data-2';
const sa = (project: string, name: string) => `gcp-iam:${project}:${name}@${project}.iam.gserviceaccount.com`;

describe('collecting two projects from the sandbox', () => {
  let sandbox: Awaited<ReturnType<typeof sandboxOn>>;
  let run: Run;
  let identities: Identity[];

  beforeAll(async () => {
    sandbox = await sandboxOn(TWO_PROJECTS, { token: 'canary-gcp-token-7f3a9c' });
    // Small pages so that service accounts and activities each take several pages.
    run = await collectFrom(sandbox, sandbox.token, { projects: [A, B], pageSize: { serviceAccounts: 2, activities: 1 } });
    identities = run.identities;
  });
  afterAll(async () => {
    await sandbox.close();
    await removeRun(run);
  });

  it('reads every service account of both projects, following nextPageToken', () => {
    // Read without a fault, but with nothing to count the projects' accounts against (no asset inventory).
    expect(run.completeness.verdict).toBe('unreconciled');
    expect(run.completeness.scopes.map((s) => [s.scope, s.verdict, s.reconciliations.length])).toEqual([
      [A, 'unreconciled', 0],
      [B, 'unreconciled', 0],
    ]);
    expect(identities.map((i) => i.id)).toEqual([
      `gcp-iam:${A}:710000000001-compute@developer.gserviceaccount.com`,
      `gcp-iam:${A}:${A}@appspot.gserviceaccount.com`,
      sa(A, 'app-runner'),
      sa(A, 'key-never'),
      sa(A, 'retired'),
      sa(B, 'etl'),
      sa(B, 'reporter'),
    ]);
    const alpha = run.completeness.scopes.find((s) => s.scope === A)!;
    const listing = alpha.operations.find((o) => o.operation === 'iam.projects.serviceAccounts.list')!;
    expect(listing).toMatchObject({ pages: 3, records: 5, parameters: { name: `projects/${A}`, pageSize: 2 } });
    const saPages = sandbox.calls.filter((c) => c.operation === 'iam.projects.serviceAccounts.list' && c.resource === A);
    expect(saPages.map((c) => c.query.pageToken === undefined)).toEqual([true, false, false]);
  });

  it('pages through Policy Analyzer records too', () => {
    const alpha = run.completeness.scopes.find((s) => s.scope === A)!;
    const queries = alpha.operations.filter((o) => o.operation === 'policyanalyzer.activities.query');
    // Account records: app-runner, compute default; key records: app-runner's key. One record per page.
    expect(queries.map((q) => [String(q.parameters.parent).split('/').pop(), q.pages, q.records])).toEqual([
      ['serviceAccountLastAuthentication', 2, 2],
      ['serviceAccountKeyLastAuthentication', 1, 1],
    ]);
  });

  it('converts Policy Analyzer days to the first UTC instant of the PST day', () => {
    const runner = byId(identities, sa(A, 'app-runner'));
    // Account: 2026-11-19T08:30Z is 00:30 PST on Nov 19; its key: 07:30Z is 23:30 PST on Nov 18.
    expect(runner.lastUsed).toEqual({ at: '2026-11-19T08:00:00.000Z' });
    expect(runner.credentials[0]!.lastUsed).toEqual({ at: '2026-11-18T08:00:00.000Z' });
    // 2026-07-15T07:30Z is 00:30 PDT but 23:30 PST on Jul 14.
    const compute = byId(identities, `gcp-iam:${A}:710000000001-compute@developer.gserviceaccount.com`);
    expect(compute.lastUsed).toEqual({ at: '2026-07-14T08:00:00.000Z' });
  });

  it('keeps never, not-since and unknown apart', () => {
    const never = byId(identities, sa(A, 'key-never'));
    expect(never.credentials.map((c) => [c.id.length, c.lastUsed])).toEqual([[40, 'never']]);
    expect(never.lastUsed).toEqual({ notSince: '2025-06-01T07:00:00.000Z' });
    // beta's Policy Analyzer API is disabled: its accounts and keys have no usage data at all.
    const etl = byId(identities, sa(B, 'etl'));
    expect(etl.lastUsed).toBe('unknown');
    expect(etl.credentials[0]!.lastUsed).toBe('unknown');
    const beta = run.completeness.scopes.find((s) => s.scope === B)!;
    expect(beta.verdict).toBe('unreconciled');
    // The fixture has no Recommender either: recovered, as the scope's usage says. The three calls run side by side.
    expect(beta.errors).toHaveLength(3);
    expect(beta.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ operation: 'recommender.insights.list', code: 'PERMISSION_DENIED' }),
        expect.objectContaining({ operation: 'policyanalyzer.activities.query', code: 'PERMISSION_DENIED', hint: expect.stringContaining('roles/policyanalyzer.activityAnalysisViewer') }),
      ]),
    );
    expect(beta.usage).toMatchObject({ source: 'iam-recommender', available: false });
  });

  it('reads 9999-12-31 as no expiry and leaves system-managed keys out of the credentials', () => {
    const never = byId(identities, sa(A, 'key-never'));
    expect(never.credentials).toHaveLength(1);
    expect(never.credentials[0]).toMatchObject({ expiresAt: null, status: 'active', createdAt: '2026-03-01T12:00:00.000Z' });
    const runner = byId(identities, sa(A, 'app-runner'));
    expect(runner.credentials[0]!.expiresAt).toBe('2027-01-01T10:00:00.000Z');
    // Keys of every type are listed, as the inventory counts them; only user-managed ones are credentials.
    expect(sandbox.calls.filter((c) => c.operation === 'iam.projects.serviceAccounts.keys.list').every((c) => c.query.keyTypes === undefined)).toBe(true);
  });

  it('flags the default compute and App Engine accounts', () => {
    const compute = byId(identities, `gcp-iam:${A}:710000000001-compute@developer.gserviceaccount.com`);
    expect(compute.tags['gcp:default-service-account']).toBe('compute');
    expect(compute.classification.reason).toMatch(/Compute Engine default service account/);
    expect(compute.privilege).toMatchObject({ level: 'admin', flags: expect.arrayContaining(['admin', 'credential-creation']) });
    const appengine = byId(identities, `gcp-iam:${A}:${A}@appspot.gserviceaccount.com`);
    expect(appengine.tags['gcp:default-service-account']).toBe('appengine');
    expect(byId(identities, sa(A, 'app-runner')).tags['gcp:default-service-account']).toBeUndefined();
  });

  it('normalizes bindings: owner is admin, token creator escalates, key admin creates credentials', () => {
    expect(byId(identities, sa(B, 'etl')).privilege).toMatchObject({ level: 'admin', flags: expect.arrayContaining(['admin', 'iam-write']) });
    expect(byId(identities, sa(A, 'key-never')).privilege).toMatchObject({ level: 'write', flags: ['impersonation', 'privilege-escalation'] });
    expect(byId(identities, sa(A, 'retired')).privilege.flags).toEqual(['admin', 'credential-creation', 'privilege-escalation']);
    expect(byId(identities, sa(B, 'reporter')).privilege.level).toBe('read');
    expect(byId(identities, sa(A, 'app-runner')).trust).toEqual([
      { type: 'account', value: `serviceAccount:key-never@${A}.iam.gserviceaccount.com`, conditioned: false },
      { type: 'account', value: 'user:ops@example.test', conditioned: false },
    ]);
  });

  it('reads a disabled account and key as disabled and inactive', () => {
    const retired = byId(identities, sa(A, 'retired'));
    expect(retired.status).toBe('disabled');
    expect(retired.credentials[0]!.status).toBe('inactive');
  });

  it('requests policy version 3 and keeps the conditions', () => {
    const policyCall = sandbox.calls.find((c) => c.operation === 'cloudresourcemanager.projects.getIamPolicy')!;
    expect(policyCall.method).toBe('POST');
    const grant = byId(identities, sa(A, 'app-runner')).privilege.grants.find((g) => g.name === 'roles/storage.objectViewer')!;
    expect(grant.evidence).toContain('condition: until 2027: request.time < timestamp("2027-01-01T00:00:00Z")');
  });

  it('lets the canary token reach no raw page, log line or identity', async () => {
    const canary = sandbox.token;
    const files = await run.rawFiles();
    expect(files.size).toBeGreaterThan(10);
    for (const [file, text] of files) expect(text.includes(canary), file).toBe(false);
    expect(run.logs.some((line) => line.includes(canary))).toBe(false);
    expect(JSON.stringify(identities)).not.toContain(canary);
    expect(JSON.stringify(run.completeness)).not.toContain(canary);
  });

  it('points each identity at the raw page it came from', async () => {
    const files = await run.rawFiles();
    const runner = byId(identities, sa(A, 'app-runner'));
    const { value: account } = resolveRawRef(runner.rawRef, (file) => files.get(file)!);
    expect(account).toMatchObject({ email: `app-runner@${A}.iam.gserviceaccount.com` });
  });
});

describe('retries', () => {
  it('retries 429 and 503, including the POST getIamPolicy, and counts the retries', async () => {
    const sandbox = await sandboxOn(TWO_PROJECTS, {
      faults: [
        { connector: 'gcp-iam', operation: 'cloudresourcemanager.projects.getIamPolicy', kind: 'throttle', times: 2 },
        { connector: 'gcp-iam', operation: 'iam.projects.serviceAccounts.list', kind: '5xx', times: 1 },
        { connector: 'gcp-iam', operation: 'policyanalyzer.activities.query', kind: '5xx', times: 1 },
      ],
    });
    const run = await collectFrom(sandbox, sandbox.token, { projects: [A] });
    await sandbox.close();
    await removeRun(run);

    expect(run.completeness.verdict).toBe('unreconciled');
    expect(run.identities).toHaveLength(5);
    const policyCalls = sandbox.calls.filter((c) => c.operation === 'cloudresourcemanager.projects.getIamPolicy');
    expect(policyCalls.map((c) => [c.method, c.status])).toEqual([
      ['POST', 429],
      ['POST', 429],
      ['POST', 200],
    ]);
    const ops = run.completeness.scopes.find((s) => s.scope === A)!.operations;
    expect(ops.find((o) => o.operation === 'cloudresourcemanager.projects.getIamPolicy')!.retries).toBe(2);
    expect(ops.find((o) => o.operation === 'iam.projects.serviceAccounts.list')!.retries).toBe(1);
    // Each of the two analyzer queries met its 503 once.
    expect(ops.filter((o) => o.operation === 'policyanalyzer.activities.query').map((o) => o.retries)).toEqual([1, 1]);
  });

  it('gives up after the configured attempts and marks the project incomplete', async () => {
    const sandbox = await sandboxOn(TWO_PROJECTS, {
      faults: [{ connector: 'gcp-iam', operation: 'cloudresourcemanager.projects.getIamPolicy', kind: '5xx' }],
    });
    const run = await collectFrom(sandbox, sandbox.token, { projects: [A], retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    await sandbox.close();
    await removeRun(run);

    expect(sandbox.calls.filter((c) => c.operation === 'cloudresourcemanager.projects.getIamPolicy')).toHaveLength(3);
    const alpha = run.completeness.scopes.find((s) => s.scope === A)!;
    expect(alpha.verdict).toBe('incomplete');
    expect(alpha.errors).toHaveLength(2);
    expect(alpha.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ operation: 'recommender.insights.list', code: 'PERMISSION_DENIED' }),
        expect.objectContaining({ operation: 'cloudresourcemanager.projects.getIamPolicy', code: 'UNAVAILABLE' }),
      ]),
    );
    // The accounts are still reported, with their privilege unknown rather than none.
    expect(run.identities.every((i) => i.privilege.level === 'unknown')).toBe(true);
  });
});

describe('permission denied', () => {
  it('marks the denied project incomplete while the other project completes', async () => {
    const sandbox = await sandboxOn(TWO_PROJECTS, {
      denials: [{ operation: 'iam.projects.serviceAccounts.list', resource: B }],
    });
    const run = await collectFrom(sandbox, sandbox.token, { projects: [A, B] });
    await sandbox.close();
    await removeRun(run);

    expect(run.completeness.verdict).toBe('incomplete');
    const [alpha, beta] = [A, B].map((p) => run.completeness.scopes.find((s) => s.scope === p)!);
    expect(alpha!.verdict).toBe('unreconciled');
    expect(beta!.verdict).toBe('incomplete');
    expect(beta!.errors).toEqual([
      expect.objectContaining({
        operation: 'iam.projects.serviceAccounts.list',
        code: 'PERMISSION_DENIED',
        hint: expect.stringContaining('iam.serviceAccounts.list'),
      }),
    ]);
    // 403 is not retried.
    expect(sandbox.calls.filter((c) => c.operation === 'iam.projects.serviceAccounts.list' && c.resource === B)).toHaveLength(1);
    expect(run.identities.every((i) => i.scope === A)).toBe(true);
    expect(run.identities).toHaveLength(5);
  });

  it('reports a missing token variable as a source failure that names the variable only', async () => {
    const sandbox = await sandboxOn(TWO_PROJECTS);
    const run = await collectFrom(sandbox, sandbox.token, { projects: [A], accessTokenEnv: 'GCP_UNSET_TOKEN' });
    await sandbox.close();
    await removeRun(run);
    expect(run.completeness.verdict).toBe('incomplete');
    expect(run.completeness.errors).toEqual([expect.stringContaining('GCP_UNSET_TOKEN is not set')]);
  });

  it('reports a rejected token as UNAUTHENTICATED without echoing it', async () => {
    const sandbox = await sandboxOn(TWO_PROJECTS);
    const run = await collectFrom(sandbox, 'canary-wrong-token-51d2', { projects: [A] });
    await sandbox.close();
    await removeRun(run);
    const alpha = run.completeness.scopes.find((s) => s.scope === A)!;
    expect(alpha.errors[0]).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(JSON.stringify(run.completeness) + run.logs.join('\n')).not.toContain('canary-wrong-token-51d2');
  });
});

describe('project discovery', () => {
  it('finds every project under the organization through its folders', async () => {
    const sandbox = await sandboxOn(TWO_PROJECTS);
    const run = await collectFrom(sandbox, sandbox.token, { organization: '610000000001' });
    await sandbox.close();
    await removeRun(run);
    expect(new Set(run.identities.map((i) => i.scope))).toEqual(new Set([A, B]));
    const org = run.completeness.scopes.find((s) => s.scope === 'organizations/610000000001')!;
    expect(org.operations.map((o) => `${o.operation} ${String(o.parameters.parent)}`).sort()).toEqual([
      'cloudresourcemanager.folders.list folders/620000000001',
      'cloudresourcemanager.folders.list organizations/610000000001',
      'cloudresourcemanager.projects.list folders/620000000001',
      'cloudresourcemanager.projects.list organizations/610000000001',
    ]);
  });
});
