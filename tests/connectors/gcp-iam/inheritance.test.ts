import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../connectors/gcp-iam/sandbox/dataset.js';
import type { Denial } from '../../../connectors/gcp-iam/sandbox/index.js';
import { parseFaultSpec, type FaultSpec, type Identity } from '../../../src/sdk/index.js';
import { byId, collectFrom, removeRun, sandboxOn, TWO_PROJECTS, type Run } from './helpers.js';

const A = 'alpha-prod-1';
const B = 'beta-data-2';
const FOLDER = 'folders/620000000001';
const sa = (project: string, name: string) => `gcp-iam:${project}:${name}@${project}.iam.gserviceaccount.com`;
const grantOf = (identity: Identity, name: string) => identity.privilege.grants.find((g) => g.name === name);

async function collect(conditions: { denials?: Denial[]; faults?: FaultSpec[] } = {}, edit?: (dataset: Awaited<ReturnType<typeof loadDataset>>) => void) {
  const dataset = await loadDataset(TWO_PROJECTS);
  edit?.(dataset);
  const sandbox = await sandboxOn(dataset, conditions);
  const run = await collectFrom(sandbox, sandbox.token, { projects: [A, B], retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
  await sandbox.close();
  const calls = (operation: string) => sandbox.calls.filter((c) => c.operation === operation);
  return { run, calls };
}

describe('custom roles and inherited bindings over the wire', () => {
  let run: Run;
  let calls: (operation: string) => unknown[];

  beforeAll(async () => {
    ({ run, calls } = await collect());
  });
  afterAll(async () => removeRun(run));

  it('reads each ancestor and each custom role once, however many projects share it', () => {
    expect(run.completeness.verdict).toBe('unreconciled');
    expect(calls('cloudresourcemanager.projects.getAncestry')).toHaveLength(2);
    // Both projects sit under the organization; only alpha-prod-1 under the folder.
    expect(calls('cloudresourcemanager.organizations.getIamPolicy')).toHaveLength(1);
    expect(calls('cloudresourcemanager.folders.getIamPolicy')).toHaveLength(1);
    expect(calls('iam.projects.roles.get')).toHaveLength(1);
    expect(calls('iam.organizations.roles.get')).toHaveLength(1);
    // Kept in the first project under them, whichever project asked first.
    const alpha = run.completeness.scopes.find((s) => s.scope === A)!;
    expect(alpha.operations.map((o) => o.operation)).toEqual(
      expect.arrayContaining(['cloudresourcemanager.organizations.getIamPolicy', 'cloudresourcemanager.folders.getIamPolicy', 'iam.organizations.roles.get']),
    );
  });

  it("judges a project's custom role by its permissions instead of leaving it unknown", () => {
    const runner = byId(run.identities, sa(A, 'app-runner'));
    expect(grantOf(runner, 'projects/alpha-prod-1/roles/customExporter')).toMatchObject({
      ref: `projects/${A}`,
      level: 'write',
      flags: [],
      evidence: ['bigquery.jobs.create', 'bigquery.tables.export', 'custom role: 3 permissions'],
    });
    expect(runner.privilege.level).toBe('write');
  });

  it('keeps a disabled organization role bound on the folder, granting nothing and saying so', () => {
    const runner = byId(run.identities, sa(A, 'app-runner'));
    expect(grantOf(runner, 'organizations/610000000001/roles/legacyDeployer')).toEqual({
      via: 'binding',
      name: 'organizations/610000000001/roles/legacyDeployer',
      ref: FOLDER,
      level: 'none',
      flags: [],
      evidence: ['custom role disabled (stage DISABLED): grants nothing'],
    });
    expect(runner.privilege.flags).toEqual([]);
  });

  it('a deleted custom role grants nothing; enabled, the same role inherited from the folder escalates', async () => {
    const deleted = await collect({}, (d) => Object.assign(d.roles.find((r) => r.name.endsWith('/customExporter'))!, { deleted: true }));
    const enabled = await collect({}, (d) => Object.assign(d.roles.find((r) => r.name.endsWith('/legacyDeployer'))!, { stage: 'GA' }));
    try {
      expect(grantOf(byId(deleted.run.identities, sa(A, 'app-runner')), 'projects/alpha-prod-1/roles/customExporter')).toMatchObject({
        level: 'none',
        evidence: ['custom role deleted: grants nothing'],
      });
      const runner = byId(enabled.run.identities, sa(A, 'app-runner'));
      expect(grantOf(runner, 'organizations/610000000001/roles/legacyDeployer')).toMatchObject({ ref: FOLDER, flags: ['impersonation', 'privilege-escalation'] });
      expect(runner.privilege.flags).toEqual(['impersonation', 'privilege-escalation']);
    } finally {
      await removeRun(deleted.run);
      await removeRun(enabled.run);
    }
  });
});

describe('an ancestor that cannot be read', () => {
  it('denied: recovered in the manifest naming the folder, and the privilege of the accounts under it unknown with that reason', async () => {
    const { run } = await collect({ denials: [{ operation: 'cloudresourcemanager.folders.getIamPolicy', resource: FOLDER }] });
    try {
      expect(run.completeness.verdict).toBe('unreconciled');
      const alpha = run.completeness.scopes.find((s) => s.scope === A)!;
      // Its only other error is the recovered Recommender refusal of a project without insights (no usage data).
      expect(alpha.errors.filter((e) => e.operation !== 'recommender.insights.list')).toEqual([
        expect.objectContaining({ operation: 'cloudresourcemanager.folders.getIamPolicy', code: 'PERMISSION_DENIED', hint: expect.stringContaining(FOLDER) }),
      ]);
      for (const identity of run.identities.filter((i) => i.scope === A && i.privilege.level !== 'admin')) {
        expect(identity.privilege.level).toBe('unknown');
        expect(identity.privilege.grants).toContainEqual(expect.objectContaining({ ref: FOLDER, level: 'unknown', evidence: [`the allow policy of ${FOLDER} could not be read`] }));
      }
      // beta-data-2 is not under the folder.
      expect(byId(run.identities, sa(B, 'reporter')).privilege.level).toBe('read');
    } finally {
      await removeRun(run);
    }
  });

  it('denied custom role: recovered, and the binding unknown', async () => {
    const { run } = await collect({ denials: [{ operation: 'iam.projects.roles.get' }] });
    try {
      expect(run.completeness.verdict).toBe('unreconciled');
      expect(grantOf(byId(run.identities, sa(A, 'app-runner')), 'projects/alpha-prod-1/roles/customExporter')).toMatchObject({
        level: 'unknown',
        evidence: ['custom role could not be read'],
      });
    } finally {
      await removeRun(run);
    }
  });

  it.each([
    ['gcp-iam:cloudresourcemanager.organizations.getIamPolicy:5xx', 'cloudresourcemanager.organizations.getIamPolicy'],
    ['gcp-iam:cloudresourcemanager.projects.getAncestry:html', 'cloudresourcemanager.projects.getAncestry'],
    ['gcp-iam:iam.organizations.roles.get:empty-object', 'iam.organizations.roles.get'],
  ])('any other failure (%s) leaves the collection incomplete, naming the operation', async (spec, operation) => {
    const { run } = await collect({ faults: [parseFaultSpec(spec)] });
    try {
      expect(run.completeness.verdict).toBe('incomplete');
      expect(run.completeness.scopes.flatMap((s) => s.errors.map((e) => e.operation))).toContain(operation);
      expect(byId(run.identities, sa(A, 'app-runner')).privilege.level).toBe('unknown');
    } finally {
      await removeRun(run);
    }
  });
});
