import { z } from 'zod';
import { ConnectorError, discardingRecorder, withRetries, type ConnectContext, type DoctorReport, type PermissionCheck } from '../../src/sdk/index.js';
import { createAuth } from './auth.js';
import { calls, OP, PERMISSIONS, type Operation } from './client.js';
import type { EntraIdConfig } from './config.js';
import { GraphApiError, GraphTransport, type Call, type Reading } from './transport.js';

const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** The app role ids of the Graph application permissions the collection uses, as Microsoft publishes them. */
const APP_ROLE_IDS: Record<string, string> = {
  'Application.Read.All': '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30',
  'AuditLog.Read.All': 'b0afded3-3588-46d8-8b3d-9842eff778da',
  'Directory.Read.All': '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
  'RoleManagement.Read.Directory': '483bed4a-2ad3-4361-a73b-c83ccdbdc53c',
};

const PrincipalPage = z.looseObject({ value: z.array(z.looseObject({ appId: z.string(), displayName: z.string().nullable().optional() })) });

const unrecorded = discardingRecorder('doctor');

/** The permission an operation needs, without the note on licences. */
function permissionOf(operation: Operation): string {
  return PERMISSIONS[operation].split(' ')[0]!;
}

/** One top-level listing of the collection each: the per-object ones (owners, credentials) need what their parent's listing does. */
function probes(config: EntraIdConfig): Call[] {
  const one = (call: Call): Call => ({ ...call, query: { ...call.query, $top: '1' }, parameters: { ...call.parameters, $top: '1' } });
  return [
    calls.applications(1),
    calls.servicePrincipals(1),
    one(calls.permissionGrants()),
    // Role definitions and assignments take no $top: their first page stands for the listing.
    calls.roleDefinitions(),
    calls.roleAssignments(),
    ...(config.signInActivity ? [calls.servicePrincipalActivity(1), calls.credentialActivity(1)] : []),
  ];
}

/** The permissions this configuration needs, sorted. */
export function requiredPermissions(config: EntraIdConfig): string[] {
  return [...new Set(probes(config).map((call) => permissionOf(call.operation as Operation)))].sort();
}

function manifestFragment(permissions: readonly string[]): string {
  const resourceAccess = permissions.map((permission) => ({ id: APP_ROLE_IDS[permission]!, type: 'Role' }));
  return `${JSON.stringify({ requiredResourceAccess: [{ resourceAppId: MICROSOFT_GRAPH_APP_ID, resourceAccess }] }, null, 2)}\n`;
}

/** `nhi-audit doctor` for entra-id: sign in, name the application, then one first page per listing the collection reads. */
export async function diagnose(config: EntraIdConfig, context: ConnectContext): Promise<DoctorReport> {
  const auth = await createAuth(config, context);
  const { maxAttempts: attempts, baseDelayMs, maxDelayMs } = config.retry;
  const transport = await GraphTransport.open({
    graphBaseUrl: config.graphBaseUrl,
    credential: auth.credential,
    retry: { attempts, baseDelayMs, maxDelayMs },
    timeouts: context.timeouts,
    paging: context.paging,
    ...(auth.ca ? { ca: auth.ca } : {}),
  });
  await withRetries(() => transport.token(AbortSignal.timeout(context.timeouts.requestMs)), { attempts, baseDelayMs, maxDelayMs }).catch((error: unknown) => {
    throw new ConnectorError(context.source, `cannot sign in to tenant ${config.tenantId} as ${auth.collector}: ${(error as Error).message}`, {
      cause: error,
      hint: `check the credential settings and that ${config.authorityHost} is reachable`,
    });
  });
  const at: Reading = { recorder: unrecorded, signal: AbortSignal.timeout(context.timeouts.sourceMs) };

  let identity = auth.collector;
  const clientId = 'clientId' in config.credential ? config.credential.clientId : undefined;
  if (clientId) {
    const lookup: Call = {
      operation: OP.servicePrincipals,
      version: 'v1.0',
      path: '/servicePrincipals',
      query: { $filter: `appId eq '${clientId}'`, $select: 'appId,displayName' },
      parameters: {},
      schema: PrincipalPage,
    };
    const found = await transport.send<z.output<typeof PrincipalPage>>(at, lookup).catch(() => undefined);
    const name = found?.body.value.find((principal) => principal.appId === clientId)?.displayName;
    if (name) identity = `${auth.collector} (service principal ${name})`;
  }

  const checks: PermissionCheck[] = [];
  for (const call of probes(config)) {
    const permission = permissionOf(call.operation as Operation);
    try {
      await transport.send(at, call);
      checks.push({ scope: config.tenantId, permission, operation: call.operation, status: 'granted' });
    } catch (error) {
      const refused = error instanceof GraphApiError && (error.status === 401 || error.status === 403);
      checks.push({ scope: config.tenantId, permission, operation: call.operation, status: refused ? 'missing' : 'unknown', detail: (error as Error).message });
    }
  }
  const permissions = requiredPermissions(config);
  return {
    principals: [{ scope: config.tenantId, identity }],
    checks,
    grant: {
      description: `Microsoft Graph application permissions ${permissions.join(', ')} (admin consent), as an app manifest fragment (requiredResourceAccess)`,
      fileSuffix: 'entra-graph-permissions.json',
      content: manifestFragment(permissions),
    },
  };
}
