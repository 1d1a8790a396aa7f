import { beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../../connectors/github/sandbox/index.js';
import { loadDataset } from '../../../connectors/github/sandbox/dataset.js';
import ciSecretRotated from '../../../src/controls/ci-secret-rotated.js';
import credentialUnused from '../../../src/controls/credential-unused.js';
import deployKeyReadOnly from '../../../src/controls/deploy-key-read-only.js';
import noAdminPrivilege from '../../../src/controls/no-admin-privilege.js';
import ownerAssigned from '../../../src/controls/owner-assigned.js';
import type { Control, DemoSandbox } from '../../../src/sdk/index.js';
import { collect, DEMO_DIR, type Run } from './harness.js';

const AS_OF = new Date('2026-11-20T00:00:00Z');
const PREVIOUS = new Date('2026-09-30T00:00:00Z');
const id = (native: string) => `github:corvid-systems:${native}`;

async function demoRun(now: Date): Promise<Run> {
  const sandbox: DemoSandbox = await startDemo(DEMO_DIR, { now });
  try {
    return await collect({ org: 'corvid-systems', ...sandbox.sourceOverrides }, sandbox.env, now);
  } finally {
    await sandbox.close();
  }
}

function failing(control: Control, run: Run, now: Date): string[] {
  const results = control.evaluate(run.identities, { options: control.options.parse({}), now });
  return [...new Set(results.filter((result) => result.status === 'fail').map((result) => result.identityId))].sort();
}

let current: Run;
let previous: Run;
beforeAll(async () => {
  current = await demoRun(AS_OF);
  previous = await demoRun(PREVIOUS);
});

describe('the demo organization corvid-systems on GitHub', () => {
  it('is collected completely, as the audit App, in both cycles', () => {
    for (const run of [current, previous]) {
      expect(run.completeness.verdict).toBe('complete');
      expect(run.completeness.collector).toBe('app:1003001/installation:61003001');
      const { reconciliations } = run.completeness.scopes[0]!;
      expect(reconciliations.every((reconciliation) => reconciliation.matches)).toBe(true);
      expect(reconciliations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'graphql/repository-inventory: totalCount', expected: 12 }),
          expect.objectContaining({ name: 'graphql/repository-inventory: orgs/get public_repos + total_private_repos', expected: 12 }),
          expect.objectContaining({ name: 'repos/list-deploy-keys: deployKeys.totalCount (graphql/repository-inventory)' }),
        ]),
      );
    }
  });

  it('holds every GitHub kind', () => {
    const prefixes = new Set(current.identities.map((identity) => identity.id.split(':')[2]!.split('/')[0]));
    expect([...prefixes].sort()).toEqual([
      'actions-secret',
      'app',
      'codespaces-secret',
      'credential-authorization',
      'dependabot-secret',
      'deploy-key',
      'runner',
      'token',
      'webhook',
    ]);
    for (const level of ['org', 'repo', 'env']) expect(current.identities.some((identity) => identity.id.includes(`actions-secret/${level}/`))).toBe(true);
    for (const level of ['org', 'repo']) {
      expect(current.identities.some((identity) => identity.id.includes(`webhook/${level}/`))).toBe(true);
      expect(current.identities.some((identity) => identity.id.includes(`runner/${level}/`))).toBe(true);
    }
  });

  it('shows what changed between the cycles', () => {
    const ids = (run: Run) => new Set(run.identities.map((identity) => identity.id));
    const added = [...ids(current)].filter((identity) => !ids(previous).has(identity)).sort();
    const removed = [...ids(previous)].filter((identity) => !ids(current).has(identity)).sort();
    expect(added).toEqual([
      id('actions-secret/org/DEPLOY_BOT_TOKEN'),
      id('app/chatops-notify'),
      id('deploy-key/reporting-service/118800202'),
      id('token/880102'),
    ]);
    expect(removed).toEqual([id('deploy-key/infra-live/118800402'), id('runner/org/2003'), id('token/880105')]);
    const rotated = (run: Run, native: string) => run.identities.find((identity) => identity.id === id(native))!.credentials[0]!.rotatedAt;
    for (const [native, before, after] of [
      ['actions-secret/repo/revenue-close-jobs/SALESFORCE_API_TOKEN', '2025-10-01T11:00:00Z', '2026-10-02T11:00:00Z'],
      ['actions-secret/org/SNOWFLAKE_PASSWORD', '2025-09-15T16:00:00Z', '2026-10-10T16:00:00Z'],
    ]) {
      expect([rotated(previous, native!), rotated(current, native!)]).toEqual([before, after]);
    }
  });

  it('plants the violations the README lists', () => {
    expect(failing(deployKeyReadOnly, current, AS_OF)).toEqual([id('deploy-key/reporting-service/118800201')]);
    expect(failing(deployKeyReadOnly, previous, PREVIOUS)).toEqual([id('deploy-key/infra-live/118800402'), id('deploy-key/reporting-service/118800201')]);
    expect(failing(ciSecretRotated, current, AS_OF)).toEqual([
      id('actions-secret/repo/revenue-close-jobs/AWS_ACCESS_KEY_ID'),
      id('actions-secret/repo/revenue-close-jobs/AWS_SECRET_ACCESS_KEY'),
      id('codespaces-secret/org/DEV_SANDBOX_DB_URL'),
      id('codespaces-secret/repo/finance-dashboards/LOOKER_DEV_KEY'),
      id('dependabot-secret/repo/platform-tools/GHCR_READ_TOKEN'),
    ]);
    expect(failing(noAdminPrivilege, current, AS_OF)).toEqual([id('app/ledgerlink-sync'), id('token/880102')]);
    expect(failing(credentialUnused, current, AS_OF)).toEqual([
      id('credential-authorization/9920012'),
      id('deploy-key/infra-live/118800401'),
      id('token/880104'),
    ]);
    expect(failing(ownerAssigned, current, AS_OF)).toEqual(
      expect.arrayContaining([id('dependabot-secret/repo/platform-tools/GHCR_READ_TOKEN'), id('app/ledgerlink-sync'), id('runner/org/2001')]),
    );
  });

  it('records tokens, Apps, keys and webhooks as the README describes them', () => {
    const identity = (native: string) => current.identities.find((candidate) => candidate.id === id(native))!;
    expect(identity('token/880101')).toMatchObject({ expiresAt: null, status: 'active', owner: { id: 'jpark', source: 'token-owner' } });
    expect(identity('token/880102')).toMatchObject({ expiresAt: '2026-12-05T02:14:00Z', status: 'active' });
    expect(identity('token/880103')).toMatchObject({ status: 'disabled' });
    expect(identity('token/880104').lastUsed).toEqual({ at: '2026-05-04T10:30:00Z' });
    expect(identity('credential-authorization/9920011').tags['github.token_type']).toBe('classic');
    expect(identity('app/ledgerlink-sync')).toMatchObject({ vendor: 'ledgerlink', privilege: { level: 'admin', reach: 'all' } });
    expect(identity('app/corvid-deploy')).toMatchObject({ privilege: { level: 'write', reach: 'selected' } });
    expect(identity('app/corvid-deploy').vendor).toBeUndefined();
    expect(identity('deploy-key/legacy-billing/118801201')).toMatchObject({
      status: 'disabled',
      privilege: { level: 'write' },
      tags: { 'github.repository_archived': 'true' },
    });
    expect(identity('webhook/repo/web-storefront/481100801')).toMatchObject({ credentials: [], tags: { 'github.webhook_secret': 'none' } });
    expect(identity('webhook/repo/ar-vendor-feed/481100501').tags).toMatchObject({ 'github.insecure_ssl': '1', 'github.webhook_secret': 'set', vendor: 'ArFlow Inc.' });
    expect(identity('deploy-key/reporting-service/118800201').owner).toEqual({ id: 'corvid-systems/reporting-eng', source: 'codeowners', status: 'unknown' });
    expect(identity('actions-secret/org/SNOWFLAKE_PASSWORD').privilege.grants[0]!.evidence).toEqual(['data-warehouse-etl', 'revenue-close-jobs']);
  });

  it('never shows a date after the as-of date of the cycle', async () => {
    const dataset = await loadDataset(DEMO_DIR);
    expect(dataset.org.login).toBe('corvid-systems');
    for (const [run, now] of [[previous, PREVIOUS], [current, AS_OF]] as const) {
      const late = run.identities.flatMap((identity) =>
        [identity.createdAt, ...identity.credentials.flatMap((credential) => [credential.createdAt, credential.rotatedAt, typeof credential.lastUsed === 'object' && 'at' in credential.lastUsed ? credential.lastUsed.at : null])]
          .filter((value): value is string => typeof value === 'string' && Date.parse(value) > now.getTime())
          .map((value) => `${identity.id} ${value}`),
      );
      expect(late).toEqual([]);
    }
  });
});
