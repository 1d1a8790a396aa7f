import type { Credential, Grant, Identity, LastUsed, Owner, TrustPrincipal } from '../../src/sdk/index.js';
import { applicationPermission, delegatedPermission, directoryRole, privilegeOf, reachOf } from './privilege.js';
import type {
  Application,
  AppRoleAssignment,
  CredentialActivity,
  DirectoryOwner,
  FederatedCredential,
  KeyCredential,
  PasswordCredential,
  PermissionGrant,
  RoleAssignment,
  RoleDefinition,
  ServicePrincipal,
  ServicePrincipalActivity,
} from './schemas.js';
import type { Located } from './transport.js';

export const CONNECTOR_ID = 'entra-id';

/** Microsoft's own tenants: their service principals are the platform (Microsoft Graph, Exchange), not a vendor's. */
export const MICROSOFT_TENANTS = new Set(['f8cdef31-a31e-4b4a-93e4-5f571e91255a', '72f988bf-86f1-41af-91ab-2d7cd011db47']);

/** The app role every resource grants implicitly ("default access"). */
const DEFAULT_ACCESS = '00000000-0000-0000-0000-000000000000';

/**
 * Everything read from one tenant, as the collection (or a re-read of its raw pages) assembled it. A map misses an
 * object whose listing failed; an optional field is undefined when its listing failed or was not asked for.
 */
export interface TenantSnapshot {
  source: string;
  tenantId: string;
  now: Date;
  applications: Array<Located<Application>>;
  servicePrincipals: Array<Located<ServicePrincipal>>;
  /** By application object id. */
  applicationOwners: Map<string, DirectoryOwner[]>;
  federatedCredentials: Map<string, FederatedCredential[]>;
  /** By service principal object id. */
  servicePrincipalOwners: Map<string, DirectoryOwner[]>;
  /** By resource service principal id: the app role assignments granted for it. */
  appRoleAssignedTo: Map<string, AppRoleAssignment[]>;
  permissionGrants: PermissionGrant[] | undefined;
  roleDefinitions: RoleDefinition[] | undefined;
  roleAssignments: RoleAssignment[] | undefined;
  servicePrincipalActivity: ServicePrincipalActivity[] | undefined;
  credentialActivity: CredentialActivity[] | undefined;
}

