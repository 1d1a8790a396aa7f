import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector from '../../../connectors/gcp-iam/index.js';
import { loadDataset, type Dataset } from '../../../connectors/gcp-iam/sandbox/dataset.js';
import { collectFromRaw } from '../../../src/engine/from-raw.js';
import { byId, collectFrom, DEMO, removeRun, sandboxOn, type Run } from './helpers.js';

const ORG = 'organizations/418303000001';
const F = 'corvid-finance-prod';
const N = 'corvid-analytics';
const SETTINGS = { organization: ORG, assetInventory: { scope: ORG } };
const sa = (project: string, account: string) => `gcp-iam:${project}:${account.includes('@') ? account : `${account}@${project}.iam.gserviceaccount.com`}`;
const scope = (run: Run, name: string) => run.completeness.scopes.find((s) => s.scope === name)!;

let dataset: Dataset;
beforeAll(async () => {
  dataset = await loadDataset(path.join(DEMO, 'dataset.json'));
});

describe('unused permissions from IAM Recommender policy insights', () => {
  let sandbox: Awaited<ReturnType<typeof sandboxOn>>;
  let run: Run;
  beforeAll(async () => {
    sandbox = await sandboxOn(dataset);
    // Pages of one insight, so that the listing follows nextPageToken.
    run = await collectFrom(sandbox, sandbox.token, { ...SETTINGS, recommender: { pageSize: 1 } });
  });
  afterAll(async () => {
    await sandbox.close();
    await removeRun(run);
  });

  it('gives a partly used predefined role the permissions neither exercised nor inferred', () => {
    const usage = byId(run.identities, sa(F, 'revenue-export')).privilege.usage!;
    expect(usage.source).toBe('iam-recommender');
    expect(usage.observedDays).toBe(90);
    const role = dataset.predefinedRoles.find((r) => r.name === 'roles/bigquery.dataEditor')!;
    const used = ['bigquery.tables.get', 'bigquery.tables.getData', 'bigquery.tables.list', 'bigquery.tables.updateData', 'bigquery.datasets.get', 'resourcemanager.projects.get'];
    expect(usage.items.map((i) => i.name)).toEqual(role.includedPermissions.filter((p) => !used.includes(p)).sort());
    expect(usage.items.every((i) => i.kind === 'permission' && i.lastUsed === 'unknown')).toBe(true);
  });

  it('gives a binding that used nothing the whole role, and a fully used one nothing', () => {
    expect(byId(run.identities, sa(F, '804113500201-compute@developer.gserviceaccount.com')).privilege.usage?.items).toEqual([
      { kind: 'role', name: 'roles/editor', lastUsed: 'unknown' },
    ]);
    expect(byId(run.identities, sa(N, 'looker-export')).privilege.usage?.items).toEqual([]);
    // An account the Recommender has no insight about has no usage data: its bindings may be newer than the period.
    expect(byId(run.identities, sa(N, 'forecast-sandbox')).privilege.usage).toBeUndefined();
  });

  it('pages the insights, reads each predefined role once, and says in each scope that it had usage data', () => {
    const listing = run.completeness.scopes.flatMap((s) => s.operations).filter((o) => o.operation === 'recommender.insights.list');
    expect(listing.map((o) => [o.parameters.parent, o.pages, o.records]).sort()).toEqual([
      [`projects/${N}/locations/global/insightTypes/google.iam.policy.Insight`, 2, 2],
      [`projects/${F}/locations/global/insightTypes/google.iam.policy.Insight`, 2, 2],
    ]);
    expect(sandbox.calls.filter((c) => c.operation === 'iam.roles.get').map((c) => c.path).sort()).toEqual(['/v1/roles/bigquery.dataEditor', '/v1/roles/bigquery.dataViewer']);
    expect(scope(run, F).usage).toMatchObject({ source: 'iam-recommender', available: true, note: '2 active policy insights over 90 days' });
    expect(run.completeness.verdict).toBe('complete');
  });

  it('re-reads the same usage from the raw pages', async () => {
    const reread = await collectFromRaw(connector, run.packDir, run.completeness, new Date('2026-11-20T00:00:00Z'));
    expect(reread.identities.map((i) => [i.id, i.privilege.usage])).toEqual(run.identities.map((i) => [i.id, i.privilege.usage]));
  });
});

describe('when the Recommender cannot be read', () => {
  it('a denied Recommender leaves the project without usage data, recovered and said in the manifest', async () => {
    const sandbox = await sandboxOn(dataset, { denials: [{ operation: 'recommender', resource: F }] });
    const run = await collectFrom(sandbox, sandbox.token, SETTINGS);
    await sandbox.close();
    await removeRun(run);
    expect(run.completeness.verdict).toBe('complete');
    expect(scope(run, F).errors).toEqual([expect.objectContaining({ operation: 'recommender.insights.list', code: 'PERMISSION_DENIED', hint: expect.stringContaining('recommender.iamPolicyInsights.list') })]);
    expect(scope(run, F).usage).toMatchObject({ available: false, note: expect.stringContaining('denied') });
    expect(byId(run.identities, sa(F, 'revenue-export')).privilege.usage).toBeUndefined();
    expect(byId(run.identities, sa(N, 'looker-export')).privilege.usage).toBeDefined();
  });

  it('a role that cannot be read leaves the project incomplete, naming the operation', async () => {
    const sandbox = await sandboxOn(dataset, { faults: [{ connector: 'gcp-iam', operation: 'iam.roles.get', kind: '5xx' }] });
    const run = await collectFrom(sandbox, sandbox.token, { ...SETTINGS, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    await sandbox.close();
    await removeRun(run);
    expect(run.completeness.verdict).toBe('incomplete');
    expect(scope(run, F).errors).toEqual([expect.objectContaining({ operation: 'iam.roles.get', code: 'UNAVAILABLE' })]);
    expect(byId(run.identities, sa(F, 'revenue-export')).privilege.usage).toBeUndefined();
  });

  it('an answer with no insight while the policy binds the project’s accounts is unreadable, unless the source turns the Recommender off', async () => {
    const silent: Dataset = { ...dataset, projects: dataset.projects.map((p) => (p.project.projectId === F ? { ...p, 'x-recommender': { enabled: true, insights: [] } } : p)) };
    const sandbox = await sandboxOn(silent);
    const run = await collectFrom(sandbox, sandbox.token, SETTINGS);
    const off = await collectFrom(sandbox, sandbox.token, { ...SETTINGS, recommender: { enabled: false } });
    await sandbox.close();
    await Promise.all([removeRun(run), removeRun(off)]);
    expect(scope(run, F).verdict).toBe('incomplete');
    expect(scope(run, F).unreadable).toEqual([{ kind: 'usage', reason: expect.stringMatching(/listed no policy insight although the project's policy binds 6 of its service accounts/) }]);
    expect(off.completeness.verdict).toBe('complete');
    expect(scope(off, F).usage).toEqual({ source: 'iam-recommender', available: false, note: 'recommender.enabled is false: IAM Recommender was not asked' });
    expect(off.identities.every((i) => i.privilege.usage === undefined)).toBe(true);
  });
});
