import { PRIVILEGE_ORDER, type Grant, type Privilege, type PrivilegeFlag, type PrivilegeLevel } from '../../src/sdk/index.js';

/**
 * Permissions whose write access lets the holder change who can reach what (collaborators, deploy keys,
 * members, roles, token approvals): the GitHub equivalent of an admin that can write IAM.
 */
const ADMINISTRATIVE = new Set([
  'administration',
  'organization_administration',
  'members',
  'organization_custom_roles',
  'organization_custom_org_roles',
  'organization_personal_access_tokens',
  'organization_personal_access_token_requests',
  'organization_user_blocking',
  'enterprise_administration',
]);

/** Writing workflows runs code with every Actions secret the repository can reach. */
const ESCALATING = new Set(['workflows']);

/** Classic OAuth scopes that administer the organization or enterprise. */
const ADMIN_SCOPES = new Set(['admin:org', 'admin:enterprise', 'site_admin', 'delete_repo']);
const WRITE_SCOPES = new Set(['repo', 'public_repo', 'workflow', 'gist', 'user', 'codespace', 'project', 'repo_deployment', 'repo:status']);
const REPO_WIDE_SCOPES = new Set(['repo', 'public_repo', 'workflow', 'admin:org', 'site_admin', 'delete_repo']);

export type Reach = NonNullable<Privilege['reach']>;

/** App installation permissions (`{contents: 'write', ...}`) as normalized grants. */
export function permissionPrivilege(permissions: Record<string, string>, reach: Reach | undefined, ref?: string): Privilege {
  const grants = Object.entries(permissions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, access]) => permissionGrant(name, access, ref));
  return aggregate(grants, reach);
}

/**
 * Fine-grained token permissions come split into `organization` and `repository`; App permissions name
 * organization permissions with an `organization_` prefix (except `members`), so both read the same way.
 */
export function tokenPermissions(permissions: { organization?: Record<string, string>; repository?: Record<string, string> }): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, access] of Object.entries(permissions.organization ?? {})) {
    flat[name === 'members' || name.startsWith('organization_') ? name : `organization_${name}`] = access;
  }
  for (const [name, access] of Object.entries(permissions.repository ?? {})) flat[name] = access;
  return flat;
}

function permissionGrant(name: string, access: string, ref?: string): Grant {
  const base = accessLevel(access);
  const elevated = base === 'write' || base === 'admin';
  const flags: PrivilegeFlag[] = [];
  let level = base;
  if (elevated && ADMINISTRATIVE.has(name)) {
    level = 'admin';
    flags.push('admin', 'iam-write');
  }
  if (elevated && ESCALATING.has(name)) flags.push('privilege-escalation');
  return { via: 'permission', name: `${name}:${access}`, ...(ref ? { ref } : {}), level, flags, evidence: [`${name}:${access}`] };
}

function accessLevel(access: string): PrivilegeLevel {
  return access === 'read' ? 'read' : access === 'write' ? 'write' : access === 'admin' ? 'admin' : 'unknown';
}

/** Classic personal access token scopes, as listed by SAML credential authorizations. */
export function scopePrivilege(scopes: readonly string[]): Privilege {
  const grants = [...scopes].sort().map((scope): Grant => {
    const level = scopeLevel(scope);
    const flags: PrivilegeFlag[] =
      level === 'admin' && scope !== 'delete_repo' ? ['admin', 'iam-write'] : scope === 'workflow' ? ['privilege-escalation'] : [];
    return { via: 'scope', name: scope, level, flags, evidence: [scope] };
  });
  return aggregate(grants, scopes.some((scope) => REPO_WIDE_SCOPES.has(scope)) ? 'all' : undefined);
}

function scopeLevel(scope: string): PrivilegeLevel {
  if (ADMIN_SCOPES.has(scope)) return 'admin';
  if (WRITE_SCOPES.has(scope) || scope.startsWith('write:') || scope.startsWith('admin:') || scope.startsWith('delete:')) return 'write';
  if (scope.startsWith('read:') || scope === 'user:email' || scope === 'user:follow') return 'read';
  return 'unknown';
}

/** A deploy key reads, or reads and pushes to, exactly one repository. */
export function deployKeyPrivilege(readOnly: boolean, repository: string): Privilege {
  const access = readOnly ? 'read' : 'write';
  const grant: Grant = {
    via: 'permission',
    name: `contents:${access}`,
    ref: repository,
    level: access,
    flags: [],
    evidence: [`read_only:${readOnly}`],
  };
  return aggregate([grant], 'selected');
}

/** The highest level among the grants and the union of their flags. */
export function aggregate(grants: Grant[], reach: Reach | undefined): Privilege {
  const known = grants.filter((grant) => grant.level !== 'unknown');
  const level: PrivilegeLevel =
    grants.length === 0
      ? 'none'
      : known.length === 0
        ? 'unknown'
        : known.reduce<PrivilegeLevel>(
            (highest, grant) => (PRIVILEGE_ORDER.indexOf(grant.level) > PRIVILEGE_ORDER.indexOf(highest) ? grant.level : highest),
            'none',
          );
  const flags = [...new Set(grants.flatMap((grant) => grant.flags))].sort();
  return { level, grants, flags, ...(reach ? { reach } : {}) };
}
