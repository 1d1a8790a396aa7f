import { afterEach, describe, expect, it } from 'vitest';
import { requiredPermissions } from '../../../connectors/github/doctor.js';
import { startSandbox, type GitHubSandbox } from '../../../connectors/github/sandbox/index.js';
import { appKeys, doctor, FIXTURE_NOW, loadFixture } from './harness.js';

const keys = appKeys();
const TOKEN = 'ghp_doctorToken00000000000000000000000001';
let sandbox: GitHubSandbox | undefined;

afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function serve(permissions?: Record<string, string>): Promise<GitHubSandbox> {
  sandbox = await startSandbox({
    dataset: await loadFixture(),
    now: FIXTURE_NOW,
    tokens: [{ token: TOKEN, login: 'octo-admin' }],
    app: { appId: 301, installationId: 9001, publicKey: keys.publicKey, ...(permissions ? { permissions } : {}) },
  });
  return sandbox;
}

const everything = (kinds?: string[]) => Object.fromEntries([...requiredPermissions((kinds ?? []) as never).keys()].map((p) => p.split('=')));

describe('github doctor', () => {
  it('throws when GitHub cannot be reached, naming the App', async () => {
    await expect(doctor({ org: 'octo-fixture', baseUrl: 'http://127.0.0.1:9', retry: { retries: 0, baseDelayMs: 1 }, app: { appId: 301, installationId: 9001, privateKeyEnv: 'KEY' } }, { KEY: keys.pem })).rejects.toThrow(
      /gh: the GitHub App 301 could not authenticate/,
    );
  });

  it('names the App and its installation, and grants every permission an installation holding the printed manifest has', async () => {
    const { baseUrl } = await serve();
    const probe = await doctor({ org: 'octo-fixture', baseUrl, app: { appId: 301, installationId: 9001, privateKeyEnv: 'KEY' } }, { KEY: keys.pem });
    const manifest = JSON.parse(probe.grant.content).default_permissions as Record<string, string>;
    await sandbox!.close();
    const again = await serve(manifest);
    const report = await doctor({ org: 'octo-fixture', baseUrl: again.baseUrl, app: { appId: 301, installationId: 9001, privateKeyEnv: 'KEY' } }, { KEY: keys.pem });
    expect(report.principals).toEqual([{ scope: 'octo-fixture', identity: expect.stringMatching(/^app:.+ id 301\) installation 9001$/) }]);
    expect(report.checks.filter((check) => check.status !== 'granted')).toEqual([]);
    expect(report.checks.map((check) => check.permission)).toContain('organization_secrets=read');
    expect(manifest).toMatchObject({ metadata: 'read', secrets: 'read', administration: 'read', organization_personal_access_tokens: 'read' });
    // Read-only, but for the one permission GitHub asks of anyone listing a repository's Codespaces secrets.
    expect(Object.entries(manifest).filter(([, access]) => access !== 'read')).toEqual([['codespaces_secrets', 'write']]);
    expect(manifest).toMatchObject({ organization_codespaces_secrets: 'read' });
  });

  it('reports a permission the installation lacks as missing, with what it holds instead', async () => {
    const { secrets: _dropped, ...fewer } = { ...everything([...['actions-secrets', 'deploy-keys']]), metadata: 'read' };
    const { baseUrl } = await serve(fewer);
    const report = await doctor({ org: 'octo-fixture', baseUrl, kinds: ['actions-secrets', 'deploy-keys'], app: { appId: 301, installationId: 9001, privateKeyEnv: 'KEY' } }, { KEY: keys.pem });
    expect(report.checks.filter((check) => check.status !== 'granted')).toEqual([
      { scope: 'octo-fixture', permission: 'secrets=read', operation: 'apps/get-installation', status: 'missing', detail: 'the installation holds secrets=none' },
    ]);
    expect(JSON.parse(report.grant.content).default_permissions).toEqual({ administration: 'read', environments: 'read', metadata: 'read', organization_custom_properties: 'read', organization_secrets: 'read', secrets: 'read' });
  });

  it('probes a token with one-item pages of the organization listings; a refused one is missing', async () => {
    const { baseUrl } = await serve();
    const report = await doctor({ org: 'octo-fixture', baseUrl, tokenEnv: 'TOKEN' }, { TOKEN });
    expect(report.principals).toEqual([{ scope: 'octo-fixture', identity: 'user:octo-admin' }]);
    const missing = report.checks.filter((check) => check.status !== 'granted');
    expect(missing).toEqual([expect.objectContaining({ permission: 'organization_personal_access_tokens=read', operation: 'orgs/list-pat-grants', status: 'missing' })]);
    expect(report.checks.filter((check) => check.status === 'granted').length).toBeGreaterThan(3);
    const perPage = sandbox!.calls.filter((call) => call.operation === 'actions/list-org-secrets').map((call) => new URL(call.path, 'http://x').searchParams.get('per_page'));
    expect(perPage).toEqual(['1']);
  });
});
