import { describe, expect, it } from 'vitest';
import {
  defaultCodeowner,
  deployKeyIdentity,
  installationIdentity,
  instant,
  lastUsed,
  patGrantIdentity,
  repository,
  runnerIdentity,
  secretIdentity,
  sshFingerprint,
  webhookIdentity,
  type Repository,
} from '../../../connectors/github/normalize.js';
import type { RawDeployKey, RawPatGrant, RawWebhook, RepositoryNode } from '../../../connectors/github/responses.js';
import { permissionPrivilege, scopePrivilege, tokenPermissions } from '../../../connectors/github/privilege.js';
import { IdentitySchema } from '../../../src/sdk/index.js';

const origin = { source: 'gh', org: 'corvid-systems', rawRef: 'raw/gh/corvid-systems/page-0001.json#/body/0' };
const repo: Repository = { name: 'reporting-service', archived: false, deployKeyCount: 1, environments: [], environmentsTruncated: false, properties: {} };

function node(overrides: Partial<RepositoryNode> = {}): RepositoryNode {
  return {
    name: 'reporting-service',
    isArchived: false,
    visibility: 'PRIVATE',
    deployKeys: { totalCount: 0 },
    environments: { totalCount: 0, nodes: [] },
    codeownersGithub: null,
    codeownersRoot: null,
    codeownersDocs: null,
    ...overrides,
  };
}

const key: RawDeployKey = {
  id: 7,
  title: 'ci',
  key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMk+GRDwY0FxP+ZYOZdpFHGgMDs0yQ3biturc0OM1gTv test',
  read_only: true,
  created_at: '2025-01-01T00:00:00Z',
};

const grant: RawPatGrant = {
  id: 1,
  owner: { login: 'dana' },
  repository_selection: 'none',
  permissions: {},
  access_granted_at: '2026-01-01T00:00:00Z',
  token_id: 77,
  token_name: 't',
  token_expired: false,
  token_expires_at: null,
  token_last_used_at: null,
};

describe('dates and last use', () => {
  it('writes whole-second UTC instants from offsets and fractions', () => {
    expect(instant('2023-05-16T08:47:09.000-07:00')).toBe('2023-05-16T15:47:09Z');
    expect(instant('2023-05-16T08:47:09.250Z')).toBe('2023-05-16T08:47:09.250Z');
    expect(instant(null)).toBeNull();
    expect(instant('not a date')).toBeNull();
  });

  it('keeps "never used" (null) apart from "no data" (field absent)', () => {
    expect(lastUsed(undefined)).toBe('unknown');
    expect(lastUsed(null)).toBe('never');
    expect(lastUsed('2026-11-01T10:00:00+02:00')).toEqual({ at: '2026-11-01T08:00:00Z' });
  });
});

describe('owner hints', () => {
  it('takes the last catch-all CODEOWNERS rule and prefers a team', () => {
    expect(defaultCodeowner('* @old-owner\n# * @commented-out\n*.md @docs\n* @dana @corvid-systems/finance-platform # main rule\n')).toBe(
      'corvid-systems/finance-platform',
    );
    expect(defaultCodeowner('* @dana\n')).toBe('dana');
    expect(defaultCodeowner('/src/ @corvid-systems/devs\n')).toBeUndefined();
  });

  it('prefers the owner custom property over CODEOWNERS and keeps properties as tags', () => {
    const withProperty = repository(
      node({ codeownersDocs: { text: '* @corvid-systems/ops' } }),
      { repository_name: 'reporting-service', properties: [{ property_name: 'owner', value: 'finance-eng' }, { property_name: 'data', value: ['sox', 'pii'] }, { property_name: 'unset', value: null }] },
      'owner',
    );
    expect(withProperty.owner).toEqual({ id: 'finance-eng', source: 'property:owner', status: 'unknown' });
    expect(withProperty.properties).toEqual({ owner: 'finance-eng', data: 'sox,pii' });
    expect(repository(node({ codeownersDocs: { text: '* @corvid-systems/ops' } }), undefined, 'owner').owner).toEqual({ id: 'corvid-systems/ops', source: 'codeowners', status: 'unknown' });
    expect(repository(node(), undefined, 'owner').owner).toBeUndefined();
  });

  it('notes when the inventory query did not list every environment', () => {
    expect(repository(node({ environments: { totalCount: 101, nodes: [{ name: 'a' }] } }), undefined, 'owner').environmentsTruncated).toBe(true);
  });

  it('falls back to who added a deploy key', () => {
    expect(deployKeyIdentity({ ...key, added_by: 'erin' }, repo, origin).owner).toEqual({ id: 'erin', source: 'added_by', status: 'unknown' });
    expect(deployKeyIdentity(key, { ...repo, owner: { id: 'team', source: 'codeowners', status: 'unknown' } }, origin).owner?.id).toBe('team');
  });
});

