import { PRIVILEGE_ORDER, type Grant, type Privilege, type PrivilegeFlag, type PrivilegeLevel } from '../../src/sdk/index.js';

/**
 * What a Microsoft Graph permission or a directory role lets its holder do. Application permissions act on the
 * whole tenant with no user in between; four of them let the holder raise its own access (assign itself any role
 * or permission, or add credentials to any application), so they count as privilege escalation.
 */

/** Graph application permissions that hand their holder any other privilege. */
const ESCALATING_PERMISSIONS: Record<string, PrivilegeFlag[]> = {
  'RoleManagement.ReadWrite.Directory': ['iam-write', 'privilege-escalation'],
  'AppRoleAssignment.ReadWrite.All': ['iam-write', 'privilege-escalation'],
  'Application.ReadWrite.All': ['credential-creation', 'privilege-escalation'],
  'Directory.ReadWrite.All': ['iam-write', 'privilege-escalation'],
};

/** Built-in directory roles by template id (the same in every tenant). */
const ADMIN_ROLES = new Map([
  ['62e90394-69f5-4237-9190-012177145e10', 'Global Administrator'],
  ['e8611ab8-c189-46e8-94e1-60213ab1f814', 'Privileged Role Administrator'],
]);
const ESCALATING_ROLES = new Map([
  ['9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', 'Application Administrator'],
  ['158c047a-c907-4556-b7ef-446551a6b5f7', 'Cloud Application Administrator'],
]);

/** OpenID Connect scopes: they sign a user in and read nothing of the tenant. */
const SIGN_IN_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/** Reads (`User.Read.All`, `AuditLog.Read.All`, `RoleManagement.Read.Directory`); everything else changes something. */
function levelOf(permission: string): PrivilegeLevel {
  if (SIGN_IN_SCOPES.has(permission)) return 'none';
  return /\.Read(\.|$)/.test(permission) && !/Write/.test(permission) ? 'read' : 'write';
}

/** A permission over every object of its kind in the tenant (`.All`, `.Directory`), or over objects an admin selects. */
export function reachOf(permission: string): 'all' | 'selected' {
  return /\.(All|Directory)$/.test(permission) ? 'all' : 'selected';
}

/** One application permission (an app role of a resource) the service principal holds. */
export function applicationPermission(permission: string, resource: string, resolved: boolean): Grant {
  const flags = ESCALATING_PERMISSIONS[permission] ?? [];
  return {
    via: 'permission',
    name: permission,
    ref: `${resource} application permission`,
    level: resolved ? levelOf(permission) : 'unknown',
    flags: [...flags].sort(),
    evidence: [resolved ? permission : `app role ${permission} is not defined by ${resource}`],
  };
}

/** Delegated permissions an admin or a user consented to: they act only within the signed-in user's own rights. */
export function delegatedPermission(permission: string, resource: string, allUsers: boolean): Grant {
  return {
    via: 'scope',
    name: permission,
    ref: `${resource} delegated permission, ${allUsers ? 'consented for every user' : 'consented by one user'}`,
    level: levelOf(permission),
    flags: [],
    evidence: [permission],
  };
}

export function directoryRole(name: string, templateId: string | undefined, directoryScopeId: string | undefined): Grant {
  const scope = directoryScopeId ?? '/';
  const admin = templateId !== undefined && ADMIN_ROLES.has(templateId);
  const escalating = templateId !== undefined && ESCALATING_ROLES.has(templateId);
  const level: PrivilegeLevel = admin ? 'admin' : escalating ? 'write' : /Reader/.test(name) ? 'read' : 'write';
  const flags: PrivilegeFlag[] = admin ? ['admin'] : escalating ? ['credential-creation', 'privilege-escalation'] : [];
  return { via: 'binding', name, ref: `directory role at ${scope}`, level, flags, evidence: [`${name} (${templateId ?? 'custom role'}) at ${scope}`] };
}

/**
 * The identity's privilege over its grants. `known` is false when a listing that could have added a grant failed:
 * the level is then unknown (unless what was read already makes it an administrator), never "none".
 */
export function privilegeOf(grants: Grant[], reaches: Array<'all' | 'selected'>, known: boolean): Privilege {
  const sorted = [...grants].sort((a, b) => `${a.via} ${a.name} ${a.ref}`.localeCompare(`${b.via} ${b.name} ${b.ref}`));
  const highest = sorted.reduce<PrivilegeLevel>(
    (level, grant) => (PRIVILEGE_ORDER.indexOf(grant.level) > PRIVILEGE_ORDER.indexOf(level) ? grant.level : level),
    'none',
  );
  const level: PrivilegeLevel = known || highest === 'admin' ? highest : 'unknown';
  const flags = [...new Set(sorted.flatMap((g) => g.flags))].sort();
  const reach = reaches.includes('all') ? 'all' : reaches.length > 0 ? 'selected' : 'none';
  return { level, grants: sorted, flags, ...(known ? { reach } : {}) };
}
