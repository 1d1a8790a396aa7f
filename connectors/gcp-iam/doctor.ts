import { cloudresourcemanager } from '@googleapis/cloudresourcemanager';
import { iam } from '@googleapis/iam';
import { createAPIRequest, type GlobalOptions, type MethodOptions } from 'googleapis-common';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ConnectorError, discardingRecorder, type ConnectContext, type DoctorReport, type PermissionCheck } from '../../src/sdk/index.js';
import { createAuth } from './auth.js';
import { accountResource, activityParent, ASSET_TYPES, OP, type ActivityType } from './client.js';
import type { GcpIamConfig } from './config.js';
import { CloudAsset, PolicyAnalyzer } from './rest.js';
import { ActivitiesPage, FoldersPage, KeysResponse, Policy, ProjectsPage, SearchResultsPage, ServiceAccountsPage } from './schemas.js';
import { GcpApiError, GcpTransport, type Reading } from './transport.js';

/** The IAM permission each read of the collection needs, by the operation the manifest names it with. */
export const PERMISSIONS = {
  [OP.serviceAccounts]: 'iam.serviceAccounts.list',
  [OP.keys]: 'iam.serviceAccountKeys.list',
  [OP.policy]: 'resourcemanager.projects.getIamPolicy',
  [OP.projects]: 'resourcemanager.projects.list',
  [OP.folders]: 'resourcemanager.folders.list',
  [OP.assets]: 'cloudasset.assets.searchAllResources',
  [OP.ancestry]: 'resourcemanager.projects.get',
  [OP.folderPolicy]: 'resourcemanager.folders.getIamPolicy',
  [OP.organizationPolicy]: 'resourcemanager.organizations.getIamPolicy',
  [OP.projectRole]: 'iam.roles.get',
  [OP.organizationRole]: 'iam.roles.get',
  [OP.role]: 'iam.roles.get',
  [OP.insights]: 'recommender.iamPolicyInsights.list',
} as const;
const ACTIVITY_PERMISSIONS: Record<ActivityType, string> = {
  serviceAccountLastAuthentication: 'policyanalyzer.serviceAccountLastAuthenticationActivities.query',
  serviceAccountKeyLastAuthentication: 'policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query',
};

const TokenInfo = z.looseObject({ email: z.string().optional(), sub: z.string().optional(), azp: z.string().optional() });

const unrecorded = discardingRecorder('doctor');

/** The permissions and predefined roles this configuration needs, and where to bind them. */
export function auditGrant(config: GcpIamConfig): { parent: string; roles: string[]; permissions: string[] } {
  const discovers = Boolean(config.organization || config.folder);
  const permissions = [
    PERMISSIONS[OP.serviceAccounts],
    PERMISSIONS[OP.keys],
    PERMISSIONS[OP.policy],
    // Inherited bindings and custom roles: the ancestry, each ancestor's policy, each role a binding names.
    PERMISSIONS[OP.ancestry],
    PERMISSIONS[OP.folderPolicy],
    PERMISSIONS[OP.organizationPolicy],
    PERMISSIONS[OP.projectRole],
    ...(config.recommender.enabled ? [PERMISSIONS[OP.insights]] : []),
    ...Object.values(ACTIVITY_PERMISSIONS),
    ...(discovers ? [PERMISSIONS[OP.projects], PERMISSIONS[OP.folders]] : []),
    ...(config.assetInventory ? [PERMISSIONS[OP.assets]] : []),
  ].sort();
  const roles = [
    'roles/iam.securityReviewer',
    'roles/policyanalyzer.activityAnalysisViewer',
    ...(config.recommender.enabled ? ['roles/recommender.iamViewer'] : []),
    ...(discovers ? ['roles/browser'] : []),
    ...(config.assetInventory ? ['roles/cloudasset.viewer'] : []),
  ].sort();
  const parent = config.organization ?? config.folder ?? config.assetInventory?.scope ?? `projects/${config.projects[0]}`;
  return { parent, roles, permissions };
}