describe('privilege normalization', () => {
  it('reads App permissions as admin, write and read levels', () => {
    expect(permissionPrivilege({ administration: 'write', metadata: 'read' }, 'all')).toMatchObject({ level: 'admin', flags: ['admin', 'iam-write'], reach: 'all' });
    expect(permissionPrivilege({ administration: 'read', contents: 'write' }, 'selected')).toMatchObject({ level: 'write', flags: [] });
    expect(permissionPrivilege({ workflows: 'write' }, undefined).flags).toEqual(['privilege-escalation']);
    expect(permissionPrivilege({ metadata: 'read' }, undefined).level).toBe('read');
    expect(permissionPrivilege({}, undefined).level).toBe('none');
    expect(permissionPrivilege({ some_future_permission: 'maintain' }, undefined).level).toBe('unknown');
  });

  it('reads fine-grained token permissions with App names', () => {
    expect(tokenPermissions({ organization: { administration: 'write', members: 'read' }, repository: { contents: 'read' } })).toEqual({
      organization_administration: 'write',
      members: 'read',
      contents: 'read',
    });
  });

  it('reads classic scopes', () => {
    expect(scopePrivilege(['admin:org'])).toMatchObject({ level: 'admin', flags: ['admin', 'iam-write'], reach: 'all' });
    expect(scopePrivilege(['read:org', 'read:user'])).toMatchObject({ level: 'read' });
    expect(scopePrivilege(['read:org']).reach).toBeUndefined();
    expect(scopePrivilege(['repo', 'workflow'])).toMatchObject({ level: 'write', flags: ['privilege-escalation'], reach: 'all' });
    expect(scopePrivilege([]).level).toBe('none');
  });

  it('makes a deploy key read or write on its one repository', () => {
    expect(deployKeyIdentity(key, repo, origin).privilege).toMatchObject({ level: 'read', reach: 'selected', grants: [{ name: 'contents:read', ref: 'reporting-service' }] });
    expect(deployKeyIdentity({ ...key, read_only: false }, repo, origin).privilege.level).toBe('write');
  });
});

