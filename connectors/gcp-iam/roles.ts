import type { PrivilegeFlag, PrivilegeLevel } from '../../src/sdk/index.js';
import { isCustomRole } from './custom-roles.js';

/** What holding a role on a project means, and the permissions or rule that say so. */
export interface RoleMeaning {
  level: PrivilegeLevel;
  flags: PrivilegeFlag[];
  evidence: string[];
}

const SET_PROJECT_POLICY = 'resourcemanager.projects.setIamPolicy';
const CREATE_KEY = 'iam.serviceAccountKeys.create';
const ACT_AS = 'iam.serviceAccounts.actAs';
const GET_TOKEN = 'iam.serviceAccounts.getAccessToken';

/** Roles whose holders can act as, or mint credentials for, the project's service accounts. */
export const IMPERSONATION_ROLES: Readonly<Record<string, string[]>> = {
  'roles/iam.serviceAccountTokenCreator': [GET_TOKEN, 'iam.serviceAccounts.getOpenIdToken', 'iam.serviceAccounts.signBlob', 'iam.serviceAccounts.signJwt'],
  'roles/iam.serviceAccountUser': [ACT_AS],
  'roles/iam.serviceAccountOpenIdTokenCreator': ['iam.serviceAccounts.getOpenIdToken'],
  'roles/iam.workloadIdentityUser': [GET_TOKEN],
};

const CREDENTIAL_ROLES: Readonly<Record<string, string[]>> = {
  'roles/iam.serviceAccountKeyAdmin': [CREATE_KEY, 'iam.serviceAccountKeys.disable', 'iam.serviceAccountKeys.delete'],
};

/** Roles that can change who holds what: on the project, or on its service accounts. */
const IAM_WRITE_ROLES: Readonly<Record<string, string[]>> = {
  'roles/resourcemanager.projectIamAdmin': [SET_PROJECT_POLICY],
  'roles/iam.securityAdmin': [SET_PROJECT_POLICY, 'iam.serviceAccounts.setIamPolicy'],
  'roles/iam.serviceAccountAdmin': ['iam.serviceAccounts.setIamPolicy'],
  'roles/resourcemanager.folderAdmin': ['resourcemanager.folders.setIamPolicy', SET_PROJECT_POLICY],
  'roles/resourcemanager.organizationAdmin': ['resourcemanager.organizations.setIamPolicy', SET_PROJECT_POLICY],
};

const BASIC_ROLES: Readonly<Record<string, RoleMeaning>> = {
  'roles/owner': {
    level: 'admin',
    flags: ['admin', 'credential-creation', 'iam-write', 'impersonation', 'privilege-escalation'],
    evidence: [ACT_AS, CREATE_KEY, SET_PROJECT_POLICY, 'basic role: every permission in the project'],
  },
  'roles/editor': {
    level: 'admin',
    flags: ['admin', 'credential-creation', 'impersonation', 'privilege-escalation'],
    evidence: [ACT_AS, CREATE_KEY, 'basic role: write to most resources in the project'],
  },
  'roles/viewer': { level: 'read', flags: [], evidence: ['basic role: read most resources in the project'] },
  'roles/browser': { level: 'read', flags: [], evidence: ['read the project hierarchy'] },
};

/** The role's own name: `storageAdmin` of `roles/storage.admin`…; a `.v1`-style suffix is not its name. */
function roleLeaf(role: string): string {
  const parts = role.replace(/\.v\d+$/, '').split(/[./]/);
  return parts[parts.length - 1] ?? role;
}

export function roleMeaning(role: string): RoleMeaning {
  const basic = BASIC_ROLES[role];
  if (basic) return { ...basic, flags: [...basic.flags], evidence: [...basic.evidence] };

  const flags = new Set<PrivilegeFlag>();
  const evidence = new Set<string>();
  const add = (table: Readonly<Record<string, string[]>>, ...marks: PrivilegeFlag[]) => {
    const permissions = table[role];
    if (!permissions) return;
    marks.forEach((f) => flags.add(f));
    permissions.forEach((p) => evidence.add(p));
  };
  add(IMPERSONATION_ROLES, 'impersonation', 'privilege-escalation');
  add(CREDENTIAL_ROLES, 'credential-creation', 'privilege-escalation');
  add(IAM_WRITE_ROLES, 'iam-write', 'privilege-escalation');

  const leaf = roleLeaf(role);
  let level: PrivilegeLevel;
  if (/admin$/i.test(leaf)) {
    level = 'admin';
    flags.add('admin');
    evidence.add('role name ends in Admin');
  } else if (/(viewer|reader|browser|reviewer)$/i.test(leaf)) {
    level = flags.size > 0 ? 'write' : 'read';
    if (flags.size === 0) evidence.add('read-only role by name');
  } else if (isCustomRole(role) && flags.size === 0) {
    // A custom role's permissions are not read here: its reach is not known.
    level = 'unknown';
    evidence.add('custom role: permissions not read');
  } else {
    level = 'write';
    if (flags.size === 0) evidence.add('role not read-only by name');
  }
  return { level, flags: [...flags].sort(), evidence: [...evidence].sort() };
}
