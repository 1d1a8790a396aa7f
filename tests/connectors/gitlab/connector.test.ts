import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../../src/sdk/index.js';
import type { GitLabSandbox } from '../../../connectors/gitlab/sandbox/index.js';
import { collect, FAST_RETRY, loadFixture, sandboxOver, TOKEN, type Run } from './harness.js';

const CANARY = 'NHI-CANARY-GITLAB-';
const byId = (run: Run, nativePath: string): Identity => {
  const found = run.identities.find((identity) => identity.id === `gitlab:acme:${nativePath}`);
  if (!found) throw new Error(`no identity ${nativePath} among ${run.identities.map((i) => i.id).join(', ')}`);
  return found;
};

describe('gitlab: a group with its subgroups and projects, through @gitbeaker/rest against the sandbox', () => {
  let sandbox: GitLabSandbox;
  let run: Run;
  beforeAll(async () => {
    sandbox = await sandboxOver(await loadFixture());
    run = await collect(sandbox, { groups: ['acme'] });
  });
  afterAll(() => sandbox.close());

  it('reads every kind, and the scope is complete: every listing reconciled with X-Total', () => {
    expect(run.completeness.verdict).toBe('complete');
    const [scope] = run.completeness.scopes;
    expect(scope!.collector).toBe('user:audit-bot');
    expect(scope!.reconciliations.every((r) => r.matches)).toBe(true);
    expect(scope!.reconciliations.find((r) => r.name === 'projects/variables: X-Total')).toMatchObject({ expected: 130, observed: 130 });
    const kinds = run.identities.reduce<Record<string, number>>((counts, identity) => ({ ...counts, [identity.kind]: (counts[identity.kind] ?? 0) + 1 }), {});
    // 3 access tokens, 2 deploy tokens, 1 trigger; 1 deploy key; 131 variables; 2 runners and 1 service account.
    expect(kinds).toEqual({ token: 6, 'deploy-key': 1, 'ci-secret': 131, 'service-account': 3 });
  });

  it('follows the Link header to a second page of 100', () => {
    const variables = run.completeness.scopes[0]!.operations.find((o) => o.operation === 'projects/variables' && o.parameters.project === 200);
    expect(variables).toMatchObject({ pages: 2, records: 130 });
    expect(sandbox.calls.filter((call) => call.operation === 'projects/variables' && call.path.includes('/projects/200/')).map((call) => new URL(call.path, 'http://x').searchParams.get('page'))).toEqual([null, '2']);
  });

  it('hides projects made after the as-of date, as the dataset dates them', () => {
    expect(run.identities.some((identity) => identity.id.includes('acme/apps/future'))).toBe(false);
  });

  it('maps an Owner api token to admin, a Maintainer api token to write that mints credentials', () => {
    const owner = byId(run, 'group-access-token/acme/1001');
    expect(owner.privilege).toMatchObject({ level: 'admin', reach: 'all', flags: ['admin', 'credential-creation', 'iam-write'] });
    expect(owner.tags).toMatchObject({ 'gitlab.role': 'owner', 'gitlab.bot_user_id': '501', 'gitlab.scopes': 'api' });
    const maintainer = byId(run, 'project-access-token/acme/apps/billing/1101');
    expect(maintainer.privilege).toMatchObject({ level: 'write', reach: 'selected', flags: ['credential-creation'] });
    expect(maintainer.credentials[0]).toMatchObject({ expiresAt: null, lastUsed: { at: '2026-11-10T00:00:00Z' } });
  });

  it('keeps an expired token inactive with its never-used record, and a deploy token with no dates as unknown', () => {
    const expired = byId(run, 'group-access-token/acme/1002');
    expect(expired.status).toBe('disabled');
    expect(expired.credentials[0]).toMatchObject({ status: 'inactive', lastUsed: 'never', expiresAt: '2025-01-01T00:00:00Z' });
    const deployToken = byId(run, 'deploy-token/acme/2001');
    expect(deployToken).toMatchObject({ kind: 'token', createdAt: null, lastUsed: 'unknown', expiresAt: null });
    expect(deployToken.privilege.level).toBe('write');
    expect(byId(run, 'deploy-token/acme/web/2002')).toMatchObject({ status: 'disabled', tags: { 'gitlab.project_archived': 'true', 'gitlab.revoked': 'true' } });
  });

  it('maps deploy keys, triggers, variables, runners and service accounts', () => {
    expect(byId(run, 'deploy-key/acme/apps/billing/4001').privilege.level).toBe('write');
    const trigger = byId(run, 'trigger-token/acme/apps/billing/5001');
    expect(trigger).toMatchObject({ name: 'external scheduler', owner: { id: 'alice', source: 'trigger-owner' }, lastUsed: { at: '2026-11-18T00:00:00Z' } });
    const variable = byId(run, 'ci-variable/acme/apps/billing/BATCH_000_SECRET');
    expect(variable).toMatchObject({ kind: 'ci-secret', tags: { 'gitlab.masked': 'true', 'gitlab.protected': 'true', 'gitlab.environment_scope': '*' } });
    expect(variable.credentials[0]).toMatchObject({ type: 'secret', createdAt: null, rotatedAt: null });
    // The project runner is enabled for two projects: one identity, both places among its grants.
    const shared = byId(run, 'runner/7002');
    expect(shared.status).toBe('disabled');
    expect(shared.privilege.grants.map((grant) => grant.ref)).toEqual(['acme/apps/billing', 'acme/web']);
    const account = byId(run, 'service-account/service_account_group_100_deployer');
    expect(account.credentials.map((credential) => credential.id)).toEqual(['3001', '3002']);
    expect(account.lastUsed).toEqual({ at: '2026-11-01T00:00:00Z' });
  });

  it('lets no variable value or trigger token reach a raw page, a log line, an identity or the completeness record', () => {
    expect(sandbox.calls.some((call) => call.body.includes(CANARY))).toBe(true);
    expect(run.rawText).not.toContain(CANARY);
    expect(run.logText).not.toContain(CANARY);
    expect(JSON.stringify(run.identities)).not.toContain(CANARY);
    expect(JSON.stringify(run.completeness)).not.toContain(CANARY);
    expect(run.rawText).not.toContain(TOKEN);
    expect(run.logText).not.toContain(TOKEN);
  });
});

