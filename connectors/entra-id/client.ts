import {
  ApplicationSchema,
  AppRoleAssignmentSchema,
  CredentialActivitySchema,
  FederatedCredentialSchema,
  OwnerSchema,
  page,
  PermissionGrantSchema,
  RoleAssignmentSchema,
  RoleDefinitionSchema,
  ServicePrincipalActivitySchema,
  ServicePrincipalSchema,
} from './schemas.js';
import type { Call } from './transport.js';

/**
 * The Graph operations the connector calls, named as the manifest records them (and as the sandbox and `--fault`
 * name them). The two `beta.` ones read what v1.0 does not have: flexible federated credentials and the sign-in
 * activity reports.
 */
export const OP = {
  applications: 'applications.list',
  applicationOwners: 'applications.owners.list',
  federatedCredentials: 'beta.applications.federatedIdentityCredentials.list',
  servicePrincipals: 'servicePrincipals.list',
  servicePrincipalOwners: 'servicePrincipals.owners.list',
  appRoleAssignedTo: 'servicePrincipals.appRoleAssignedTo.list',
  permissionGrants: 'oauth2PermissionGrants.list',
  roleDefinitions: 'roleManagement.directory.roleDefinitions.list',
  roleAssignments: 'roleManagement.directory.roleAssignments.list',
  servicePrincipalActivity: 'beta.reports.servicePrincipalSignInActivities.list',
  credentialActivity: 'beta.reports.appCredentialSignInActivities.list',
} as const;
export type Operation = (typeof OP)[keyof typeof OP];

/** The least-privileged Graph application permission each operation needs, for the hint of a refusal. */
export const PERMISSIONS: Record<Operation, string> = {
  [OP.applications]: 'Application.Read.All',
  [OP.applicationOwners]: 'Application.Read.All',
  [OP.federatedCredentials]: 'Application.Read.All',
  [OP.servicePrincipals]: 'Application.Read.All',
  [OP.servicePrincipalOwners]: 'Application.Read.All',
  [OP.appRoleAssignedTo]: 'Application.Read.All',
  [OP.permissionGrants]: 'Directory.Read.All',
  [OP.roleDefinitions]: 'RoleManagement.Read.Directory',
  [OP.roleAssignments]: 'RoleManagement.Read.Directory',
  [OP.servicePrincipalActivity]: 'AuditLog.Read.All (and an Entra ID P1 or P2 licence)',
  [OP.credentialActivity]: 'AuditLog.Read.All (and an Entra ID P1 or P2 licence)',
};

const CREDENTIALS = ['passwordCredentials', 'keyCredentials'];
const OWNER_FIELDS = ['id', 'displayName', 'userPrincipalName', 'mail', 'appId'];

/** A GET with `$select` and the rest of its query, kept in the manifest as its parameters. */
function call(
  operation: Operation,
  path: string,
  schema: Call['schema'],
  options: { select?: string[]; top?: number; counted?: boolean; version?: Call['version'] } = {},
): Call {
  const query: Record<string, string> = {};
  if (options.select) query.$select = options.select.join(',');
  if (options.top) query.$top = String(options.top);
  if (options.counted) query.$count = 'true';
  const version = options.version ?? 'v1.0';
  return {
    operation,
    version,
    path,
    query,
    ...(options.counted ? { counted: true } : {}),
    parameters: { path: `/${version}${path}`, ...query },
    schema,
  };
}

export const calls = {
  applications: (top: number) =>
    call(OP.applications, '/applications', page(ApplicationSchema), {
      select: ['id', 'appId', 'displayName', 'createdDateTime', 'signInAudience', ...CREDENTIALS],
      top,
      counted: true,
    }),
  applicationOwners: (applicationId: string, top: number) =>
    call(OP.applicationOwners, `/applications/${applicationId}/owners`, page(OwnerSchema), { select: OWNER_FIELDS, top }),
  federatedCredentials: (applicationId: string) =>
    call(OP.federatedCredentials, `/applications/${applicationId}/federatedIdentityCredentials`, page(FederatedCredentialSchema), {
      version: 'beta',
    }),
  servicePrincipals: (top: number) =>
    call(OP.servicePrincipals, '/servicePrincipals', page(ServicePrincipalSchema), {
      select: [
        'id',
        'appId',
        'displayName',
        'servicePrincipalType',
        'appOwnerOrganizationId',
        'accountEnabled',
        'publisherName',
        'verifiedPublisher',
        'appRoles',
        ...CREDENTIALS,
      ],
      top,
      counted: true,
    }),
  servicePrincipalOwners: (servicePrincipalId: string, top: number) =>
    call(OP.servicePrincipalOwners, `/servicePrincipals/${servicePrincipalId}/owners`, page(OwnerSchema), { select: OWNER_FIELDS, top }),
  appRoleAssignedTo: (resourceId: string, top: number) =>
    call(OP.appRoleAssignedTo, `/servicePrincipals/${resourceId}/appRoleAssignedTo`, page(AppRoleAssignmentSchema), {
      select: ['id', 'appRoleId', 'principalId', 'principalType', 'resourceId', 'resourceDisplayName', 'createdDateTime'],
      top,
      counted: true,
    }),
  permissionGrants: () =>
    call(OP.permissionGrants, '/oauth2PermissionGrants', page(PermissionGrantSchema), {
      select: ['id', 'clientId', 'consentType', 'principalId', 'resourceId', 'scope'],
    }),
  roleDefinitions: () =>
    call(OP.roleDefinitions, '/roleManagement/directory/roleDefinitions', page(RoleDefinitionSchema), {
      select: ['id', 'displayName', 'templateId', 'isBuiltIn'],
    }),
  roleAssignments: () =>
    call(OP.roleAssignments, '/roleManagement/directory/roleAssignments', page(RoleAssignmentSchema), {
      select: ['id', 'principalId', 'roleDefinitionId', 'directoryScopeId'],
    }),
  servicePrincipalActivity: (top: number) =>
    call(OP.servicePrincipalActivity, '/reports/servicePrincipalSignInActivities', page(ServicePrincipalActivitySchema), {
      version: 'beta',
      top,
    }),
  credentialActivity: (top: number) =>
    call(OP.credentialActivity, '/reports/appCredentialSignInActivities', page(CredentialActivitySchema), { version: 'beta', top }),
};
