import pLimit from 'p-limit';
import type { CollectContext, Identity, ScopeRecorder } from '../../src/sdk/index.js';
import { calls, OP, PERMISSIONS, type Operation } from './client.js';
import type { EntraIdConfig } from './config.js';
import { MICROSOFT_TENANTS, normalizeTenant, type TenantSnapshot } from './normalize.js';
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
import { GraphApiError, type Call, type GraphTransport, type Located, type Reading } from './transport.js';

/** The sign-in activity reports: a refusal there is the tenant's licence or the collector's grant, the same on every run. */
const REPORTS: ReadonlySet<string> = new Set([OP.servicePrincipalActivity, OP.credentialActivity]);

function record(recorder: ScopeRecorder, operation: Operation, error: unknown): void {
  const refused = error instanceof GraphApiError && (error.status === 401 || error.status === 403);
  if (refused && REPORTS.has(operation)) {
    recorder.error(operation, error, {
      recovered: true,
      hint: `last use stays unknown: the sign-in activity reports need ${PERMISSIONS[operation]}`,
    });
    return;
  }
  recorder.error(operation, error, refused ? { hint: `the collector needs the Graph application permission ${PERMISSIONS[operation]}` } : {});
}

export class EntraCollector {
  private readonly at: Reading;
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(
    private readonly transport: GraphTransport,
    private readonly config: EntraIdConfig,
    private readonly context: CollectContext,
    collector: string,
  ) {
    const recorder = context.scope(config.tenantId);
    recorder.collector(collector);
    this.at = { recorder, signal: context.signal };
    this.limit = pLimit(config.concurrency);
  }

  /** Every item of one listing with Graph's count, or undefined when it failed (recorded, naming the operation). */
  private async all<T extends { id: string }>(call: Call): Promise<{ items: Array<Located<T>>; count?: number } | undefined> {
    try {
      return await this.transport.list<T>(this.at, call);
    } catch (error) {
      if (this.context.signal.aborted) throw error;
      record(this.at.recorder, call.operation as Operation, error);
      return undefined;
    }
  }

  /** One listing's items, in turn with every other listing after the first two (at most `concurrency` at a time). */
  private items<T extends { id: string }>(call: Call): Promise<T[] | undefined> {
    return this.limit(() => this.all<T>(call)).then((listed) => listed?.items.map((l) => l.item));
  }

  /** A listing per object, at most `concurrency` at a time; objects whose listing failed are missing from the map. */
  private async perObject<T extends { id: string }>(ids: readonly string[], call: (id: string) => Call): Promise<Map<string, T[]>> {
    const out = new Map<string, T[]>();
    await Promise.all(
      ids.map(async (id) => {
        const items = await this.items<T>(call(id));
        if (items) out.set(id, items);
      }),
    );
    return out;
  }

  /**
   * Graph's count of the assignments granted on each resource, summed over the resources whose listing matched;
   * one that disagrees is reconciled on its own, naming it.
   */
  private async assignments(resources: readonly ServicePrincipal[]): Promise<Map<string, AppRoleAssignment[]>> {
    const out = new Map<string, AppRoleAssignment[]>();
    let expected = 0;
    let observed = 0;
    await Promise.all(
      resources.map((resource) =>
        this.limit(async () => {
          try {
            const listed = await this.transport.list<AppRoleAssignment>(this.at, calls.appRoleAssignedTo(resource.id, this.config.pageSize));
            out.set(resource.id, listed.items.map((l) => l.item));
            if (listed.count === undefined) return;
            if (listed.count !== listed.items.length) {
              this.at.recorder.reconcile(`app role assignments granted on ${resource.displayName ?? resource.id}`, listed.count, listed.items.length);
            } else {
              expected += listed.count;
              observed += listed.items.length;
            }
          } catch (error) {
            if (this.context.signal.aborted) throw error;
            record(this.at.recorder, OP.appRoleAssignedTo, error);
          }
        }),
      ),
    );
    if (out.size > 0) {
      this.at.recorder.reconcile('app role assignments', expected, observed, `Graph's $count summed over the resources whose ${OP.appRoleAssignedTo} agreed`);
    }
    return out;
  }

  async *collect(): AsyncIterable<Identity> {
    const { pageSize, signInActivity, tenantId } = this.config;
    const [applicationsListed, servicePrincipalsListed] = await Promise.all([
      this.all<Application>(calls.applications(pageSize)),
      this.all<ServicePrincipal>(calls.servicePrincipals(pageSize)),
    ]);
    // Reconciled in this order whichever listing ended first, so the manifest does not depend on timing.
    for (const [name, call, listed] of [
      ['applications', calls.applications(pageSize), applicationsListed],
      ['service principals', calls.servicePrincipals(pageSize), servicePrincipalsListed],
    ] as const) {
      if (listed?.count !== undefined) {
        this.at.recorder.reconcile(name, listed.count, listed.items.length, `Graph's $count (ConsistencyLevel: eventual) beside the items ${call.operation} listed`);
      }
    }
    const [applications, servicePrincipals] = [applicationsListed?.items, servicePrincipalsListed?.items];
    // Without both listings no identity can be told apart from another (a registration and its principal are one).
    if (!applications || !servicePrincipals) return;

    const apps = applications.map((a) => a.item);
    const principals = servicePrincipals.map((s) => s.item);
    const own = principals.filter((sp) => !MICROSOFT_TENANTS.has(sp.appOwnerOrganizationId?.toLowerCase() ?? ''));
    const [applicationOwners, federatedCredentials, servicePrincipalOwners, appRoleAssignedTo, permissionGrants, roleDefinitions, roleAssignments, spActivity, credentialActivity] =
      await Promise.all([
        this.perObject<DirectoryOwner>(apps.map((a) => a.id), (id) => calls.applicationOwners(id, pageSize)),
        this.perObject<FederatedCredential>(apps.map((a) => a.id), (id) => calls.federatedCredentials(id)),
        this.perObject<DirectoryOwner>(own.map((sp) => sp.id), (id) => calls.servicePrincipalOwners(id, pageSize)),
        this.assignments(principals.filter((sp) => sp.appRoles.length > 0)),
        this.items<PermissionGrant>(calls.permissionGrants()),
        this.items<RoleDefinition>(calls.roleDefinitions()),
        this.items<RoleAssignment>(calls.roleAssignments()),
        signInActivity ? this.items<ServicePrincipalActivity>(calls.servicePrincipalActivity(pageSize)) : undefined,
        signInActivity ? this.items<CredentialActivity>(calls.credentialActivity(pageSize)) : undefined,
      ]);
    if (this.context.signal.aborted) return;
    const snapshot: TenantSnapshot = {
      source: this.context.source,
      tenantId,
      now: this.context.now,
      applications,
      servicePrincipals,
      applicationOwners,
      federatedCredentials,
      servicePrincipalOwners,
      appRoleAssignedTo,
      permissionGrants,
      roleDefinitions,
      roleAssignments,
      servicePrincipalActivity: spActivity,
      credentialActivity,
    };
    yield* normalizeTenant(snapshot);
  }
}
