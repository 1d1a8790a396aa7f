import type { iam_v1 } from '@googleapis/iam';
import type { PrivilegeFlag, PrivilegeLevel } from '../../src/sdk/index.js';
import type { RoleMeaning } from './roles.js';
import type { Located } from './transport.js';

/** A custom role as read for one run: the role, or why it could not be read. */
export type RoleRead = { role: Located<iam_v1.Schema$Role> } | { unreadable: string };

export const isCustomRole = (role: string) => /^(projects|organizations)\/[^/]+\/roles\/[^/]+$/.test(role);

/**
 * The permissions that make a role risky, the same ones the predefined roles are judged by (roles.ts), with the
 * rest of Rhino Security Labs' GCP escalation list that a custom role can hold on its own.
 */
const IMPERSONATION = new Set([
  'iam.serviceAccounts.actAs',
  'iam.serviceAccounts.getAccessToken',
  'iam.serviceAccounts.getOpenIdToken',
  'iam.serviceAccounts.implicitDelegation',
  'iam.serviceAccounts.signBlob',
  'iam.serviceAccounts.signJwt',
]);
const CREDENTIAL_CREATION = new Set(['iam.serviceAccountKeys.create', 'storage.hmacKeys.create']);
/** Setting the policy of the project or anything above it: the holder can grant itself roles/owner. */
const HIERARCHY_POLICY = new Set([
  'resourcemanager.projects.setIamPolicy',
  'resourcemanager.folders.setIamPolicy',
  'resourcemanager.organizations.setIamPolicy',
]);
const IAM_WRITE = new Set([...HIERARCHY_POLICY, 'iam.serviceAccounts.setIamPolicy', 'iam.roles.update']);

/** `service.resource.verb`: a verb that only reads (get, list, search...) never makes a role write. */
const READ_VERB = /^(get|list|search|lookup|check|test)/i;
const isReadOnly = (permission: string) => READ_VERB.test(permission.split('.').pop() ?? '');

/** Write permissions quoted in a grant's evidence beside the flagged ones; the count gives the rest. */
const QUOTED_WRITES = 5;

export const customRoleImpersonates = (role: iam_v1.Schema$Role) =>
  !grantsNothing(role) && (role.includedPermissions ?? []).some((p) => IMPERSONATION.has(p));

function grantsNothing(role: iam_v1.Schema$Role): string | undefined {
  if (role.deleted) return 'custom role deleted: grants nothing';
  if (role.stage === 'DISABLED') return 'custom role disabled (stage DISABLED): grants nothing';
  return undefined;
}

/** What holding a custom role means, from the permissions it includes. */
export function customRoleMeaning(role: iam_v1.Schema$Role): RoleMeaning {
  const inactive = grantsNothing(role);
  if (inactive) return { level: 'none', flags: [], evidence: [inactive] };
  const permissions = [...new Set(role.includedPermissions ?? [])].sort();
  if (permissions.length === 0) return { level: 'none', flags: [], evidence: ['custom role with no permissions'] };

  const flags = new Set<PrivilegeFlag>();
  const flagged = new Set<string>();
  const mark = (set: ReadonlySet<string>, ...marks: PrivilegeFlag[]) => {
    const held = permissions.filter((p) => set.has(p));
    if (held.length === 0) return;
    marks.forEach((f) => flags.add(f));
    held.forEach((p) => flagged.add(p));
  };
  mark(IMPERSONATION, 'impersonation', 'privilege-escalation');
  mark(CREDENTIAL_CREATION, 'credential-creation', 'privilege-escalation');
  mark(IAM_WRITE, 'iam-write', 'privilege-escalation');

  const writes = permissions.filter((p) => !isReadOnly(p) && !flagged.has(p));
  let level: PrivilegeLevel;
  if (permissions.some((p) => HIERARCHY_POLICY.has(p))) {
    level = 'admin';
    flags.add('admin');
  } else {
    level = flags.size > 0 || writes.length > 0 ? 'write' : 'read';
  }
  const more = writes.length > QUOTED_WRITES ? [`and ${writes.length - QUOTED_WRITES} more write permissions`] : [];
  return {
    level,
    flags: [...flags].sort(),
    evidence: [
      ...flagged,
      ...writes.slice(0, QUOTED_WRITES),
      ...more,
      `custom role: ${permissions.length} permissions${level === 'read' ? ', all read-only' : ''}`,
    ].sort(),
  };
}
