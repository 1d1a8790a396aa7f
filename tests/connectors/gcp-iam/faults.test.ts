import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetSchema, loadDataset } from '../../../connectors/gcp-iam/sandbox/dataset.js';
import { parseFaultSpec } from '../../../src/sdk/index.js';
import { failureText, startMatrix, type MatrixHarness } from '../../helpers/fault-matrix.js';
import { collectFrom, removeRun, sandboxOn, TWO_PROJECTS } from './helpers.js';

const A = 'alpha-prod-1';
const FAST = { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } };

/** The faults issue 9 found in the GCP collection, each on the demo organization. */
describe('gcp-iam under faults the issue names', () => {
  let harness: MatrixHarness;
  beforeAll(async () => {
    harness = await startMatrix({ connector: 'gcp-iam', settings: FAST });
  });
  afterAll(() => harness.close());

  it.each(['html', 'empty-object'])('every call answered 200 %s: incomplete, never 0 identities passed off as read', async (kind) => {
    const result = await harness.run([parseFaultSpec(`gcp-iam:*:${kind}`)]);
    expect(result.identities).toEqual([]);
    expect(result.completeness.verdict).toBe('incomplete');
    expect(failureText(result)).toContain('cloudasset.searchAllResources');
    expect(failureText(result)).toContain('cloudresourcemanager.folders.list');
  });

  it('a garbled getIamPolicy is retried, then the project is incomplete and privilege unknown, never none', async () => {
    const result = await harness.run([parseFaultSpec('gcp-iam:cloudresourcemanager.projects.getIamPolicy:truncate')]);
    expect(result.completeness.verdict).toBe('incomplete');
    expect(result.identities).toHaveLength(11);
    for (const identity of result.identities) {
      expect(identity.privilege.grants).toContainEqual(expect.objectContaining({ name: 'allow policy', ref: `projects/${identity.scope}`, level: 'unknown' }));
    }
    // Unknown, short of what the policies that were read show: the Analytics folder makes dbt-runner an administrator.
    const levels = new Map(result.identities.map((i) => [i.name.split('@')[0], i.privilege.level]));
    expect(levels.get('dbt-runner')).toBe('admin');
    expect(new Set([...levels].filter(([name]) => name !== 'dbt-runner').map(([, level]) => level))).toEqual(new Set(['unknown']));
    for (const scope of result.completeness.scopes.filter((s) => !s.scope.startsWith('organizations/'))) {
      expect(scope.errors).toEqual([expect.objectContaining({ operation: 'cloudresourcemanager.projects.getIamPolicy', code: 'InvalidResponse' })]);
    }
  });

  it('a garbled key listing is retried, then the project is incomplete naming it, never fewer keys', async () => {
    const result = await harness.run([parseFaultSpec('gcp-iam:iam.projects.serviceAccounts.keys.list:html')]);
    expect(result.completeness.verdict).toBe('incomplete');
    const errors = result.completeness.scopes.flatMap((s) => s.errors);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.operation === 'iam.projects.serviceAccounts.keys.list')).toBe(true);
    expect(errors.some((e) => e.code === 'InvalidResponse')).toBe(true);
  });

  it('one timeout per request is retried and ends as the fault-free run did, the retries counted', async () => {
    const result = await harness.run([parseFaultSpec('gcp-iam:*:hang:1')]);
    expect(result.completeness.verdict).toBe(harness.baseline.completeness.verdict);
    expect(result.identities.map(({ rawRef: _r, ...rest }) => rest)).toEqual(harness.baseline.identities.map(({ rawRef: _r, ...rest }) => rest));
    const operations = result.completeness.scopes.flatMap((s) => s.operations);
    // Every request met its timeout once: each page kept took two attempts at least (a loaded machine may add one).
    expect(operations.every((o) => o.retries >= o.pages)).toBe(true);
  });

  it('a connection that stays hung is retried, then incomplete naming the operation', async () => {
    const result = await harness.run([parseFaultSpec('gcp-iam:cloudresourcemanager.projects.getIamPolicy:hang')]);
    expect(result.completeness.verdict).toBe('incomplete');
    const errors = result.completeness.scopes.flatMap((s) => s.errors);
    expect(errors).toEqual([
      expect.objectContaining({ operation: 'cloudresourcemanager.projects.getIamPolicy', code: 'TimeoutError', message: 'no complete answer within 1000 ms (timeouts.requestMs)' }),
      expect.objectContaining({ operation: 'cloudresourcemanager.projects.getIamPolicy', code: 'TimeoutError' }),
    ]);
  });
});

describe("the source's deadline", () => {
  it('aborts a request in flight: a hung answer does not hold the source past sourceMs', async () => {
    const sandbox = await sandboxOn(TWO_PROJECTS, { faults: [{ connector: 'gcp-iam', operation: 'iam.projects.serviceAccounts.list', kind: 'hang' }] });
    const run = await collectFrom(sandbox, sandbox.token, { projects: [A], timeouts: { requestMs: 600_000, sourceMs: 300 } });
    await sandbox.close();
    await removeRun(run);
    expect(run.completeness.verdict).toBe('incomplete');
    expect(run.completeness.errors).toEqual([expect.stringContaining('passed its deadline')]);
    // Aborted, not retried.
    expect(sandbox.calls.filter((c) => c.operation === 'iam.projects.serviceAccounts.list')).toHaveLength(1);
  });
});

describe('Policy Analyzer with nothing to say', () => {
  it('a project where neither activity type has a record is not read as complete: last use cannot be shown', async () => {
    const dataset = await loadDataset(TWO_PROJECTS);
    const silent = DatasetSchema.parse(JSON.parse(JSON.stringify(dataset), (key, value: unknown) => (key === 'x-authentications' ? [] : value)));
    const sandbox = await sandboxOn(silent);
    const run = await collectFrom(sandbox, sandbox.token, { projects: [A] });
    await sandbox.close();
    await removeRun(run);
    const alpha = run.completeness.scopes.find((s) => s.scope === A)!;
    expect(alpha.verdict).toBe('incomplete');
    expect(alpha.unreadable).toEqual([{ kind: 'last use', reason: expect.stringContaining('policyanalyzer.activities.query answered with no record of either activity type') }]);
    expect(run.identities.every((i) => i.lastUsed === 'unknown' && i.credentials.every((c) => c.lastUsed === 'unknown'))).toBe(true);
  });
});
