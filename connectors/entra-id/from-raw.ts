import type { RawPage, RawPages } from '../../src/sdk/index.js';
import { OP } from './client.js';
import type { TenantSnapshot } from './normalize.js';
import type {
  Application,
  AppRoleAssignment,
  CredentialActivity,
  DirectoryOwner,
  FederatedCredential,
  PermissionGrant,
  RoleAssignment,
  RoleDefinition,
  ServicePrincipal,
  ServicePrincipalActivity,
} from './schemas.js';
import { locate, type Located } from './transport.js';

/**
 * A listing's items as the collection kept them, or undefined where it gave the listing up: no page kept (its first
 * request failed) or a last kept page that still names a next one (a later request failed, or a guard stopped it).
 */
function listing<T>(pages: readonly RawPage[]): Array<Located<T>> | undefined {
  const last = pages.at(-1);
  if (!last || (last.body as { '@odata.nextLink'?: unknown })['@odata.nextLink']) return undefined;
  return pages.flatMap((page) => locate(page.path, (page.body as { value: T[] }).value));
}

/** Per-object listings (`/v1.0/applications/{id}/owners`), by the object's id; an object whose listing failed is missing. */
function byObject<T>(pages: readonly RawPage[]): Map<string, T[]> {
  const groups = new Map<string, RawPage[]>();
  for (const page of pages) {
    const id = String(page.parameters.path).split('/')[3]!;
    groups.set(id, [...(groups.get(id) ?? []), page]);
  }
  const out = new Map<string, T[]>();
  for (const [id, group] of groups) {
    const items = listing<T>(group);
    if (items) out.set(id, items.map((l) => l.item));
  }
  return out;
}

/** The tenant snapshot a pack's raw pages hold, assembled as the collection assembled it; undefined when the tenant's core listings failed. */
export async function snapshotFromRaw(raw: RawPages, source: string, now: Date): Promise<TenantSnapshot | undefined> {
  // A source reads one tenant, recorded under its id.
  const [tenantId] = raw.scopes();
  if (!tenantId) return undefined;
  const pages = (operation: string) => raw.pages(tenantId, operation);
  const items = async <T>(operation: string) => listing<T>(await pages(operation))?.map((l) => l.item);
  const applications = listing<Application>(await pages(OP.applications));
  const servicePrincipals = listing<ServicePrincipal>(await pages(OP.servicePrincipals));
  if (!applications || !servicePrincipals) return undefined;
  return {
    source,
    tenantId,
    now,
    applications,
    servicePrincipals,
    applicationOwners: byObject<DirectoryOwner>(await pages(OP.applicationOwners)),
    federatedCredentials: byObject<FederatedCredential>(await pages(OP.federatedCredentials)),
    servicePrincipalOwners: byObject<DirectoryOwner>(await pages(OP.servicePrincipalOwners)),
    appRoleAssignedTo: byObject<AppRoleAssignment>(await pages(OP.appRoleAssignedTo)),
    permissionGrants: await items<PermissionGrant>(OP.permissionGrants),
    roleDefinitions: await items<RoleDefinition>(OP.roleDefinitions),
    roleAssignments: await items<RoleAssignment>(OP.roleAssignments),
    servicePrincipalActivity: await items<ServicePrincipalActivity>(OP.servicePrincipalActivity),
    credentialActivity: await items<CredentialActivity>(OP.credentialActivity),
  };
}