describe('gitlab: authentication, refusals and limits', () => {
  let sandbox: GitLabSandbox;
  beforeAll(async () => {
    sandbox = await sandboxOver(await loadFixture(), { oauthToken: 'oauth-access-token-for-tests' });
  });
  afterAll(() => sandbox.close());

  it('authenticates with an OAuth token as a Bearer token', async () => {
    const run = await collect(sandbox, { groups: ['acme'], kinds: ['deploy-keys'], tokenEnv: undefined, oauthTokenEnv: 'GITLAB_OAUTH' }, { GITLAB_OAUTH: 'oauth-access-token-for-tests' });
    expect(run.completeness.verdict).toBe('complete');
    expect(run.identities.map((identity) => identity.kind)).toEqual(['deploy-key']);
  });

  it('fails the source with the variable to set when the token is missing, and names a wrong token', async () => {
    const missing = await collect(sandbox, { groups: ['acme'] }, {});
    expect(missing.completeness.verdict).toBe('incomplete');
    expect(missing.completeness.errors.join(' ')).toContain('GITLAB_TOKEN is not set');
    const wrong = await collect(sandbox, { groups: ['acme'] }, { GITLAB_TOKEN: 'glpat-wrong' });
    expect(wrong.completeness.verdict).toBe('incomplete');
    expect(JSON.stringify(wrong.completeness.scopes[0]!.errors)).toContain('401 Unauthorized');
    expect(wrong.identities).toEqual([]);
  });

  it('reports a refused kind unreadable with the role GitLab requires, and keeps the rest', async () => {
    const refusing = await sandboxOver(await loadFixture(), { refusals: [{ operation: 'projects/variables', status: 403 }] });
    try {
      const run = await collect(refusing, { groups: ['acme'], concurrency: 1 });
      const [scope] = run.completeness.scopes;
      expect(scope!.verdict).toBe('incomplete');
      expect(scope!.unreadable).toEqual([{ kind: 'ci-variables', reason: 'projects/variables answered 403 (403 Forbidden); needs the Maintainer role in the project' }]);
      // Asked once: a missing role applies to every project alike.
      expect(refusing.calls.filter((call) => call.operation === 'projects/variables')).toHaveLength(1);
      expect(run.identities.filter((identity) => identity.kind === 'ci-secret').map((identity) => identity.name)).toEqual(['GROUP_TOKEN']);
    } finally {
      await refusing.close();
    }
  });

  it('says unreconciled, not complete, when GitLab sends no X-Total', async () => {
    const uncounted = await sandboxOver(await loadFixture(), { omitTotals: true });
    try {
      const run = await collect(uncounted, { groups: ['acme'], kinds: ['deploy-keys'] });
      expect(run.completeness.verdict).toBe('unreconciled');
      expect(run.identities).toHaveLength(1);
    } finally {
      await uncounted.close();
    }
  });

  it('waits out a 429 as its Retry-After asks, and counts the retry', async () => {
    const run = await collect(sandbox, { groups: ['acme'], kinds: ['deploy-keys'] });
    sandbox.faults.set([{ connector: 'gitlab', operation: 'projects/deploy-keys', kind: 'throttle', times: 1 }]);
    const throttled = await collect(sandbox, { groups: ['acme'], kinds: ['deploy-keys'] });
    sandbox.faults.set([]);
    expect(throttled.completeness.verdict).toBe('complete');
    expect(throttled.identities.map(({ rawRef: _r, ...rest }) => rest)).toEqual(run.identities.map(({ rawRef: _r, ...rest }) => rest));
    // Each project's listing met the 429 once and was asked again.
    const listings = throttled.completeness.scopes[0]!.operations.filter((o) => o.operation === 'projects/deploy-keys');
    expect(listings.map((o) => o.retries)).toEqual([1, 1]);
  });

  it('does not wait longer than retry.maxWaitSeconds: the listing ends incomplete naming the operation', async () => {
    sandbox.faults.set([{ connector: 'gitlab', operation: 'projects/deploy-keys', kind: 'throttle', times: 1 }]);
    const run = await collect(sandbox, { groups: ['acme'], kinds: ['deploy-keys'], retry: { ...FAST_RETRY, maxWaitSeconds: 0 } });
    sandbox.faults.set([]);
    expect(run.completeness.verdict).toBe('incomplete');
    expect(JSON.stringify(run.completeness.scopes[0]!.errors)).toContain('projects/deploy-keys');
  });

  it('refuses the instance scope to a token that is not an administrator\'s', async () => {
    const run = await collect(sandbox, { groups: ['acme'], kinds: ['ci-variables'], admin: true });
    const instance = run.completeness.scopes.find((scope) => scope.scope === 'instance');
    expect(instance).toMatchObject({ verdict: 'incomplete', unreadable: [{ kind: 'ci-variables', reason: expect.stringContaining('admin/ci/variables answered 403') }] });
  });
});
