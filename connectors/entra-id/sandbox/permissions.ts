import { PERMISSIONS, type Operation } from '../client.js';
import type { Tenant } from './dataset.js';
import { graphError, type Reply } from './graph.js';

const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Application permissions that include another for reading, as Graph's permission reference lists them. */
const INCLUDED: Record<string, readonly string[]> = {
  'Directory.Read.All': ['Application.Read.All', 'RoleManagement.Read.Directory'],
  'Directory.ReadWrite.All': ['Application.Read.All', 'Directory.Read.All', 'RoleManagement.Read.Directory'],
  'Application.ReadWrite.All': ['Application.Read.All'],
  'RoleManagement.ReadWrite.Directory': ['RoleManagement.Read.Directory'],
};

/** The Microsoft Graph application permissions (app roles) granted to an application's service principal. */
export function graphPermissions(tenant: Tenant, clientId: string): string[] {
  const principal = tenant.dataset.servicePrincipals.find((sp) => sp.appId === clientId);
  const graph = tenant.dataset.servicePrincipals.find((sp) => sp.appId === MICROSOFT_GRAPH_APP_ID);
  if (!principal || !graph) return [];
  return tenant.dataset.appRoleAssignments.filter((a) => a.principalId === principal.id && a.resourceId === graph.id).map((a) => a.appRole);
}

/** Graph's 403 for a request the caller's application permissions do not cover. */
export function refusal(tenant: Tenant, clientId: string, operation: string): Reply | undefined {
  const needed = PERMISSIONS[operation as Operation]?.split(' ')[0];
  const held = graphPermissions(tenant, clientId);
  if (!needed) return undefined;
  if (held.some((permission) => permission === needed || INCLUDED[permission]?.includes(needed))) return undefined;
  return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}