function grantFile(config: GcpIamConfig, source: string): string {
  const { parent, roles, permissions } = auditGrant(config);
  const [kind, id] = parent.split('/') as [string, string];
  const where = kind === 'organizations' ? `--organization=${id}` : kind === 'projects' ? `--project=${id}` : `--organization=ORGANIZATION_NUMBER`;
  const header = [
    `# The read permissions nhi-audit's source "${source}" needs, as a custom role:`,
    `#   gcloud iam roles create nhiAuditReader ${where} --file=THIS_FILE`,
    `# granted to the collector on ${parent}${kind === 'projects' ? ' and every other project it reads' : ''}.`,
    '# Or, instead, these predefined roles there (broader, kept up to date by Google):',
    ...roles.map((role) => `#   ${role}`),
  ];
  const role = { title: 'nhi-audit reader', description: 'Reads service accounts, their keys, IAM policies and last use for nhi-audit', stage: 'GA', includedPermissions: permissions };
  return `${header.join('\n')}\n${stringify(role)}`;
}

/** The collector's API clients over the connector's own request layer, for one cheap call per permission. */
class Prober {
  private readonly transport: GcpTransport;
  private readonly iam;
  private readonly crm;
  private readonly analyzer: PolicyAnalyzer;
  private readonly assets: CloudAsset;
  private readonly at: Reading;
  readonly checks: PermissionCheck[] = [];

  constructor(
    private readonly config: GcpIamConfig,
    private readonly auth: Awaited<ReturnType<typeof createAuth>>['client'],
    context: ConnectContext,
  ) {
    const options: GlobalOptions = { auth, ...(config.rootUrl ? { rootUrl: config.rootUrl } : {}) };
    this.iam = iam({ version: 'v1', ...options });
    this.crm = cloudresourcemanager({ version: 'v3', ...options });
    this.analyzer = new PolicyAnalyzer(options, { createAPIRequest });
    this.assets = new CloudAsset(options, { createAPIRequest });
    const { maxAttempts, baseDelayMs, maxDelayMs } = config.retry;
    this.transport = new GcpTransport({ attempts: maxAttempts, baseDelayMs, maxDelayMs }, context.timeouts, context.paging, context.env);
    this.at = { recorder: unrecorded, signal: AbortSignal.timeout(context.timeouts.sourceMs) };
  }

  /** One call; its body when it was allowed. A refusal (or a disabled API) is a missing permission; anything else unknown. */
  async probe<T>(scope: string, permission: string, operation: string, schema: z.ZodType, send: (options: MethodOptions) => Promise<{ data: unknown }>): Promise<T | undefined> {
    try {
      const { body } = await this.transport.send<T>(this.at, { operation, parameters: {}, schema, records: () => 0, send });
      this.checks.push({ scope, permission, operation, status: 'granted' });
      return body;
    } catch (error) {
      const denied = error instanceof GcpApiError && (error.code === 'PERMISSION_DENIED' || error.reason === 'SERVICE_DISABLED');
      this.checks.push({ scope, permission, operation, status: denied ? 'missing' : 'unknown', detail: (error as Error).message });
      return undefined;
    }
  }

