import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appJwt } from '../../../connectors/github/app-auth.js';
import { startSandbox, type GitHubSandbox } from '../../../connectors/github/sandbox/index.js';
import { appKeys, collect, FIXTURE_NOW, loadFixture } from './harness.js';

const TOKEN = 'ghp_sandboxToken00000000000000000000000001';
const keys = appKeys();
let current: GitHubSandbox;
let previousQuarter: GitHubSandbox;

async function get(sandbox: GitHubSandbox, path: string, token = TOKEN) {
  const response = await fetch(`${sandbox.baseUrl}${path}`, { headers: { authorization: `token ${token}` } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

beforeAll(async () => {
  const dataset = await loadFixture();
  const options = { dataset, tokens: [{ token: TOKEN, login: 'octo-admin' }], app: { appId: 301, installationId: 9001, publicKey: keys.publicKey } };
  current = await startSandbox({ ...options, now: FIXTURE_NOW, rateLimit: { limit: 40, windowSeconds: 3600 } });
  previousQuarter = await startSandbox({ ...options, now: new Date('2026-09-30T00:00:00Z') });
});
afterAll(async () => {
  await current?.close();
  await previousQuarter?.close();
});

describe('the sandbox shows the organization as of its date', () => {
  it('hides items deleted before the date and restores earlier values from x-history', async () => {
    const before = await get(previousQuarter, '/orgs/octo-fixture/actions/secrets');
    const after = await get(current, '/orgs/octo-fixture/actions/secrets');
    expect(before.body.secrets.map((secret: { name: string }) => secret.name)).toContain('ORG_REMOVED');
    expect(after.body.secrets.map((secret: { name: string }) => secret.name)).not.toContain('ORG_REMOVED');
    expect((await get(previousQuarter, '/repos/octo-fixture/api/actions/secrets')).body.secrets[0].updated_at).toBe('2023-01-01T00:00:00Z');
    expect((await get(current, '/repos/octo-fixture/api/actions/secrets')).body.secrets[0].updated_at).toBe('2026-10-20T00:00:00Z');
  });

  it('hides items created after the date and never sends x- fields', async () => {
    expect((await get(current, '/repos/octo-fixture/future-repo/keys')).status).toBe(404);
    const everything = JSON.stringify(current.calls.map((call) => call.body));
    expect(everything).not.toMatch(/"x-[a-z]+"/);
  });

  it('answers fine-grained token grants as expired only once their expiry has passed', async () => {
    const run = await collect({ org: 'octo-fixture', baseUrl: previousQuarter.baseUrl, app: { appId: 301, installationId: 9001, privateKeyEnv: 'KEY' }, kinds: ['pat-grants'] }, { KEY: keys.pem }, new Date('2026-09-30T00:00:00Z'));
    expect(run.identities.map((identity) => [identity.id, identity.status])).toEqual([
      ['github:octo-fixture:token/8801', 'active'],
      ['github:octo-fixture:token/8802', 'disabled'],
    ]);
  });
});

describe('the sandbox pages and limits as GitHub does', () => {
  it('pages with per_page and Link headers that carry its own origin', async () => {
    const first = await get(current, '/orgs/octo-fixture/installations?per_page=2');
    expect(first.body.total_count).toBe(3);
    expect(first.body.installations).toHaveLength(2);
    expect(first.headers.get('link')).toBe(
      `<${current.origin}/orgs/octo-fixture/installations?per_page=2&page=2>; rel="next", <${current.origin}/orgs/octo-fixture/installations?per_page=2&page=2>; rel="last"`,
    );
    const second = await get(current, '/orgs/octo-fixture/installations?per_page=2&page=2');
    expect(second.body.installations.map((installation: { app_slug: string }) => installation.app_slug)).toEqual(['old-bot']);
    expect(second.headers.get('link')).toContain('rel="prev"');
  });

  it('sends rate-limit headers and refuses with 403 once the primary limit is spent', async () => {
    let response = await get(current, '/orgs/octo-fixture');
    expect(Number(response.headers.get('x-ratelimit-limit'))).toBe(40);
    expect(response.headers.get('x-ratelimit-resource')).toBe('core');
    while (response.status === 200) response = await get(current, '/orgs/octo-fixture');
    expect(response.status).toBe(403);
    expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(response.body.message).toMatch(/API rate limit exceeded/);
  });
});

describe('App authentication', () => {
  const tokenPath = '/app/installations/9001/access_tokens';
  const post = (sandbox: GitHubSandbox, path: string, authorization: string) =>
    fetch(`${sandbox.baseUrl}${path}`, { method: 'POST', headers: { authorization } }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));

  it('issues an installation token for a JWT signed by the App key', async () => {
    const issued = await post(previousQuarter, tokenPath, `bearer ${appJwt({ appId: 301, installationId: 9001, privateKey: keys.privateKey }, Date.now())}`);
    expect(issued.status).toBe(201);
    expect(issued.body.token).toMatch(/^ghs_/);
    expect((await get(previousQuarter, '/orgs/octo-fixture/personal-access-tokens', issued.body.token)).status).toBe(200);
  });

  it('refuses JWTs signed by another key, expired or for another App, and tokens in their place', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const refused = [
      appJwt({ appId: 301, installationId: 9001, privateKey: stranger }, Date.now()),
      appJwt({ appId: 301, installationId: 9001, privateKey: keys.privateKey }, Date.now() - 20 * 60_000),
      appJwt({ appId: 999, installationId: 9001, privateKey: keys.privateKey }, Date.now()),
    ];
    for (const jwt of refused) expect((await post(previousQuarter, tokenPath, `bearer ${jwt}`)).status).toBe(401);
    expect((await post(previousQuarter, tokenPath, `token ${TOKEN}`)).status).toBe(401);
    expect((await get(previousQuarter, '/orgs/octo-fixture', 'ghp_unknown')).body.message).toBe('Bad credentials');
  });

  it('refuses an installation what its permissions do not cover, naming the permission', async () => {
    const limited = await startSandbox({
      dataset: await loadFixture(),
      now: FIXTURE_NOW,
      app: { appId: 301, installationId: 9001, publicKey: keys.publicKey, permissions: { metadata: 'read', administration: 'read' } },
    });
    try {
      const run = await collect({ org: 'octo-fixture', baseUrl: limited.baseUrl, app: { appId: 301, installationId: 9001, privateKeyEnv: 'KEY' }, kinds: ['deploy-keys', 'pat-grants'] }, { KEY: keys.pem });
      expect(run.completeness.scopes[0]!.unreadable).toEqual([
        { kind: 'pat-grants', reason: expect.stringContaining('needs organization_personal_access_tokens=read') },
      ]);
      expect(run.identities.filter((identity) => identity.kind === 'deploy-key')).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });
});

describe('GitHub Enterprise Server', () => {
  it('serves REST under /api/v3 and GraphQL at /api/graphql, and the connector follows', async () => {
    const ghes = await startSandbox({ dataset: await loadFixture(), now: FIXTURE_NOW, tokens: [{ token: TOKEN, login: 'octo-admin' }], pathPrefix: '/api/v3' });
    try {
      expect(ghes.baseUrl).toBe(`${ghes.origin}/api/v3`);
      const run = await collect({ org: 'octo-fixture', baseUrl: ghes.baseUrl, tokenEnv: 'GH', kinds: ['deploy-keys', 'app-installations'] }, { GH: TOKEN });
      expect(run.completeness.verdict).toBe('complete');
      expect(run.identities).toHaveLength(6);
      expect(ghes.calls.find((call) => call.operation === 'graphql/repository-inventory')?.path).toBe('/api/graphql');
      expect(ghes.calls.filter((call) => call.operation !== 'graphql/repository-inventory').every((call) => call.path.startsWith('/api/v3/'))).toBe(true);
      expect((await fetch(`${ghes.origin}/orgs/octo-fixture`, { headers: { authorization: `token ${TOKEN}` } })).status).toBe(404);
    } finally {
      await ghes.close();
    }
  });
});
