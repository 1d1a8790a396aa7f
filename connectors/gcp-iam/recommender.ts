import type { iam_v1 } from '@googleapis/iam';
import type { APIRequestContext, GlobalOptions, MethodOptions } from 'googleapis-common';
import type { GoogleApis } from './apis.js';
import { z } from 'zod';
import type { Identity, PrivilegeUsage, RawPage, RawPages, UsageItem } from '../../src/sdk/index.js';
import type { GcpIamConfig } from './config.js';
import { GcpApiError, type GcpTransport, type Reading } from './transport.js';

/**
 * Unused permissions from IAM Recommender's policy insights (`google.iam.policy.Insight`): for each role binding
 * of a service account, the permissions it exercised and those Google infers it needs over the observation
 * period. What the role grants beyond both is unused; a binding that used nothing leaves the whole role unused.
 * Recommender has no per-API npm package: the list method is written the way the generated clients are, on
 * googleapis-common, and shares their auth, rootUrl and transport options.
 */

export const USAGE_OP = {
  insights: 'recommender.insights.list',
  role: 'iam.roles.get',
} as const;

export const IAM_RECOMMENDER_SOURCE = 'iam-recommender';
const INSIGHT_TYPE = 'google.iam.policy.Insight';
const DAY_SECONDS = 86_400;

export const USAGE_HINTS: Record<string, string> = {
  [USAGE_OP.insights]:
    'unused privilege needs recommender.iamPolicyInsights.list (roles/recommender.iamViewer) and the Recommender API; the project is judged without usage data',
  [USAGE_OP.role]: "a predefined role's permissions come from iam.roles.get, which needs no grant",
};

export interface Insight {
  name?: string | null;
  observationPeriod?: string | null;
  stateInfo?: { state?: string | null } | null;
  content?: {
    member?: string;
    role?: string;
    exercisedPermissions?: Array<{ permission?: string }>;
    inferredPermissions?: Array<{ permission?: string }>;
    [field: string]: unknown;
  } | null;
}

interface ListInsightsResponse {
  insights?: Insight[];
  nextPageToken?: string;
}

const Permission = z.looseObject({ permission: z.string().min(1) });
export const InsightsPage = z.looseObject({
  insights: z
    .array(
      z.looseObject({
        name: z.string().min(1),
        observationPeriod: z.string().regex(/^\d+(\.\d+)?s$/).optional(),
        stateInfo: z.looseObject({ state: z.string() }).optional(),
        content: z.looseObject({
          member: z.string().min(1),
          role: z.string().min(1),
          exercisedPermissions: z.array(Permission).optional(),
          inferredPermissions: z.array(Permission).optional(),
        }),
      }),
    )
    .optional(),
  nextPageToken: z.string().optional(),
});

export const RoleResponse = z.looseObject({ name: z.string().min(1), includedPermissions: z.array(z.string()).optional() });

export function insightsParent(projectId: string): string {
  return `projects/${projectId}/locations/global/insightTypes/${INSIGHT_TYPE}`;
}

/** `projects.locations.insightTypes.insights.list`: GET /v1/{parent}/insights. */
class Recommender {
  private readonly context: APIRequestContext;
  constructor(
    options: GlobalOptions,
    private readonly apis: Pick<GoogleApis, 'createAPIRequest'>,
  ) {
    this.context = { _options: options };
  }

  list(params: { parent: string; pageSize?: number; pageToken?: string }, options: MethodOptions = {}): Promise<{ data: ListInsightsResponse }> {
    return this.apis.createAPIRequest<ListInsightsResponse>({
      options: { url: 'https://recommender.googleapis.com/v1/{+parent}/insights', method: 'GET', apiVersion: '', ...options },
      params,
      requiredParams: ['parent'],
      pathParams: ['parent'],
      context: this.context,
    });
  }
}

/** What one project's Recommender said: its insights, and the permissions of the predefined roles they are about. */
export interface ProjectUsage {
  insights: Insight[];
  rolePermissions: ReadonlyMap<string, readonly string[]>;
}

/** The Recommender and role reads, through the connector's transport; predefined roles are read once per source. */
export class UsageReader {
  private readonly recommender: Recommender;
  private readonly iam: iam_v1.Iam;
  private readonly roles = new Map<string, Promise<readonly string[]>>();

  constructor(
    options: GlobalOptions,
    private readonly transport: GcpTransport,
    private readonly config: GcpIamConfig,
    apis: GoogleApis,
  ) {
    this.recommender = new Recommender(options, apis);
    this.iam = apis.iam({ version: 'v1', ...options });
  }

