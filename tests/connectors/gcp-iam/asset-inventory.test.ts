import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetSchema, type Dataset } from '../../../connectors/gcp-iam/sandbox/dataset.js';
import type { Identity } from '../../../src/sdk/index.js';
import { collectFrom, removeRun, sandboxOn } from './helpers.js';

const ORG = 'organizations/910000000001';
const PROJECTS = ['ledger-east-1', 'ledger-west-2', 'ledger-ops-3'];
const ACCOUNTS_PER_PROJECT = 40;

/** Three projects of forty accounts each; one account in ten has a user-managed key, as in most estates. */
function estate(): Dataset {
  return DatasetSchema.parse({
    organization: ORG,
    projects: PROJECTS.map((projectId, p) => ({
      project: { name: `projects/92000000000${p}`, projectId, parent: ORG, state: 'ACTIVE', createTime: '2024-01-01T00:00:00Z' },
      serviceAccounts: Array.from({ length: ACCOUNTS_PER_PROJECT }, (_, i) => {
        const email = `svc-${i}@${projectId}.iam.gserviceaccount.com`;
        return {
          name: `projects/${projectId}/serviceAccounts/${email}`,
          projectId,
          uniqueId: String(1_000_000 + p * 1000 + i),
          email,
          displayName: `Service ${i}`,
          'x-createTime': '2025-01-01T00:00:00Z',
          'x-authentications': i % 3 === 0 ? ['2026-11-10T12:00:00Z'] : [],
          'x-keys':
            i % 10 === 0
              ? [{ name: `projects/${projectId}/serviceAccounts/${email}/keys/${'ab'.repeat(19)}${p}${i % 10}`, keyType: 'USER_MANAGED', validAfterTime: '2026-06-01T00:00:00Z', validBeforeTime: '9999-12-31T23:59:59Z' }]
              : [],
        };
      }),
      iamPolicy: {
        etag: 'BwX1',
        bindings: [{ role: 'roles/viewer', members: [`serviceAccount:svc-1@${projectId}.iam.gserviceaccount.com`] }],
      },
      'x-policyAnalyzer': { observationStart: '2025-06-01T07:00:00Z' },
    })),
  });
}

/** What both routes must agree on; creation dates come only from the inventory. */
const comparable = (identities: Identity[]) => identities.map(({ rawRef: _r, createdAt: _c, ...rest }) => rest);