/** Graph writes instants with or without fractions of a second; the inventory writes them one way. */
function instant(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * The reports list what signed in; Microsoft does not say how far back, so an identity or credential absent from
 * them (or a report not read) has no data: unknown, never "never".
 */
function lastUsedOf(at: string | null | undefined): LastUsed {
  const when = instant(at);
  return when ? { at: when } : 'unknown';
}

function credentials(
  owner: { passwordCredentials: PasswordCredential[]; keyCredentials: KeyCredential[] },
  activity: Map<string, CredentialActivity> | undefined,
  now: Date,
): Credential[] {
  const used = (keyId: string): LastUsed => lastUsedOf(activity?.get(keyId.toLowerCase())?.signInActivity?.lastSignInDateTime);
  const status = (end: string | null): 'active' | 'inactive' => (end !== null && Date.parse(end) <= now.getTime() ? 'inactive' : 'active');
  const secrets = owner.passwordCredentials.map((c): Credential => {
    const expiresAt = instant(c.endDateTime);
    return { id: c.keyId, type: 'client-secret', status: status(expiresAt), createdAt: instant(c.startDateTime), rotatedAt: null, lastUsed: used(c.keyId), expiresAt };
  });
  // Only keys that sign the app in ("Verify"); "Sign" keys sign SAML tokens the app issues.
  const certificates = owner.keyCredentials
    .filter((c) => (c.usage ?? 'Verify').toLowerCase() === 'verify')
    .map((c): Credential => {
      const expiresAt = instant(c.endDateTime);
      return {
        id: c.keyId,
        type: 'certificate',
        status: status(expiresAt),
        createdAt: instant(c.startDateTime),
        rotatedAt: null,
        lastUsed: used(c.keyId),
        expiresAt,
        ...(c.customKeyIdentifier ? { fingerprint: c.customKeyIdentifier } : {}),
      };
    });
  return [...secrets, ...certificates];
}

/** `claims['sub'] matches 'repo:org/repo:ref:refs/heads/*'` → the pattern; any other expression as written. */
function subjectsOf(credential: FederatedCredential): string[] {
  if (credential.subject) return [credential.subject];
  const expression = credential.claimsMatchingExpression?.value;
  if (!expression) return [];
  const match = /^\s*claims\[['"]sub['"]\]\s+matches\s+'([^']*)'\s*$/.exec(expression);
  return [match ? match[1]! : expression];
}

function trustOf(federated: FederatedCredential[] | undefined): TrustPrincipal[] | undefined {
  if (!federated || federated.length === 0) return undefined;
  return [...federated]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((f) => ({ type: 'federated', value: f.issuer, subjects: subjectsOf(f), audiences: [...f.audiences].sort(), conditioned: true }));
}

function ownerOf(owners: DirectoryOwner[]): Owner | undefined {
  const names = owners.map((o) => o.userPrincipalName ?? o.mail ?? (o.appId ? `application ${o.appId}` : (o.displayName ?? o.id))).sort();
  return names[0] === undefined ? undefined : { id: names[0], source: 'entra:owners', status: 'unknown' };
}

interface Lookups {
  servicePrincipalsById: Map<string, ServicePrincipal>;
  rolesById: Map<string, RoleDefinition>;
  assignmentsByPrincipal: Map<string, AppRoleAssignment[]>;
  grantsByClient: Map<string, PermissionGrant[]>;
  rolesByPrincipal: Map<string, RoleAssignment[]>;
  /** Whether every listing that can grant a service principal something was read. */
  privilegeKnown: boolean;
  spActivity: Map<string, ServicePrincipalActivity> | undefined;
  credentialActivity: Map<string, CredentialActivity> | undefined;
}

function group<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

function lookups(snapshot: TenantSnapshot): Lookups {
  const servicePrincipalsById = new Map(snapshot.servicePrincipals.map(({ item }) => [item.id, item]));
  const resourcesRead = snapshot.servicePrincipals.every(({ item }) => item.appRoles.length === 0 || snapshot.appRoleAssignedTo.has(item.id));
  const assignments = [...snapshot.appRoleAssignedTo.values()].flat().filter((a) => (a.principalType ?? 'ServicePrincipal') === 'ServicePrincipal');
  return {
    servicePrincipalsById,
    rolesById: new Map((snapshot.roleDefinitions ?? []).map((r) => [r.id, r])),
    assignmentsByPrincipal: group(assignments, (a) => a.principalId),
    grantsByClient: group(snapshot.permissionGrants ?? [], (g) => g.clientId),
    rolesByPrincipal: group(snapshot.roleAssignments ?? [], (r) => r.principalId),
    privilegeKnown: resourcesRead && snapshot.permissionGrants !== undefined && snapshot.roleDefinitions !== undefined && snapshot.roleAssignments !== undefined,
    spActivity: snapshot.servicePrincipalActivity && new Map(snapshot.servicePrincipalActivity.map((a) => [a.appId.toLowerCase(), a])),
    credentialActivity: snapshot.credentialActivity && new Map(snapshot.credentialActivity.map((a) => [a.keyId.toLowerCase(), a])),
  };
}

function grantsOf(sp: ServicePrincipal, look: Lookups): { grants: Grant[]; reaches: Array<'all' | 'selected'> } {
  const grants: Grant[] = [];
  const reaches: Array<'all' | 'selected'> = [];
  for (const assignment of look.assignmentsByPrincipal.get(sp.id) ?? []) {
    const resource = look.servicePrincipalsById.get(assignment.resourceId);
    const resourceName = resource?.displayName ?? assignment.resourceDisplayName ?? assignment.resourceId;
    if (assignment.appRoleId === DEFAULT_ACCESS) continue;
    const role = resource?.appRoles.find((r) => r.id === assignment.appRoleId);
    const permission = role?.value ?? assignment.appRoleId;
    grants.push(applicationPermission(permission, resourceName, role?.value !== undefined && role.value !== null));
    reaches.push(reachOf(permission));
  }
  for (const grant of look.grantsByClient.get(sp.id) ?? []) {
    const resource = look.servicePrincipalsById.get(grant.resourceId);
    const resourceName = resource?.displayName ?? grant.resourceId;
    for (const scope of (grant.scope ?? '').split(/\s+/).filter(Boolean)) {
      grants.push(delegatedPermission(scope, resourceName, grant.consentType === 'AllPrincipals'));
      reaches.push(reachOf(scope));
    }
  }
  for (const assignment of look.rolesByPrincipal.get(sp.id) ?? []) {
    const definition = look.rolesById.get(assignment.roleDefinitionId);
    const name = definition?.displayName ?? assignment.roleDefinitionId;
    grants.push(directoryRole(name, definition?.templateId ?? (definition ? undefined : assignment.roleDefinitionId), assignment.directoryScopeId ?? undefined));
    reaches.push((assignment.directoryScopeId ?? '/') === '/' ? 'all' : 'selected');
  }
  return { grants, reaches };
}

const KIND_REASON: Record<string, string> = {
  Application: "a service principal: an application's identity in the tenant, signing in with its own credentials",
  ManagedIdentity: 'a managed identity: Azure holds its credentials for the resource it is attached to',
  Legacy: 'a legacy service principal, created before app registrations',
  SocialIdp: 'a social identity provider integration',
};

function idOf(tenantId: string, appId: string, managed: boolean): string {
  return `${CONNECTOR_ID}:${tenantId}:${managed ? 'managed-identity' : 'app'}/${appId}`;
}

/** One identity per service principal (with its application registration, where the tenant holds it) and per registration without one. */
export function normalizeTenant(snapshot: TenantSnapshot): Identity[] {
  const look = lookups(snapshot);
  const apps = new Map(snapshot.applications.map((located) => [located.item.appId.toLowerCase(), located]));
  const identities: Identity[] = [];
  const base = { connector: CONNECTOR_ID, source: snapshot.source, scope: snapshot.tenantId };

  for (const { item: sp, ref } of snapshot.servicePrincipals) {
    const app = apps.get(sp.appId.toLowerCase());
    const { grants, reaches } = grantsOf(sp, look);
    const managed = sp.servicePrincipalType === 'ManagedIdentity';
    const owner = managed ? undefined : (sp.appOwnerOrganizationId?.toLowerCase() ?? undefined);
    const microsoft = owner !== undefined && MICROSOFT_TENANTS.has(owner);
    const ownCredentials = sp.passwordCredentials.length + sp.keyCredentials.length;
    // Microsoft's own service principals are the platform; one becomes an identity when the tenant granted it something.
    if (microsoft && !app && grants.length === 0 && ownCredentials === 0) continue;
    const external = owner !== undefined && owner !== snapshot.tenantId && !app;
    const vendor = external ? (microsoft ? 'Microsoft' : (sp.verifiedPublisher?.displayName ?? sp.publisherName ?? `tenant ${owner}`)) : undefined;
    const activity = look.spActivity?.get(sp.appId.toLowerCase());
    const owners = [...(app ? (snapshot.applicationOwners.get(app.item.id) ?? []) : []), ...(snapshot.servicePrincipalOwners.get(sp.id) ?? [])];
    const found = ownerOf(owners);
    const trust = app ? trustOf(snapshot.federatedCredentials.get(app.item.id)) : undefined;
    const tags: Record<string, string> = { 'entra.servicePrincipalType': sp.servicePrincipalType ?? 'Application' };
    if (app?.item.signInAudience) tags['entra.signInAudience'] = app.item.signInAudience;
    if (external && owner) tags['entra.appOwnerOrganizationId'] = owner;
    identities.push({
      id: idOf(snapshot.tenantId, sp.appId.toLowerCase(), managed),
      ...base,
      kind: external ? 'app' : 'service-account',
      name: sp.displayName ?? app?.item.displayName ?? sp.appId,
      nativeId: sp.appId.toLowerCase(),
      status: sp.accountEnabled === false ? 'disabled' : 'active',
      classification: { value: 'machine', reason: KIND_REASON[sp.servicePrincipalType ?? 'Application'] ?? `a service principal of type ${sp.servicePrincipalType}` },
      createdAt: instant(app?.item.createdDateTime),
      lastUsed: lastUsedOf(activity?.lastSignInActivity?.lastSignInDateTime),
      credentials: [...(app ? credentials(app.item, look.credentialActivity, snapshot.now) : []), ...credentials(sp, look.credentialActivity, snapshot.now)],
      privilege: privilegeOf(grants, reaches, look.privilegeKnown),
      ...(trust ? { trust } : {}),
      ...(vendor ? { vendor } : {}),
      ...(found ? { owner: found } : {}),
      tags,
      rawRef: ref,
    });
  }

  const withPrincipal = new Set(snapshot.servicePrincipals.map(({ item }) => item.appId.toLowerCase()));
  for (const { item: app, ref } of snapshot.applications) {
    if (withPrincipal.has(app.appId.toLowerCase())) continue;
    const found = ownerOf(snapshot.applicationOwners.get(app.id) ?? []);
    const trust = trustOf(snapshot.federatedCredentials.get(app.id));
    identities.push({
      id: idOf(snapshot.tenantId, app.appId.toLowerCase(), false),
      ...base,
      kind: 'service-account',
      name: app.displayName ?? app.appId,
      nativeId: app.appId.toLowerCase(),
      status: 'active',
      classification: { value: 'machine', reason: 'an application registration without a service principal here: its credentials sign in to the tenants that consented to it' },
      createdAt: instant(app.createdDateTime),
      lastUsed: 'unknown',
      credentials: credentials(app, look.credentialActivity, snapshot.now),
      // Without a service principal in this tenant it holds nothing here.
      privilege: privilegeOf([], [], true),
      ...(trust ? { trust } : {}),
      ...(found ? { owner: found } : {}),
      tags: { ...(app.signInAudience ? { 'entra.signInAudience': app.signInAudience } : {}) },
      rawRef: ref,
    });
  }
  return identities.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