  get enabled(): boolean {
    return this.config.recommender.enabled;
  }

  /** The project's active policy insights. */
  async insights(at: Reading, projectId: string): Promise<Insight[]> {
    const parameters = { parent: insightsParent(projectId), pageSize: this.config.recommender.pageSize };
    const listed = await this.transport.list<ListInsightsResponse, Insight>(at, {
      operation: USAGE_OP.insights,
      parameters,
      schema: InsightsPage,
      field: 'insights',
      items: (d) => d.insights,
      key: (insight) => insight.name ?? '',
      send: (pageToken, o) => this.recommender.list({ ...parameters, ...(pageToken ? { pageToken } : {}) }, o),
    });
    return listed.map(({ item }) => item).filter(active);
  }

  /** The permissions of the predefined roles the insights need. */
  async rolePermissions(at: Reading, insights: readonly Insight[]): Promise<Map<string, readonly string[]>> {
    const permissions = new Map<string, readonly string[]>();
    for (const role of rolesToRead(insights)) permissions.set(role, await this.role(at, role));
    return permissions;
  }

  private role(at: Reading, name: string): Promise<readonly string[]> {
    let pending = this.roles.get(name);
    if (!pending) {
      pending = this.transport
        .send<iam_v1.Schema$Role>(at, {
          operation: USAGE_OP.role,
          parameters: { name },
          schema: RoleResponse,
          records: (d) => d.includedPermissions?.length ?? 0,
          send: (o) => this.iam.roles.get({ name }, o),
        })
        .then(({ body }) => body.includedPermissions ?? []);
      // A failed read is not cached: the next project tries again, and its own failure is recorded there.
      pending.catch(() => this.roles.delete(name));
      this.roles.set(name, pending);
    }
    return pending;
  }
}

const active = (insight: Insight) => !insight.stateInfo?.state || insight.stateInfo.state === 'ACTIVE';
const permissionsOf = (list: Array<{ permission?: string }> | undefined) => (list ?? []).flatMap((p) => (p.permission ? [p.permission] : []));

/** Predefined roles some of whose permissions were used: only for them is the unused rest worth a read. */
function rolesToRead(insights: readonly Insight[]): string[] {
  const roles = insights
    .filter((insight) => insight.content?.role?.startsWith('roles/'))
    .filter((insight) => permissionsOf(insight.content?.exercisedPermissions).length + permissionsOf(insight.content?.inferredPermissions).length > 0)
    .map((insight) => insight.content!.role!);
  return [...new Set(roles)].sort();
}

/** A denied or disabled Recommender is how the project stands: no usage data, said in the manifest. */
function isDenied(error: unknown): boolean {
  return error instanceof GcpApiError && (error.code === 'PERMISSION_DENIED' || error.reason === 'SERVICE_DISABLED');
}

/**
 * One project's usage facts, or undefined, with the manifest's scope told which and why. A denied Recommender is
 * recovered (no usage data); any other failure leaves the project incomplete, naming the operation. An answer with
 * no insight at all while the project's policy binds its service accounts cannot be told from an answer lost in
 * transit (`{}` is a valid empty page): the usage is unreadable, and a project whose Recommender truly has nothing
 * (policy insights need Security Command Center Premium) sets `recommender.enabled: false`.
 */
export async function readProjectUsage(reader: UsageReader, at: Reading, projectId: string, bound: Promise<number>): Promise<ProjectUsage | undefined> {
  const none = (note: string) => {
    at.recorder.usage({ source: IAM_RECOMMENDER_SOURCE, available: false, note });
    return undefined;
  };
  if (!reader.enabled) return none('recommender.enabled is false: IAM Recommender was not asked');
  const failed = (operation: string, error: unknown) => {
    const denied = isDenied(error);
    at.recorder.error(operation, error, { recovered: denied, ...(denied ? { hint: USAGE_HINTS[operation] } : {}) });
    return none(denied ? `IAM Recommender denied the collector or is disabled (${operation})` : `${operation} failed`);
  };
  let insights: Insight[];
  try {
    insights = await reader.insights(at, projectId);
  } catch (error) {
    return failed(USAGE_OP.insights, error);
  }
  if (insights.length === 0) {
    const accounts = await bound;
    if (accounts > 0) {
      at.recorder.unreadable(
        'usage',
        `${USAGE_OP.insights} listed no policy insight although the project's policy binds ${accounts} of its service accounts; ` +
          'if the Recommender truly has none (policy insights need Security Command Center Premium), set recommender.enabled: false',
      );
      return undefined;
    }
    return none('IAM Recommender listed no policy insight, and the policy binds none of the project\'s service accounts');
  }
  let rolePermissions: Map<string, readonly string[]>;
  try {
    rolePermissions = await reader.rolePermissions(at, insights);
  } catch (error) {
    return failed(USAGE_OP.role, error);
  }
  const days = observedDays(insights);
  at.recorder.usage({
    source: IAM_RECOMMENDER_SOURCE,
    available: true,
    note: `${insights.length} active policy insights${days ? ` over ${days} days` : ''}`,
  });
  return { insights, rolePermissions };
}

