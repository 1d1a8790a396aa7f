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
    const calls = new Map<string, number>();
    for (const call of sandbox.calls) calls.set(call.operation ?? call.path, (calls.get(call.operation ?? call.path) ?? 0) + 1);
    const report = Object.fromEntries([...calls].sort());
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
