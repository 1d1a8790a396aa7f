import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type GitHubSandbox } from '../../../connectors/github/sandbox/index.js';
import type { Identity } from '../../../src/sdk/index.js';
import { splitRawRef } from '../../helpers/raw-ref.js';
import { appKeys, collect, FIXTURE_NOW, loadFixture, type Run } from './harness.js';

const keys = appKeys();
const PAT = 'ghp_CANARYtokenValue0000000000000000000001';
let sandbox: GitHubSandbox;
let appRun: Run;

const byId = (run: Run) => new Map(run.identities.map((identity) => [identity.id, identity]));
const get = (run: Run, id: string): Identity => {
  const identity = byId(run).get(id);
  if (!identity) throw new Error(`no identity ${id}; have ${[...byId(run).keys()].join(', ')}`);
  return identity;
};

beforeAll(async () => {
  sandbox = await startSandbox({
    dataset: await loadFixture(),
    now: FIXTURE_NOW,
    tokens: [{ token: PAT, login: 'octo-admin' }],
    app: { appId: 301, installationId: 9001, publicKey: keys.publicKey },
  });
  appRun = await collect(
    { org: 'octo-fixture', baseUrl: sandbox.baseUrl, app: { appId: 301, installationId: 9001, privateKeyEnv: 'GH_APP_KEY' } },
    { GH_APP_KEY: keys.pem },
  );
});
afterAll(() => sandbox?.close());

