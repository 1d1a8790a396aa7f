import type { cloudresourcemanager_v1, cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import type { iam_v1 } from '@googleapis/iam';
import { googleApis, type GoogleApis } from './apis.js';
import type { GlobalOptions, MethodOptions } from 'googleapis-common';
import type { ConnectContext } from '../../src/sdk/index.js';
import type { GcpAuth } from './auth.js';
import type { GcpIamConfig } from './config.js';
import { USAGE_OP, UsageReader } from './recommender.js';
import { CloudAsset, PolicyAnalyzer, type Activity, type ResourceSearchResult } from './rest.js';
import { ActivitiesPage, Ancestry, FoldersPage, KeysResponse, Policy, ProjectsPage, Role, SearchResultsPage, ServiceAccountsPage } from './schemas.js';
import { GcpTransport, locate, pointer, type Located, type Reading } from './transport.js';

export type ActivityType = 'serviceAccountLastAuthentication' | 'serviceAccountKeyLastAuthentication';

/** The operation names pages are kept under: the raw re-read finds its pages by them, the sandbox names its requests by them. */
export const OP = {
  serviceAccounts: 'iam.projects.serviceAccounts.list',
  keys: 'iam.projects.serviceAccounts.keys.list',
  policy: 'cloudresourcemanager.projects.getIamPolicy',
  projects: 'cloudresourcemanager.projects.list',
  folders: 'cloudresourcemanager.folders.list',
  activities: 'policyanalyzer.activities.query',
  assets: 'cloudasset.searchAllResources',
  ancestry: 'cloudresourcemanager.projects.getAncestry',
  folderPolicy: 'cloudresourcemanager.folders.getIamPolicy',
  organizationPolicy: 'cloudresourcemanager.organizations.getIamPolicy',
  projectRole: 'iam.projects.roles.get',
  organizationRole: 'iam.organizations.roles.get',
  ...USAGE_OP,
} as const;

/** The operation that reads a folder's or an organization's allow policy. */
export const ancestorPolicyOperation = (resource: string) => (resource.startsWith('folders/') ? OP.folderPolicy : OP.organizationPolicy);

/** The operation that reads a custom role: `projects/P/roles/X` or `organizations/O/roles/X`. */
export const roleOperation = (name: string) => (name.startsWith('projects/') ? OP.projectRole : OP.organizationRole);

export const ASSET_TYPES = {
  serviceAccount: 'iam.googleapis.com/ServiceAccount',
  key: 'iam.googleapis.com/ServiceAccountKey',
  project: 'cloudresourcemanager.googleapis.com/Project',
} as const;

/** The parameter naming one account in a key listing. */
export function accountResource(projectId: string, email: string): string {
  return `projects/${projectId}/serviceAccounts/${email}`;
}

/** The parameter naming one project's activity type in a Policy Analyzer query. */
export function activityParent(projectId: string, type: ActivityType): string {
  return `projects/${projectId}/locations/global/activityTypes/${type}`;
}

const ANCESTOR_KINDS: Readonly<Record<string, string>> = { folder: 'folders', organization: 'organizations' };

/** getAncestry's answer as resource names, the project itself left out (the schema has checked each entry). */
export function ancestorsOf(body: cloudresourcemanager_v1.Schema$GetAncestryResponse): string[] {
  return (body.ancestor ?? []).flatMap(({ resourceId }) => {
    const kind = ANCESTOR_KINDS[resourceId?.type ?? ''];
    return kind ? [`${kind}/${resourceId!.id}`] : [];
  });
}

const withToken = (pageToken: string | undefined) => (pageToken ? { pageToken } : {});

/**
 * The Google API calls the connector makes, each one through the transport: validated, time-limited, retried,
 * and kept in the pack as it arrives. POST reads (getIamPolicy) are retried like the GET ones.
 */
export class GcpClient {
  private readonly iam: iam_v1.Iam;
  private readonly crm: cloudresourcemanager_v3.Cloudresourcemanager;
  /** v1 only for getAncestry: one call gives a project's whole chain of folders and organization. */
  private readonly crmV1: cloudresourcemanager_v1.Cloudresourcemanager;
  private readonly analyzer: PolicyAnalyzer;
  private readonly assets: CloudAsset;
  private readonly transport: GcpTransport;
  /** IAM Recommender's policy insights, for unused privilege. */
  readonly usage: UsageReader;

  /** A client with Google's API clients loaded. */
  static async open(config: GcpIamConfig, auth: GcpAuth['client'], principal: string | undefined, context: Pick<ConnectContext, 'timeouts' | 'paging' | 'env'>): Promise<GcpClient> {
    return new GcpClient(config, auth, principal, context, await googleApis());
  }

  private constructor(
    readonly config: GcpIamConfig,
    auth: GcpAuth['client'],
    /** The collector's own service account, when its credentials name one. */
    readonly principal: string | undefined,
    context: Pick<ConnectContext, 'timeouts' | 'paging' | 'env'>,
    apis: GoogleApis,
  ) {
    const options: GlobalOptions = { auth, ...(config.rootUrl ? { rootUrl: config.rootUrl } : {}) };
    this.iam = apis.iam({ version: 'v1', ...options });
    this.crm = apis.cloudresourcemanager({ version: 'v3', ...options });
    this.crmV1 = apis.cloudresourcemanager({ version: 'v1', ...options });
    this.analyzer = new PolicyAnalyzer(options, apis);
    this.assets = new CloudAsset(options, apis);
    const { maxAttempts, baseDelayMs, maxDelayMs } = config.retry;
    this.transport = new GcpTransport({ attempts: maxAttempts, baseDelayMs, maxDelayMs }, context.timeouts, context.paging, context.env);
    this.usage = new UsageReader(options, this.transport, config, apis);
  }

  listServiceAccounts(at: Reading, projectId: string): Promise<Array<Located<iam_v1.Schema$ServiceAccount>>> {
    const parameters = { name: `projects/${projectId}`, pageSize: this.config.pageSize.serviceAccounts };
    return this.transport.list<iam_v1.Schema$ListServiceAccountsResponse, iam_v1.Schema$ServiceAccount>(at, {
      operation: OP.serviceAccounts,
      parameters,
      schema: ServiceAccountsPage,
      field: 'accounts',
      items: (d) => d.accounts,
      key: (account) => account.uniqueId ?? '',
      send: (pageToken, o) => this.iam.projects.serviceAccounts.list({ ...parameters, ...withToken(pageToken) }, o),
    });
  }

  /**
   * Every key of one account, system-managed ones included: Cloud Asset Inventory indexes both kinds, so the count
   * per account can be reconciled with it; the normalizer keeps the user-managed ones.
   */
  async listKeys(at: Reading, projectId: string, email: string): Promise<Array<Located<iam_v1.Schema$ServiceAccountKey>>> {
    const parameters = { name: accountResource(projectId, email) };
    // Not paginated: one response holds every key of the account.
    const { body, path } = await this.transport.send<iam_v1.Schema$ListServiceAccountKeysResponse>(at, {
      operation: OP.keys,
      parameters,
      schema: KeysResponse,
      records: (d) => d.keys?.length ?? 0,
      send: (o) => this.iam.projects.serviceAccounts.keys.list(parameters, o),
    });
    return locate(path, 'keys', body.keys);
  }

  getIamPolicy(at: Reading, projectId: string): Promise<Located<cloudresourcemanager_v3.Schema$Policy>> {
    const resource = `projects/${projectId}`;
    return this.readPolicy(at, OP.policy, resource, (params, o) => this.crm.projects.getIamPolicy(params, o));
  }

  /** The allow policy of a folder or an organization, which every project under it inherits. */
  getAncestorPolicy(at: Reading, resource: string): Promise<Located<cloudresourcemanager_v3.Schema$Policy>> {
    return resource.startsWith('folders/')
      ? this.readPolicy(at, OP.folderPolicy, resource, (params, o) => this.crm.folders.getIamPolicy(params, o))
      : this.readPolicy(at, OP.organizationPolicy, resource, (params, o) => this.crm.organizations.getIamPolicy(params, o));
  }

  private async readPolicy(
    at: Reading,
    operation: string,
    resource: string,
    send: (params: { resource: string; requestBody: cloudresourcemanager_v3.Schema$GetIamPolicyRequest }, o: MethodOptions) => Promise<{ data: unknown }>,
  ): Promise<Located<cloudresourcemanager_v3.Schema$Policy>> {
    // Version 3 returns conditional bindings with their conditions instead of folding them into role names.
    const requestBody = { options: { requestedPolicyVersion: 3 } };
    const { body, path } = await this.transport.send<cloudresourcemanager_v3.Schema$Policy>(at, {
      operation,
      parameters: { resource, requestedPolicyVersion: 3 },
      schema: Policy,
      records: (d) => d.bindings?.length ?? 0,
      send: (o) => send({ resource, requestBody }, o),
    });
    return { item: body, ref: pointer(path) };
  }

  /** The project's folders and organization, nearest first, as `folders/N` and `organizations/N`. */
  async getAncestry(at: Reading, projectId: string): Promise<string[]> {
    const { body } = await this.transport.send<cloudresourcemanager_v1.Schema$GetAncestryResponse>(at, {
      operation: OP.ancestry,
      parameters: { projectId },
      schema: Ancestry,
      records: (d) => d.ancestor?.length ?? 0,
      send: (o) => this.crmV1.projects.getAncestry({ projectId, requestBody: {} }, o),
    });
    return ancestorsOf(body);
  }

  /** A custom role with its permissions; a deleted one still answers, with `deleted: true`, until it is purged. */
  async getRole(at: Reading, name: string): Promise<Located<iam_v1.Schema$Role>> {
    const { body, path } = await this.transport.send<iam_v1.Schema$Role>(at, {
      operation: roleOperation(name),
      parameters: { name },
      schema: Role,
      records: (d) => d.includedPermissions?.length ?? 0,
      send: (o) => (name.startsWith('projects/') ? this.iam.projects.roles.get({ name }, o) : this.iam.organizations.roles.get({ name }, o)),
    });
    return { item: body, ref: pointer(path) };
  }

  listProjects(at: Reading, parent: string): Promise<Array<Located<cloudresourcemanager_v3.Schema$Project>>> {
    const parameters = { parent, pageSize: this.config.pageSize.projects };
    return this.transport.list<cloudresourcemanager_v3.Schema$ListProjectsResponse, cloudresourcemanager_v3.Schema$Project>(at, {
      operation: OP.projects,
      parameters,
      schema: ProjectsPage,
      field: 'projects',
      items: (d) => d.projects,
      key: (project) => project.name ?? '',
      send: (pageToken, o) => this.crm.projects.list({ ...parameters, ...withToken(pageToken) }, o),
    });
  }

  listFolders(at: Reading, parent: string): Promise<Array<Located<cloudresourcemanager_v3.Schema$Folder>>> {
    const parameters = { parent, pageSize: this.config.pageSize.projects };
    return this.transport.list<cloudresourcemanager_v3.Schema$ListFoldersResponse, cloudresourcemanager_v3.Schema$Folder>(at, {
      operation: OP.folders,
      parameters,
      schema: FoldersPage,
      field: 'folders',
      items: (d) => d.folders,
      key: (folder) => folder.name ?? '',
      send: (pageToken, o) => this.crm.folders.list({ ...parameters, ...withToken(pageToken) }, o),
    });
  }

  /** Every last-authentication record of one type in a project (no filter: one query covers all accounts). */
  queryActivities(at: Reading, projectId: string, type: ActivityType): Promise<Array<Located<Activity>>> {
    const parameters = { parent: activityParent(projectId, type), pageSize: this.config.pageSize.activities };
    return this.transport.list<{ activities?: Activity[]; nextPageToken?: string }, Activity>(at, {
      operation: OP.activities,
      parameters,
      schema: ActivitiesPage,
      field: 'activities',
      items: (d) => d.activities,
      key: (activity) => activity.fullResourceName ?? '',
      send: (pageToken, o) => this.analyzer.query({ ...parameters, ...withToken(pageToken) }, o),
    });
  }

  /** The scope's service accounts, their keys and its projects, as Cloud Asset Inventory indexes them. */
  searchAssets(at: Reading, scope: string): Promise<Array<Located<ResourceSearchResult>>> {
    const parameters = {
      scope,
      assetTypes: [ASSET_TYPES.serviceAccount, ASSET_TYPES.key, ASSET_TYPES.project],
      pageSize: this.config.pageSize.assets,
      readMask: '*',
    };
    return this.transport.list<{ results?: ResourceSearchResult[]; nextPageToken?: string }, ResourceSearchResult>(at, {
      operation: OP.assets,
      parameters,
      schema: SearchResultsPage,
      field: 'results',
      items: (d) => d.results,
      key: (result) => result.name ?? '',
      send: (pageToken, o) => this.assets.searchAllResources({ ...parameters, ...withToken(pageToken) }, o),
    });
  }
}