function observedDays(insights: readonly Insight[]): number | undefined {
  const seconds = insights.map((insight) => Number.parseFloat(insight.observationPeriod ?? '')).filter((s) => Number.isFinite(s) && s > 0);
  return seconds.length > 0 ? Math.floor(seconds.reduce((a, b) => Math.min(a, b)) / DAY_SECONDS) : undefined;
}

/** One binding's unused part: the role's permissions beyond those exercised and inferred, or the role itself when none was used. */
function unusedOf(insight: Insight, rolePermissions: ProjectUsage['rolePermissions']): UsageItem[] {
  const role = insight.content?.role ?? '';
  const used = new Set([...permissionsOf(insight.content?.exercisedPermissions), ...permissionsOf(insight.content?.inferredPermissions)]);
  if (used.size === 0) return [{ kind: 'role', name: role, lastUsed: 'unknown' }];
  const granted = rolePermissions.get(role);
  // A custom role's permissions are not read here: its unused part is not claimed.
  if (!granted) return [];
  return granted.filter((permission) => !used.has(permission)).map((permission) => ({ kind: 'permission' as const, name: permission, lastUsed: 'unknown' as const }));
}

/**
 * The project's service accounts with the usage facts of their bindings. An account without an insight gets none:
 * the Recommender may not have observed its bindings yet (they are newer than the observation period).
 */
export function withProjectUsage(identities: Identity[], usage: ProjectUsage | undefined): Identity[] {
  if (!usage) return identities;
  const days = observedDays(usage.insights);
  return identities.map((identity) => {
    const member = `serviceAccount:${identity.name}`;
    const insights = usage.insights.filter((insight) => insight.content?.member === member);
    if (insights.length === 0) return identity;
    const items = insights.flatMap((insight) => unusedOf(insight, usage.rolePermissions));
    const unique = [...new Map(items.map((item) => [`${item.kind} ${item.name}`, item])).values()].sort(
      (a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name),
    );
    const facts: PrivilegeUsage = { source: IAM_RECOMMENDER_SOURCE, ...(days ? { observedDays: days } : {}), items: unique };
    return { ...identity, privilege: { ...identity.privilege, usage: facts } };
  });
}

/** How many of the project's own service accounts its policy binds: the Recommender has an insight for each binding it observed. */
export function boundAccounts(policy: { bindings?: Array<{ members?: string[] | null }> | null } | undefined, emails: readonly string[]): number {
  const members = new Set((policy?.bindings ?? []).flatMap((binding) => binding.members ?? []));
  return emails.filter((email) => members.has(`serviceAccount:${email}`)).length;
}

function finished(pages: readonly RawPage[]): boolean {
  return pages.length > 0 && !(pages.at(-1)!.body as { nextPageToken?: unknown }).nextPageToken;
}

/**
 * A project's usage from a pack's raw pages, as the collection assembled it: undefined when the insight listing
 * stopped partway or listed nothing, or a role it needed was not read.
 */
export async function projectUsageFromRaw(raw: RawPages, projectId: string): Promise<ProjectUsage | undefined> {
  const pages = await raw.pages(projectId, USAGE_OP.insights);
  if (!finished(pages)) return undefined;
  const insights = pages.flatMap((page) => (page.body as ListInsightsResponse).insights ?? []).filter(active);
  if (insights.length === 0) return undefined;
  const roles = new Map<string, readonly string[]>();
  for (const scope of raw.scopes()) {
    for (const page of await raw.pages(scope, USAGE_OP.role)) {
      const body = page.body as iam_v1.Schema$Role;
      if (body.name) roles.set(body.name, body.includedPermissions ?? []);
    }
  }
  const rolePermissions = new Map<string, readonly string[]>();
  for (const role of rolesToRead(insights)) {
    const permissions = roles.get(role);
    if (!permissions) return undefined;
    rolePermissions.set(role, permissions);
  }
  return { insights, rolePermissions };
}