describe('github connector as an App installation', () => {
  it('reads every kind completely and reconciles every count GitHub gives', () => {
    expect(appRun.completeness.errors).toEqual([]);
    const [scope] = appRun.completeness.scopes;
    expect(scope?.unreadable).toEqual([]);
    expect(scope?.reconciliations.every((reconciliation) => reconciliation.matches)).toBe(true);
    expect(scope?.reconciliations.map(({ name, expected }) => [name, expected])).toEqual([
      ['graphql/repository-inventory: totalCount', 3],
      ['graphql/repository-inventory: orgs/get public_repos + total_private_repos', 3],
      ['actions/list-environment-secrets: total_count', 1],
      ['actions/list-org-secrets: total_count', 2],
      ['actions/list-repo-secrets: total_count', 1],
      ['actions/list-selected-repos-for-org-secret: total_count', 2],
      ['actions/list-self-hosted-runner-groups-for-org: total_count', 2],
      ['actions/list-self-hosted-runners-for-org: total_count', 2],
      ['actions/list-self-hosted-runners-for-repo: total_count', 1],
      ['codespaces/list-org-secrets: total_count', 1],
      ['codespaces/list-repo-secrets: total_count', 1],
      ['codespaces/list-selected-repos-for-org-secret: total_count', 1],
      ['dependabot/list-org-secrets: total_count', 1],
      ['dependabot/list-repo-secrets: total_count', 1],
      ['dependabot/list-selected-repos-for-org-secret: total_count', 1],
      ['orgs/list-app-installations: total_count', 3],
      ['repos/list-deploy-keys: deployKeys.totalCount (graphql/repository-inventory)', 3],
    ]);
    expect(appRun.completeness.verdict).toBe('complete');
    expect(appRun.completeness.collector).toBe('app:301/installation:9001');
    expect(new Set(appRun.identities.map((identity) => identity.kind))).toEqual(
      new Set(['app', 'deploy-key', 'token', 'ci-secret', 'api-key', 'service-account']),
    );
  });

  it('gives stable ids per kind', () => {
    expect(appRun.identities.map((identity) => identity.id)).toEqual([
      'github:octo-fixture:actions-secret/env/api/production/PROD_DB_PASSWORD',
      'github:octo-fixture:actions-secret/org/ORG_DEPLOY_TOKEN',
      'github:octo-fixture:actions-secret/org/ORG_SELECTED',
      'github:octo-fixture:actions-secret/repo/api/AWS_ACCESS_KEY_ID',
      'github:octo-fixture:app/fixture-auditor',
      'github:octo-fixture:app/old-bot',
      'github:octo-fixture:app/vendor-sync',
      'github:octo-fixture:codespaces-secret/org/DEV_DB_URL',
      'github:octo-fixture:codespaces-secret/repo/web/WEB_PREVIEW_KEY',
      'github:octo-fixture:credential-authorization/7101',
      'github:octo-fixture:credential-authorization/7102',
      'github:octo-fixture:dependabot-secret/org/NPM_READ_TOKEN',
      'github:octo-fixture:dependabot-secret/repo/api/GH_PACKAGES_TOKEN',
      'github:octo-fixture:deploy-key/api/3101',
      'github:octo-fixture:deploy-key/api/3102',
      'github:octo-fixture:deploy-key/web/3201',
      'github:octo-fixture:runner/org/21',
      'github:octo-fixture:runner/org/22',
      'github:octo-fixture:runner/repo/api/31',
      'github:octo-fixture:token/8801',
      'github:octo-fixture:token/8802',
      'github:octo-fixture:webhook/org/601',
      'github:octo-fixture:webhook/repo/api/701',
    ]);
  });

  it('names third-party publishers as vendors and normalizes App privilege', () => {
    const vendor = get(appRun, 'github:octo-fixture:app/vendor-sync');
    expect(vendor.vendor).toBe('vendor-inc');
    expect(vendor.privilege).toMatchObject({ level: 'admin', reach: 'all', flags: ['admin', 'iam-write'] });
    expect(get(appRun, 'github:octo-fixture:app/fixture-auditor').vendor).toBeUndefined();
    expect(get(appRun, 'github:octo-fixture:app/old-bot')).toMatchObject({ status: 'disabled', privilege: { level: 'write', reach: 'selected' } });
  });

  it('reads deploy keys with owner hints in order: custom property, CODEOWNERS, added_by', () => {
    const readOnly = get(appRun, 'github:octo-fixture:deploy-key/api/3101');
    expect(readOnly.owner).toEqual({ id: 'team-api', source: 'property:owner', status: 'unknown' });
    expect(readOnly.tags).toMatchObject({ owner: 'team-api', 'data-class': 'financial,pii', 'github.added_by': 'dev-alice' });
    expect(readOnly.lastUsed).toEqual({ at: '2026-11-10T00:00:00Z' });
    const writable = get(appRun, 'github:octo-fixture:deploy-key/api/3102');
    expect(writable.privilege.level).toBe('write');
    expect(writable.lastUsed).toBe('never');
    const old = get(appRun, 'github:octo-fixture:deploy-key/web/3201');
    expect(old.owner).toEqual({ id: 'dev-erin', source: 'codeowners', status: 'unknown' });
    expect(old.lastUsed).toBe('unknown');
  });

  it('reads fine-grained grants and SAML credential authorizations as tokens', () => {
    const grant = get(appRun, 'github:octo-fixture:token/8801');
    expect(grant).toMatchObject({ expiresAt: null, createdAt: '2026-03-01T15:00:00Z', owner: { id: 'dev-alice', source: 'token-owner' } });
    expect(grant.privilege).toMatchObject({ level: 'read', reach: 'selected' });
    const expired = get(appRun, 'github:octo-fixture:token/8802');
    expect(expired).toMatchObject({ status: 'disabled', lastUsed: 'never', expiresAt: '2026-06-30T00:00:00Z' });
    expect(expired.privilege.flags).toEqual(['admin', 'iam-write', 'privilege-escalation']);
    const classic = get(appRun, 'github:octo-fixture:credential-authorization/7101');
    expect(classic.credentials[0]).toMatchObject({ type: 'token', fingerprint: 'last8:a1b2c3d4' });
    expect(classic.privilege).toMatchObject({ level: 'write', reach: 'all' });
    const sshKey = get(appRun, 'github:octo-fixture:credential-authorization/7102');
    expect(sshKey.credentials[0]).toMatchObject({ type: 'ssh-key', lastUsed: 'never' });
  });

  it('reads secrets at every level with their rotation date and reach', () => {
    const repoSecret = get(appRun, 'github:octo-fixture:actions-secret/repo/api/AWS_ACCESS_KEY_ID');
    expect(repoSecret.credentials[0]).toMatchObject({ createdAt: '2023-01-01T00:00:00Z', rotatedAt: '2026-10-20T00:00:00Z', lastUsed: 'unknown' });
    expect(get(appRun, 'github:octo-fixture:actions-secret/org/ORG_DEPLOY_TOKEN').privilege.reach).toBe('all');
    const selected = get(appRun, 'github:octo-fixture:actions-secret/org/ORG_SELECTED');
    expect(selected.privilege).toMatchObject({ reach: 'selected', grants: [{ name: 'visibility:selected', evidence: ['api', 'web'] }] });
    expect(get(appRun, 'github:octo-fixture:actions-secret/env/api/production/PROD_DB_PASSWORD').environment).toBe('production');
  });

  it('reads webhooks with their secret as the credential and runners with their scope', () => {
    const orgHook = get(appRun, 'github:octo-fixture:webhook/org/601');
    expect(orgHook.credentials).toHaveLength(1);
    expect(orgHook.tags['github.webhook_secret']).toBe('set');
    const repoHook = get(appRun, 'github:octo-fixture:webhook/repo/api/701');
    expect(repoHook.credentials).toEqual([]);
    expect(repoHook.tags).toMatchObject({ 'github.webhook_secret': 'none', 'github.insecure_ssl': '1' });
    expect(JSON.stringify(repoHook)).not.toContain('token=abc');
    expect(get(appRun, 'github:octo-fixture:runner/org/21').privilege.reach).toBe('all');
    expect(get(appRun, 'github:octo-fixture:runner/org/22').privilege.reach).toBe('selected');
    expect(get(appRun, 'github:octo-fixture:runner/repo/api/31').owner?.id).toBe('team-api');
  });

  it('points every identity at the raw page it came from', () => {
    for (const identity of appRun.identities) {
      expect(appRun.rawFiles).toContain(splitRawRef(identity.rawRef).file);
    }
  });

  it('keeps the installation tokens, the private key and the JWT out of raw pages, logs and identities', () => {
    expect(sandbox.issuedTokens.length).toBeGreaterThan(0);
    const keyBody = keys.pem.split('\n')[1]!;
    const identities = JSON.stringify(appRun.identities);
    for (const secret of [...sandbox.issuedTokens, keyBody]) {
      expect(appRun.rawText).not.toContain(secret);
      expect(appRun.logText).not.toContain(secret);
      expect(identities).not.toContain(secret);
    }
    expect(appRun.rawText).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  });
});