describe('identities', () => {
  it('fingerprints SSH keys as ssh-keygen -lf does', () => {
    expect(sshFingerprint(key.key)).toBe('SHA256:fGXZJ6Xj+7tg1Kou5JSZxjiSsMTJdAw6rdhxhlGqqTo');
    expect(sshFingerprint('garbage')).toBeUndefined();
  });

  it('marks a disabled deploy key inactive', () => {
    const identity = deployKeyIdentity({ ...key, enabled: false, last_used: null }, repo, origin);
    expect(identity).toMatchObject({ status: 'disabled', lastUsed: 'never', credentials: [{ status: 'inactive', rotatedAt: null }] });
  });

  it('reads token grants: no expiry, no repositories, expired', () => {
    const open = patGrantIdentity(grant, origin);
    expect(open).toMatchObject({ expiresAt: null, lastUsed: 'never', status: 'active', privilege: { level: 'none', reach: 'none' } });
    expect(open.credentials[0]).toMatchObject({ expiresAt: null, status: 'active' });
    const expired = patGrantIdentity({ ...grant, token_expired: true, token_expires_at: '2026-02-01T00:00:00Z', repository_selection: 'all' }, origin);
    expect(expired).toMatchObject({ status: 'disabled', expiresAt: '2026-02-01T00:00:00Z', privilege: { reach: 'all' }, credentials: [{ status: 'inactive' }] });
  });

  it('names third-party App publishers only', () => {
    const raw = {
      id: 1,
      app_id: 2,
      app_slug: 'ledger-sync',
      repository_selection: 'all' as const,
      permissions: {},
      events: [],
      created_at: '2025-01-01T00:00:00Z',
      updated_at: '2025-01-01T00:00:00Z',
      suspended_at: null,
    };
    expect(installationIdentity(raw, { name: 'Ledger Sync', owner: { login: 'ledgerly' } }, origin).vendor).toBe('ledgerly');
    expect(installationIdentity(raw, { name: 'Ours', owner: { login: 'Corvid-Systems' } }, origin).vendor).toBeUndefined();
    expect(installationIdentity(raw, undefined, origin).vendor).toBeUndefined();
  });

  it('gives a webhook a credential only when a secret is set', () => {
    const hook: RawWebhook = { id: 3, active: true, events: ['push'], config: { url: 'https://hooks.example/p?token=x' }, created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z' };
    expect(webhookIdentity(hook, undefined, origin)).toMatchObject({ credentials: [], name: 'hooks.example', privilege: { reach: 'all' } });
    expect(webhookIdentity({ ...hook, config: { ...hook.config, secret: '' } }, undefined, origin).credentials).toEqual([]);
    const signed = webhookIdentity({ ...hook, config: { secret: '********', insecure_ssl: 1 }, last_response: { status: 'unused' } }, repo, origin);
    expect(signed.credentials).toHaveLength(1);
    expect(signed).toMatchObject({ lastUsed: 'never', tags: { 'github.insecure_ssl': '1', 'github.webhook_secret': 'set' } });
  });

  it('scopes runners by repository or runner group', () => {
    const runner = { id: 5, name: 'r', os: 'linux', status: 'online', labels: [{ name: 'self-hosted' }] };
    expect(runnerIdentity(runner, { repo }, origin).privilege.reach).toBe('selected');
    expect(runnerIdentity(runner, { group: { id: 1, name: 'Default', visibility: 'all', allows_public_repositories: true } }, origin).privilege.reach).toBe('all');
    expect(runnerIdentity(runner, {}, origin).privilege.reach).toBeUndefined();
  });

  it('identifies secrets by family, level, repository and environment', () => {
    const secret = { name: 'DB', created_at: '2025-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };
    const env = secretIdentity(secret, 'actions', { level: 'env', repo, environment: 'prod' }, origin);
    expect(env).toMatchObject({ id: 'github:corvid-systems:actions-secret/env/reporting-service/prod/DB', environment: 'prod', credentials: [{ rotatedAt: '2026-01-01T00:00:00Z' }] });
    expect(secretIdentity(secret, 'codespaces', { level: 'repo', repo }, origin).id).toBe('github:corvid-systems:codespaces-secret/repo/reporting-service/DB');
    expect(secretIdentity({ ...secret, visibility: 'private' }, 'dependabot', { level: 'org' }, origin).privilege).toMatchObject({ reach: 'selected', grants: [{ name: 'visibility:private' }] });
  });

  it('produces identities the engine accepts', () => {
    for (const identity of [deployKeyIdentity(key, repo, origin), patGrantIdentity(grant, origin)]) {
      expect(IdentitySchema.safeParse(identity).success).toBe(true);
    }
  });
});
