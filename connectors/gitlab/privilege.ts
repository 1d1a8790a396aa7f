import { PRIVILEGE_ORDER, type Grant, type Privilege, type PrivilegeFlag, type PrivilegeLevel } from '../../src/sdk/index.js';

/** GitLab's roles by access level, as group and project access tokens report them. */
export const ROLES: Readonly<Record<number, string>> = { 5: 'minimal-access', 10: 'guest', 15: 'planner', 20: 'reporter', 30: 'developer', 40: 'maintainer', 50: 'owner' };

export type Reach = NonNullable<Privilege['reach']>;

const WRITE_SCOPES = new Set(['write_repository', 'write_registry', 'write_package_registry', 'write_virtual_registry', 'create_runner', 'manage_runner', 'k8s_proxy', 'ai_features']);

/**
 * One token scope as a grant. `api` is everything the token's role may do through the API: an Owner's token
 * administers the group (members, tokens, settings), a Maintainer's mints tokens and deploy credentials; `sudo`
 * acts as any user. The role comes with group and project access tokens; a user's token has none to give.
 */
function scopeGrant(scope: string, accessLevel: number | undefined, ref: string): Grant {
  const role = accessLevel === undefined ? undefined : (ROLES[accessLevel] ?? `access-level-${accessLevel}`);
  const evidence = [scope, ...(role ? [`role:${role}`] : [])];
  let level: PrivilegeLevel = 'unknown';
  const flags: PrivilegeFlag[] = [];
  if (scope === 'sudo' || scope === 'admin_mode') {
    level = 'admin';
    flags.push('admin', 'impersonation');
  } else if (scope === 'api') {
    level = accessLevel !== undefined && accessLevel >= 50 ? 'admin' : 'write';
    if (level === 'admin') flags.push('admin', 'iam-write');
    if (accessLevel !== undefined && accessLevel >= 40) flags.push('credential-creation');
  } else if (WRITE_SCOPES.has(scope)) {
    level = 'write';
  } else if (scope.startsWith('read_')) {
    level = 'read';
  } else if (scope === 'self_rotate') {
    level = 'none';
  }
  return { via: 'scope', name: scope, ref, level, flags: flags.sort(), evidence };
}

/** A token's scopes (with its role, for access tokens) over a group, project or user. */
export function tokenPrivilege(scopes: readonly string[], accessLevel: number | undefined, ref: string, reach: Reach | undefined): Privilege {
  return aggregate([...scopes].sort().map((scope) => scopeGrant(scope, accessLevel, ref)), reach);
}

/** A deploy key reads, or reads and pushes to, the project it is enabled for. */
export function deployKeyPrivilege(canPush: boolean, project: string): Privilege {
  const access = canPush ? 'write' : 'read';
  return aggregate([{ via: 'permission', name: `repository:${access}`, ref: project, level: access, flags: [], evidence: [`can_push:${canPush}`] }], 'selected');
}

/** The highest level among the grants and the union of their flags. */
export function aggregate(grants: Grant[], reach: Reach | undefined): Privilege {
  const known = grants.filter((grant) => grant.level !== 'unknown');
  const level: PrivilegeLevel =
    grants.length === 0
      ? 'none'
      : known.length === 0
        ? 'unknown'
        : known.reduce<PrivilegeLevel>((highest, grant) => (PRIVILEGE_ORDER.indexOf(grant.level) > PRIVILEGE_ORDER.indexOf(highest) ? grant.level : highest), 'none');
  const flags = [...new Set(grants.flatMap((grant) => grant.flags))].sort();
  return { level, grants, flags, ...(reach ? { reach } : {}) };
}
