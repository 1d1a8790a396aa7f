import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type GitHubSandbox, type Refusal } from '../../../connectors/github/sandbox/index.js';
import type { FaultSpec } from '../../../src/sdk/index.js';
import { collect, FIXTURE_NOW, loadFixture } from './harness.js';

const TOKEN = 'ghp_resilienceToken000000000000000000001';
let sandbox: GitHubSandbox | undefined;
afterEach(() => sandbox?.close());

const fault = (operation: string, kind: FaultSpec['kind'], times?: number): FaultSpec => ({ connector: 'github', operation, kind, ...(times ? { times } : {}) });

async function runWith(setup: { faults?: FaultSpec[]; refusals?: Refusal[] }, settings: Record<string, unknown> = {}) {
  sandbox = await startSandbox({ dataset: await loadFixture(), now: FIXTURE_NOW, tokens: [{ token: TOKEN, login: 'octo-admin' }], ...setup });
  const run = await collect(
    {
      org: 'octo-fixture',
      baseUrl: sandbox.baseUrl,
      tokenEnv: 'GH_TOKEN',
      kinds: ['deploy-keys', 'actions-secrets', 'app-installations'],
      timeouts: { requestMs: 300 },
      ...settings,
    },
    { GH_TOKEN: TOKEN },
  );
  const statuses = (operation: string) => sandbox!.calls.filter((call) => call.operation === operation).map((call) => call.status);
  const stats = (operation: string) => run.completeness.scopes[0]!.operations.filter((stat) => stat.operation === operation);
  return { run, statuses, stats };
}