describe('github connector App key sources', () => {
  it('reads the App private key from a file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nhi-github-key-'));
    try {
      await writeFile(path.join(dir, 'app.pem'), keys.pem, { mode: 0o600 });
      const run = await collect(
        { org: 'octo-fixture', baseUrl: sandbox.baseUrl, app: { appId: 301, installationId: 9001, privateKeyFile: path.join(dir, 'app.pem') }, kinds: ['app-installations'] },
        {},
      );
      expect(run.completeness.verdict).toBe('complete');
      expect(run.identities).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails the source on a key that is not a PEM private key, without quoting it', async () => {
    const notAKey = '-----BEGIN PRIVATE KEY-----\nQ0FOQVJZLW5vdC1hLWtleQ==\n-----END PRIVATE KEY-----\n';
    const run = await collect({ org: 'octo-fixture', baseUrl: sandbox.baseUrl, app: { appId: 301, installationId: 9001, privateKeyEnv: 'KEY' } }, { KEY: notAKey });
    expect(run.completeness.errors).toEqual([expect.stringContaining('the GitHub App private key in environment variable KEY is not a PEM private key')]);
    expect(run.logText).not.toContain('Q0FOQVJZ');
    expect(run.completeness.errors.join()).not.toContain('Q0FOQVJZ');
  });
});

describe('github connector with a token', () => {
  let run: Run;
  beforeAll(async () => {
    run = await collect({ org: 'octo-fixture', baseUrl: sandbox.baseUrl, tokenEnv: 'GH_TOKEN' }, { GH_TOKEN: PAT });
  });

  it('marks fine-grained token grants unreadable, naming the App permission, and keeps the rest', () => {
    expect(run.completeness.verdict).toBe('incomplete');
    expect(run.completeness.scopes[0]?.unreadable).toEqual([
      {
        kind: 'pat-grants',
        reason: expect.stringMatching(/orgs\/list-pat-grants answered 403 .*needs organization_personal_access_tokens=read; only a GitHub App/),
      },
    ]);
    expect(run.identities.some((identity) => identity.id.includes(':token/'))).toBe(false);
    expect(run.identities.filter((identity) => identity.kind === 'deploy-key')).toHaveLength(3);
    expect(run.completeness.collector).toBe('user:octo-admin');
  });

  it('keeps the token out of raw pages, logs and identities', () => {
    expect(run.rawText).not.toContain(PAT);
    expect(run.logText).not.toContain(PAT);
    expect(JSON.stringify(run.identities)).not.toContain(PAT);
  });

  it('fails the source with a hint when the token variable is not set', async () => {
    const missing = await collect({ org: 'octo-fixture', baseUrl: sandbox.baseUrl, tokenEnv: 'GH_TOKEN' }, {});
    expect(missing.completeness.verdict).toBe('incomplete');
    expect(missing.completeness.errors).toEqual([expect.stringContaining('environment variable GH_TOKEN is not set')]);
  });
});
