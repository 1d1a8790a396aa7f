import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type GitHubSandbox } from '../../../connectors/github/sandbox/index.js';
import { collect, largeOrganization, type Run } from './harness.js';

const TOKEN = 'ghp_scaleToken0000000000000000000000000001';
let sandbox: GitHubSandbox;
let run: Run;

beforeAll(async () => {
  sandbox = await startSandbox({ dataset: largeOrganization(1000, 50), now: new Date('2026-11-20T00:00:00Z'), tokens: [{ token: TOKEN, login: 'auditor' }] });
  run = await collect({ org: 'big-org', baseUrl: sandbox.baseUrl, tokenEnv: 'GH_TOKEN', kinds: ['deploy-keys'] }, { GH_TOKEN: TOKEN });
}, 120_000);
afterAll(() => sandbox?.close());

describe('deploy keys in an organization of 1 000 repositories, 50 with keys', () => {
  it('finds every key with GraphQL batches and reads only the repositories that have keys', () => {
    const report = callsByOperation(sandbox);
    console.info(`API calls for 1 000 repositories, 50 with deploy keys: ${sandbox.calls.length} in all`, report);

    expect(run.completeness.verdict).toBe('complete');
    expect(run.identities.filter((identity) => identity.kind === 'deploy-key')).toHaveLength(50);
    expect(report).toEqual({
      'graphql/repository-inventory': 10,
      'orgs/custom-properties-for-repos-get-organization-values': 10,
      'orgs/get': 1,
      'repos/list-deploy-keys': 50,
      'users/get-authenticated': 1,
    });
    expect(sandbox.calls.length).toBeLessThan(1000 / 10);
  });

  it('follows Link headers that carry the sandbox origin, and reconciles the repository count', () => {
    const pages = sandbox.calls.filter((call) => call.operation === 'orgs/custom-properties-for-repos-get-organization-values');
    expect(pages.map((call) => new URL(call.path, sandbox.origin).searchParams.get('page'))).toEqual([null, '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(run.completeness.scopes[0]!.reconciliations).toEqual([
      expect.objectContaining({ name: 'graphql/repository-inventory: totalCount', expected: 1000, observed: 1000, matches: true }),
      expect.objectContaining({ name: 'graphql/repository-inventory: orgs/get public_repos + total_private_repos', expected: 1000, observed: 1000, matches: true }),
      expect.objectContaining({ name: 'repos/list-deploy-keys: deployKeys.totalCount (graphql/repository-inventory)', expected: 50, observed: 50, matches: true }),
    ]);
    expect(run.identities.find((identity) => identity.id === 'github:big-org:deploy-key/repo-0007/500007')?.owner?.id).toBe('team-0');
  });
});

/*
 * Every repository-level kind in an organization of 1 000 repositories where, as in most organizations, few
 * repositories hold any of them. GitHub counts deploy keys and environments per repository in
 * the GraphQL inventory, so those are read only where they exist; it offers no listing or count that shows
 * where repository secrets, webhooks or runners are absent, so those are listed in every repository
 * (docs/benchmarks.md says why the Actions permissions policy is not such a listing).
 */
describe('every repository-level kind in an organization of 1 000 repositories', () => {
  const FEATURES = { actionsSecrets: 100, environments: 20, dependabotSecrets: 10, codespacesSecrets: 5, webhooks: 30, runners: 5 };
  let kindsSandbox: GitHubSandbox;
  let kindsRun: Run;

  beforeAll(async () => {
    kindsSandbox = await startSandbox({
      dataset: largeOrganization(1000, 50, FEATURES),
      now: new Date('2026-11-20T00:00:00Z'),
      tokens: [{ token: TOKEN, login: 'auditor' }],
    });
    kindsRun = await collect(
      {
        org: 'big-org',
        baseUrl: kindsSandbox.baseUrl,
        tokenEnv: 'GH_TOKEN',
        concurrency: 32,
        kinds: ['deploy-keys', 'actions-secrets', 'dependabot-secrets', 'codespaces-secrets', 'webhooks', 'runners'],
      },
      { GH_TOKEN: TOKEN },
    );
  }, 180_000);
  afterAll(() => kindsSandbox?.close());

  it('reads deploy keys and environment secrets only where GraphQL counts them, and the other kinds once per repository', () => {
    const report = callsByOperation(kindsSandbox);
    console.info(`API calls for 1 000 repositories, every repository-level kind: ${kindsSandbox.calls.length} in all`, report);

    expect(kindsRun.completeness.verdict).toBe('complete');
    expect(report).toEqual({
      'graphql/repository-inventory': 10,
      'orgs/custom-properties-for-repos-get-organization-values': 10,
      'orgs/get': 1,
      'users/get-authenticated': 1,
      'repos/list-deploy-keys': 50,
      'actions/list-org-secrets': 1,
      'actions/list-repo-secrets': 1000,
      'actions/list-environment-secrets': 2 * FEATURES.environments,
      'dependabot/list-org-secrets': 1,
      'dependabot/list-repo-secrets': 1000,
      'codespaces/list-org-secrets': 1,
      'codespaces/list-repo-secrets': 1000,
      'orgs/list-webhooks': 1,
      'repos/list-webhooks': 1000,
      'actions/list-self-hosted-runners-for-org': 1,
      'actions/list-self-hosted-runner-groups-for-org': 1,
      'actions/list-self-hosted-runners-for-repo': 1000,
    });
  });

  it('finds every item the organization holds', () => {
    const byKind = new Map<string, number>();
    for (const identity of kindsRun.identities) byKind.set(identity.kind, (byKind.get(identity.kind) ?? 0) + 1);
    expect(Object.fromEntries(byKind)).toEqual({
      'deploy-key': 50,
      'ci-secret': FEATURES.actionsSecrets + 2 * FEATURES.environments + FEATURES.dependabotSecrets + FEATURES.codespacesSecrets,
      'api-key': FEATURES.webhooks,
      'service-account': FEATURES.runners,
    });
    const secretsByPlace = new Map<string, number>();
    for (const { tags, environment } of kindsRun.identities) {
      const place = tags['github.secret_type'] && `${tags['github.secret_type']} ${tags['github.secret_level']}${environment ? ` ${environment}` : ''}`;
      if (place) secretsByPlace.set(place, (secretsByPlace.get(place) ?? 0) + 1);
    }
    expect(Object.fromEntries(secretsByPlace)).toEqual({
      'actions repo': FEATURES.actionsSecrets,
      'actions env staging': FEATURES.environments,
      'actions env production': FEATURES.environments,
      'dependabot repo': FEATURES.dependabotSecrets,
      'codespaces repo': FEATURES.codespacesSecrets,
    });
  });
});

/** How many requests the sandbox answered, per operation. */
function callsByOperation(target: GitHubSandbox): Record<string, number> {
  const calls = new Map<string, number>();
  for (const call of target.calls) calls.set(call.operation ?? call.path, (calls.get(call.operation ?? call.path) ?? 0) + 1);
  return Object.fromEntries([...calls].sort());
}