  /** Whose the access token is: Google's tokeninfo, under the same root as every other API. */
  async tokenOwner(token: string): Promise<string | undefined> {
    const url = `${(this.config.rootUrl ?? 'https://www.googleapis.com/').replace(/\/?$/, '/')}oauth2/v3/tokeninfo`;
    const { body } = await this.transport.send<z.output<typeof TokenInfo>>(this.at, {
      operation: 'oauth2.tokeninfo',
      parameters: {},
      schema: TokenInfo,
      records: () => 1,
      // The token goes in the form body, never in a URL that a proxy could log.
      send: (options) =>
        this.auth.request({ ...(options as object), url, method: 'POST', data: new URLSearchParams({ access_token: token }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    });
    return body.email ?? body.azp ?? body.sub;
  }

  /** The roots' listings; the first project found stands for the others when no project is named. */
  async roots(): Promise<string | undefined> {
    let sample: string | undefined;
    for (const parent of [this.config.organization, this.config.folder]) {
      if (!parent) continue;
      const projects = await this.probe<z.output<typeof ProjectsPage>>(parent, PERMISSIONS[OP.projects], OP.projects, ProjectsPage, (o) =>
        this.crm.projects.list({ parent, pageSize: 1 }, o),
      );
      sample ??= projects?.projects?.[0]?.projectId ?? undefined;
      await this.probe(parent, PERMISSIONS[OP.folders], OP.folders, FoldersPage, (o) => this.crm.folders.list({ parent, pageSize: 1 }, o));
    }
    const scope = this.config.assetInventory?.scope;
    if (scope) {
      const found = await this.probe<z.output<typeof SearchResultsPage>>(scope, PERMISSIONS[OP.assets], OP.assets, SearchResultsPage, (o) =>
        this.assets.searchAllResources({ scope, assetTypes: [ASSET_TYPES.project], pageSize: 1 }, o),
      );
      sample ??= found?.results?.[0]?.additionalAttributes?.projectId as string | undefined;
    }
    return sample;
  }

  async project(projectId: string): Promise<void> {
    const accounts = await this.probe<z.output<typeof ServiceAccountsPage>>(projectId, PERMISSIONS[OP.serviceAccounts], OP.serviceAccounts, ServiceAccountsPage, (o) =>
      this.iam.projects.serviceAccounts.list({ name: `projects/${projectId}`, pageSize: 1 }, o),
    );
    // Listing keys names an account: the first one listed, when there is one.
    const email = accounts?.accounts?.[0]?.email;
    if (email) {
      await this.probe(projectId, PERMISSIONS[OP.keys], OP.keys, KeysResponse, (o) => this.iam.projects.serviceAccounts.keys.list({ name: accountResource(projectId, email) }, o));
    }
    const resource = `projects/${projectId}`;
    await this.probe(projectId, PERMISSIONS[OP.policy], OP.policy, Policy, (o) =>
      this.crm.projects.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } }, o),
    );
    for (const [type, permission] of Object.entries(ACTIVITY_PERMISSIONS) as Array<[ActivityType, string]>) {
      await this.probe(projectId, permission, OP.activities, ActivitiesPage, (o) => this.analyzer.query({ parent: activityParent(projectId, type), pageSize: 1 }, o));
    }
  }
}

/** `nhi-audit doctor` for gcp-iam: the principal, the roots' listings, and one project's reads. */
export async function diagnose(config: GcpIamConfig, context: ConnectContext): Promise<DoctorReport> {
  const auth = await createAuth(config, context);
  const prober = new Prober(config, auth.client, context);
  let principal: string | undefined;
  if (config.accessTokenEnv) {
    // Not knowing whose the token is says nothing about what it may read: the checks still run.
    principal = await prober.tokenOwner(context.env[config.accessTokenEnv]!).catch(
      (error: unknown) => `an access token from ${config.accessTokenEnv}, whose tokeninfo could not be read (${(error as Error).message})`,
    );
  } else {
    principal = await auth.identify();
  }
  const sample = await prober.roots();
  const projects = config.projects.length > 0 ? config.projects : sample ? [sample] : [];
  for (const projectId of projects) await prober.project(projectId);
  if (prober.checks.length > 0 && prober.checks.every((check) => check.status === 'unknown')) {
    throw new ConnectorError(context.source, `no Google API answered: ${prober.checks[0]!.detail ?? ''}`, { hint: 'check rootUrl and the network' });
  }
  const { parent } = auditGrant(config);
  return {
    principals: [{ scope: parent, identity: principal ?? 'Application Default Credentials (the principal is not named in them)' }],
    checks: prober.checks,
    grant: {
      description: `a custom role's permissions (gcloud iam roles create --file) and the predefined roles that cover them, to grant on ${parent}`,
      fileSuffix: 'gcp-role.yaml',
      content: grantFile(config, context.source),
    },
  };
}