describe('Cloud Asset Inventory route', () => {
  let perProject: Awaited<ReturnType<typeof collectFrom>>;
  let orgWide: Awaited<ReturnType<typeof collectFrom>>;
  let perProjectCalls: number;
  let orgWideCalls: number;

  beforeAll(async () => {
    const sandbox = await sandboxOn(estate());
    perProject = await collectFrom(sandbox, sandbox.token, { organization: ORG });
    perProjectCalls = sandbox.calls.length;
    orgWide = await collectFrom(sandbox, sandbox.token, { organization: ORG, assetInventory: { scope: ORG } });
    orgWideCalls = sandbox.calls.length - perProjectCalls;
    await sandbox.close();
  });
  afterAll(async () => {
    await removeRun(perProject);
    await removeRun(orgWide);
  });

  it('yields the same identities as the per-project route', () => {
    // Only the inventory gives the projects and their accounts an independent count.
    expect(perProject.completeness.verdict).toBe('unreconciled');
    expect(orgWide.completeness.verdict).toBe('complete');
    expect(orgWide.identities).toHaveLength(PROJECTS.length * ACCOUNTS_PER_PROJECT);
    expect(comparable(orgWide.identities)).toEqual(comparable(perProject.identities));
    expect(orgWide.identities.filter((i) => i.credentials.length > 0)).toHaveLength(12);
  });

  it('makes far fewer calls: one search instead of a key listing per account', () => {
    // Per project: 1 account page, 40 key listings, 1 policy, 1 ancestry, 2 analyzer queries, 1 Recommender query
    // (disabled here); plus 2 discovery calls and the organization's policy, read once for the three projects under it.
    expect(perProjectCalls).toBe(2 + 1 + PROJECTS.length * (1 + ACCOUNTS_PER_PROJECT + 1 + 1 + 2 + 1));
    // 2 discovery calls, one search page (135 results of 500), the organization's policy, then per project: 1 account
    // page, 4 key listings, 1 policy, 1 ancestry, 2 queries, 1 Recommender query.
    expect(orgWideCalls).toBe(2 + 1 + 1 + PROJECTS.length * (1 + 4 + 1 + 1 + 2 + 1));
    expect(orgWideCalls * 4).toBeLessThan(perProjectCalls);
  });

  it('reconciles projects, accounts per project and keys per account with the inventory', () => {
    const org = orgWide.completeness.scopes.find((s) => s.scope === ORG)!;
    expect(org.reconciliations).toEqual([
      expect.objectContaining({ name: 'active projects: cloudresourcemanager.folders.list and cloudresourcemanager.projects.list vs cloudasset.searchAllResources', expected: 3, observed: 3, matches: true }),
    ]);
    for (const scope of orgWide.completeness.scopes.filter((s) => PROJECTS.includes(s.scope))) {
      expect(scope.reconciliations).toEqual([
        expect.objectContaining({ name: 'service accounts: iam.projects.serviceAccounts.list vs cloudasset.searchAllResources', expected: 40, observed: 40, matches: true }),
        expect.objectContaining({ name: 'accounts whose keys agree: iam.projects.serviceAccounts.keys.list vs cloudasset.searchAllResources', expected: 4, observed: 4, matches: true }),
      ]);
    }
    expect(perProject.completeness.scopes.every((s) => s.reconciliations.length === 0 && s.verdict === 'unreconciled')).toBe(true);
  });

  it('takes creation dates from the inventory', () => {
    expect(orgWide.identities.every((i) => i.createdAt === '2025-01-01T00:00:00.000Z')).toBe(true);
    expect(perProject.identities.every((i) => i.createdAt === null)).toBe(true);
  });
});

describe('Cloud Asset Inventory lagging behind IAM', () => {
  it('reports the count mismatch, marks the project incomplete, and still lists the unknown account keys', async () => {
    const lagging = 'svc-10@ledger-east-1.iam.gserviceaccount.com';
    const sandbox = await sandboxOn(estate(), { staleAssets: [lagging] });
    const run = await collectFrom(sandbox, sandbox.token, { assetInventory: { scope: ORG } });
    await sandbox.close();
    await removeRun(run);

    const east = run.completeness.scopes.find((s) => s.scope === 'ledger-east-1')!;
    expect(east.verdict).toBe('incomplete');
    expect(east.reconciliations[0]).toMatchObject({ expected: 39, observed: 40, matches: false });
    const listed = sandbox.calls.filter((c) => c.operation === 'iam.projects.serviceAccounts.keys.list').map((c) => c.path);
    expect(listed).toContain(`/v1/projects/ledger-east-1/serviceAccounts/${lagging}/keys`);
    expect(run.identities.find((i) => i.name === lagging)!.credentials).toHaveLength(1);
  });

  it('a denied inventory search marks its scope incomplete; configured projects are still read', async () => {
    const sandbox = await sandboxOn(estate(), { denials: [{ operation: 'cloudasset' }] });
    const run = await collectFrom(sandbox, sandbox.token, { assetInventory: { scope: ORG }, projects: ['ledger-ops-3'] });
    await sandbox.close();
    await removeRun(run);

    expect(run.completeness.verdict).toBe('incomplete');
    const org = run.completeness.scopes.find((s) => s.scope === ORG)!;
    expect(org.errors[0]).toMatchObject({ operation: 'cloudasset.searchAllResources', code: 'PERMISSION_DENIED', hint: expect.stringContaining('cloudasset') });
    // A project named in the configuration is still read in full through IAM.
    expect(run.identities).toHaveLength(ACCOUNTS_PER_PROJECT);
    expect(run.identities.every((i) => i.scope === 'ledger-ops-3')).toBe(true);
  });
});