describe('github connector under rate limits and faults', () => {
  it('absorbs 403 secondary rate limits with retry-after and counts the retries', async () => {
    const { run, statuses, stats } = await runWith({ refusals: [{ operation: 'repos/list-deploy-keys', type: 'secondary-rate-limit', times: 2, retryAfter: 2 }] });
    expect(run.completeness.verdict).toBe('complete');
    expect(statuses('repos/list-deploy-keys')).toEqual([403, 403, 200, 200]);
    expect(stats('repos/list-deploy-keys').reduce((sum, stat) => sum + stat.retries, 0)).toBe(2);
    expect(run.identities.filter((identity) => identity.kind === 'deploy-key')).toHaveLength(3);
    expect(run.logText).toContain('GitHub secondary rate limit');
  });

  it('absorbs 429 responses with retry-after', async () => {
    const { run, statuses } = await runWith({ faults: [fault('orgs/list-app-installations', 'throttle', 1)] });
    expect(run.completeness.verdict).toBe('complete');
    expect(statuses('orgs/list-app-installations')).toEqual([429, 200]);
    expect(run.identities.filter((identity) => identity.kind === 'app')).toHaveLength(3);
  });

  it('waits for a primary rate-limit reset on GraphQL and REST', async () => {
    const { run, statuses } = await runWith({
      refusals: [
        { operation: 'graphql/repository-inventory', type: 'primary-rate-limit', times: 1 },
        { operation: 'actions/list-org-secrets', type: 'primary-rate-limit', times: 1 },
      ],
    });
    expect(run.completeness.verdict).toBe('complete');
    expect(statuses('graphql/repository-inventory')).toEqual([403, 200]);
    expect(statuses('actions/list-org-secrets')).toEqual([403, 200]);
  });

  it('retries server errors, counting each retry in the manifest', async () => {
    const { run, statuses, stats } = await runWith({ faults: [fault('actions/list-repo-secrets', '5xx', 2)] });
    expect(run.completeness.verdict).toBe('complete');
    const listings = stats('actions/list-repo-secrets');
    expect(statuses('actions/list-repo-secrets').filter((status) => status === 503)).toHaveLength(2 * listings.length);
    expect(listings.every((stat) => stat.retries === 2)).toBe(true);
    expect(run.identities.map((identity) => identity.id)).toContain('github:octo-fixture:actions-secret/repo/api/AWS_ACCESS_KEY_ID');
  });

  it('gives up after the configured retries and marks the scope incomplete with the error', async () => {
    const { run, statuses } = await runWith({ refusals: [{ operation: 'orgs/list-app-installations', type: 'secondary-rate-limit' }] }, {
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
    const { run, statuses } = await runWith({ refusals: [{ operation: 'actions/list-repo-secrets', type: 'forbidden' }] }, { concurrency: 1 });
    expect(run.completeness.verdict).toBe('incomplete');
    expect(run.completeness.scopes[0]!.unreadable).toEqual([
      { kind: 'actions-secrets', reason: expect.stringMatching(/^actions\/list-repo-secrets answered 403 \(Resource not accessible by integration.*\); needs secrets=read$/) },
    ]);
    expect(statuses('actions/list-repo-secrets')).toEqual([403]);
    expect(run.identities.filter((identity) => identity.kind === 'deploy-key')).toHaveLength(3);
    expect(run.identities.map((identity) => identity.id)).toContain('github:octo-fixture:actions-secret/org/ORG_DEPLOY_TOKEN');
  });
});

describe('github listings that cannot end (issue 9)', () => {
  it('stops a REST listing whose Link rel="next" points at itself at once, reading its page once', async () => {
    const { run, statuses } = await runWith({ faults: [fault('orgs/list-app-installations', 'self-link', 1)] });
    expect(statuses('orgs/list-app-installations')).toEqual([200]);
    expect(run.completeness.verdict).toBe('incomplete');
    expect(run.completeness.scopes[0]!.errors).toEqual([
      expect.objectContaining({ operation: 'orgs/list-app-installations', code: 'repeated-cursor', message: expect.stringContaining('already read') }),
    ]);
    expect(run.identities.filter((identity) => identity.kind === 'app')).toEqual([]);
  });

  it('stops a GraphQL connection whose endCursor repeats with hasNextPage', async () => {
    const { run, statuses } = await runWith({ faults: [fault('graphql/repository-inventory', 'repeat-cursor')] });
    expect(statuses('graphql/repository-inventory')).toEqual([200, 200]);
    expect(run.completeness.scopes[0]!.errors).toEqual([
      expect.objectContaining({ operation: 'graphql/repository-inventory', code: 'repeated-cursor', hint: expect.stringContaining('no repository-level kind') }),
    ]);
    expect(run.identities.some((identity) => identity.kind === 'deploy-key')).toBe(false);
  });

  it('follows an empty page that claims more once, and stops endless ones', async () => {
    const once = await runWith({ faults: [fault('repos/list-deploy-keys', 'empty-page-more', 1)] });
    expect(once.run.completeness.verdict).toBe('complete');
    expect(once.run.identities.filter((identity) => identity.kind === 'deploy-key')).toHaveLength(3);
    await sandbox!.close();
    const always = await runWith({ faults: [fault('repos/list-deploy-keys', 'empty-page-more')] }, { paging: { maxEmptyPages: 2 } });
    expect(always.run.completeness.verdict).toBe('incomplete');
    // Two repositories hold keys; each listing reads three empty pages, then stops.
    expect(always.statuses('repos/list-deploy-keys')).toHaveLength(6);
    expect(always.run.completeness.scopes[0]!.errors.map((error) => error.code)).toEqual(['empty-pages-claim-more', 'empty-pages-claim-more']);
  });
});

describe('github requests that hang, reset or arrive garbled (issue 9)', () => {
  it('abandons a hung request after timeouts.requestMs and retries it', async () => {
    const { run, statuses } = await runWith({ faults: [fault('orgs/get', 'hang', 1)] });
    expect(statuses('orgs/get')).toEqual([0, 200]);
    expect(run.completeness.verdict).toBe('complete');
  });

  it('ends a request that always hangs incomplete, naming the operation and the time limit', async () => {
    const { run, statuses } = await runWith({ faults: [fault('orgs/list-app-installations', 'hang')] }, { retry: { retries: 1, baseDelayMs: 1, graphqlIntervalMs: 0 } });
    expect(statuses('orgs/list-app-installations')).toEqual([0, 0]);
    expect(run.completeness.scopes[0]!.errors).toEqual([
      expect.objectContaining({ operation: 'orgs/list-app-installations', message: expect.stringContaining('no answer within 300 ms (timeouts.requestMs)') }),
    ]);
  });

  it('retries a connection reset', async () => {
    const { run, statuses } = await runWith({ faults: [fault('repos/list-deploy-keys', 'reset', 1)] });
    expect(statuses('repos/list-deploy-keys').sort()).toEqual([0, 0, 200, 200]);
    expect(run.completeness.verdict).toBe('complete');
  });

  it('keeps the vendor of an App whose lookup arrives truncated once, and marks the scope incomplete when it stays so', async () => {
    const once = await runWith({ faults: [fault('apps/get-by-slug', 'truncate', 1)] });
    expect(once.run.completeness.verdict).toBe('complete');
    expect(once.run.identities.find((identity) => identity.id === 'github:octo-fixture:app/vendor-sync')?.vendor).toBe('vendor-inc');
    await sandbox!.close();
    const always = await runWith({ faults: [fault('apps/get-by-slug', 'truncate')] });
    expect(always.run.completeness.verdict).toBe('incomplete');
    expect(always.run.completeness.scopes[0]!.errors[0]).toMatchObject({ operation: 'apps/get-by-slug', code: 'InvalidResponse', hint: expect.stringContaining('publisher of app') });
  });

  it('keeps a private App of another account without a publisher, as GitHub hides it', async () => {
    const { run } = await runWith({ refusals: [{ operation: 'apps/get-by-slug', type: 'not-found' }] });
    expect(run.completeness.verdict).toBe('complete');
    expect(run.identities.filter((identity) => identity.kind === 'app').every((identity) => identity.vendor === undefined)).toBe(true);
  });
});
