import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Fault, type GitHubSandbox } from '../../../connectors/github/sandbox/index.js';
import { collect, FIXTURE_NOW, loadFixture } from './harness.js';

const TOKEN = 'ghp_resilienceToken000000000000000000001';
let sandbox: GitHubSandbox | undefined;
afterEach(() => sandbox?.close());

async function runWith(faults: Fault[], settings: Record<string, unknown> = {}) {
  sandbox = await startSandbox({ dataset: await loadFixture(), now: FIXTURE_NOW, tokens: [{ token: TOKEN, login: 'octo-admin' }], faults });
  const run = await collect(
    { org: 'octo-fixture', baseUrl: sandbox.baseUrl, tokenEnv: 'GH_TOKEN', kinds: ['deploy-keys', 'actions-secrets', 'app-installations'], ...settings },
    { GH_TOKEN: TOKEN },
  );
  const statuses = (operation: string) => sandbox!.calls.filter((call) => call.operation === operation).map((call) => call.status);
  const stats = (operation: string) => run.completeness.scopes[0]!.operations.filter((stat) => stat.operation === operation);
  return { run, statuses, stats };
}

describe('github connector under rate limits and faults', () => {
  it('absorbs 403 secondary rate limits with retry-after and counts the retries', async () => {
    const { run, statuses, stats } = await runWith([{ operation: 'repos/list-deploy-keys', type: 'secondary-rate-limit', times: 2, retryAfter: 2 }]);
    expect(run.completeness.verdict).toBe('complete');
    expect(statuses('repos/list-deploy-keys')).toEqual([403, 403, 200, 200]);
    expect(stats('repos/list-deploy-keys').reduce((sum, stat) => sum + stat.retries, 0)).toBe(2);
    expect(run.identities.filter((identity) => identity.kind === 'deploy-key')).toHaveLength(3);
    expect(run.logText).toContain('GitHub secondary rate limit');
  });

  it('absorbs 429 responses with retry-after', async () => {
    const { run, statuses } = await runWith([{ operation: 'orgs/list-app-installations', type: 'too-many-requests', times: 1 }]);
    expect(run.completeness.verdict).toBe('complete');
    expect(statuses('orgs/list-app-installations')).toEqual([429, 200]);
    expect(run.identities.filter((identity) => identity.kind === 'app')).toHaveLength(3);
  });

  it('waits for a primary rate-limit reset on GraphQL and REST', async () => {
    const { run, statuses } = await runWith([
      { operation: 'graphql', type: 'primary-rate-limit', times: 1 },
      { operation: 'actions/list-org-secrets', type: 'primary-rate-limit', times: 1 },
    ]);
    expect(run.completeness.verdict).toBe('complete');
    expect(statuses('graphql')).toEqual([403, 200]);
    expect(statuses('actions/list-org-secrets')).toEqual([403, 200]);
  });

  it('retries server errors', async () => {
    const { run, statuses } = await runWith([{ operation: 'actions/list-repo-secrets', type: 'server-error', times: 2, repo: 'api' }]);
    expect(run.completeness.verdict).toBe('complete');
    expect(statuses('actions/list-repo-secrets').filter((status) => status === 502)).toHaveLength(2);
    expect(run.identities.map((identity) => identity.id)).toContain('github:octo-fixture:actions-secret/repo/api/AWS_ACCESS_KEY_ID');
  });

  it('gives up after the configured retries and marks the scope incomplete with the error', async () => {
    const { run, statuses } = await runWith([{ operation: 'orgs/list-app-installations', type: 'secondary-rate-limit' }], {
      retry: { retries: 2, baseDelayMs: 1, graphqlIntervalMs: 0 },
    });
    expect(statuses('orgs/list-app-installations')).toEqual([403, 403, 403]);
    expect(run.completeness.verdict).toBe('incomplete');
    expect(run.completeness.scopes[0]!.errors).toEqual([
      expect.objectContaining({ operation: 'orgs/list-app-installations', code: 'HttpError', message: expect.stringContaining('secondary rate limit') }),
    ]);
    expect(run.identities.filter((identity) => identity.kind === 'deploy-key')).toHaveLength(3);
  });

  it('marks one kind unreadable on a permission error, naming the permission, and stops calling it', async () => {
    // One repository at a time, so no second call is already in flight when the first refusal arrives.
    const { run, statuses } = await runWith([{ operation: 'actions/list-repo-secrets', type: 'forbidden' }], { concurrency: 1 });
    expect(run.completeness.verdict).toBe('incomplete');
    expect(run.completeness.scopes[0]!.unreadable).toEqual([
      { kind: 'actions-secrets', reason: expect.stringMatching(/^actions\/list-repo-secrets answered 403 \(Resource not accessible by integration.*\); needs secrets=read$/) },
    ]);
    expect(statuses('actions/list-repo-secrets')).toEqual([403]);
    expect(run.identities.filter((identity) => identity.kind === 'deploy-key')).toHaveLength(3);
    expect(run.identities.map((identity) => identity.id)).toContain('github:octo-fixture:actions-secret/org/ORG_DEPLOY_TOKEN');
  });
});
