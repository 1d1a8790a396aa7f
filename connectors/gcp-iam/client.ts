import { cloudresourcemanager, type cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import { iam, type iam_v1 } from '@googleapis/iam';
import type { GaxiosError, GlobalOptions, MethodOptions, RetryConfig } from 'googleapis-common';
import type { ScopeRecorder } from '../../src/sdk/index.js';
import type { GcpAuth } from './auth.js';
import type { GcpIamConfig } from './config.js';
import { CloudAsset, PolicyAnalyzer, type Activity, type ResourceSearchResult } from './rest.js';

/** An API record with where the pack keeps it: `<raw page path>#/body/<field>/<index>`. */
export interface Located<T> {
  item: T;
  ref: string;
}

export type ActivityType = 'serviceAccountLastAuthentication' | 'serviceAccountKeyLastAuthentication';

/** The operation names pages are kept under: the raw re-read finds its pages by them. */
export const OP = {
  serviceAccounts: 'iam.projects.serviceAccounts.list',
  keys: 'iam.projects.serviceAccounts.keys.list',
  policy: 'cloudresourcemanager.projects.getIamPolicy',
  projects: 'cloudresourcemanager.projects.list',
  folders: 'cloudresourcemanager.folders.list',
  activities: 'policyanalyzer.activities.query',
  assets: 'cloudasset.searchAllResources',
} as const;

/** Where a kept page's body, or one of its fields' items, sits in the pack. */
export function pointer(path: string, ...segments: Array<string | number>): string {
  return `${path}#/body${segments.map((s) => `/${s}`).join('')}`;
}

/** A page's items, each with its pointer. */
export function locate<T>(path: string, field: string, items: readonly T[] | null | undefined): Array<Located<T>> {
  return (items ?? []).map((item, i) => ({ item, ref: pointer(path, field, i) }));
}

/** The parameter naming one account in a key listing. */
export function accountResource(projectId: string, email: string): string {
  return `projects/${projectId}/serviceAccounts/${email}`;
}

/** The parameter naming one project's activity type in a Policy Analyzer query. */
export function activityParent(projectId: string, type: ActivityType): string {
  return `projects/${projectId}/locations/global/activityTypes/${type}`;
}

/** A Google API error reduced to what may be logged: status, reason and Google's message, never request headers. */
export class GcpApiError extends Error {
  override readonly name = 'GcpApiError';
  constructor(
    /** Google's canonical status (`PERMISSION_DENIED`), or the transport error code. */
    readonly code: string,
    readonly httpStatus: number | undefined,
    /** ErrorInfo reason (`IAM_PERMISSION_DENIED`, `SERVICE_DISABLED`) when Google gives one. */
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

interface GoogleErrorBody {
  error?: { code?: number; status?: string; message?: string; details?: Array<{ reason?: string }> };
}

function toApiError(error: unknown): GcpApiError {
  const gaxios = error as Partial<GaxiosError> & { code?: unknown };
  const body = gaxios.response?.data as GoogleErrorBody | undefined;
  const status = gaxios.response?.status ?? gaxios.status;
  if (body?.error) {
    const reason = body.error.details?.find((d) => d.reason)?.reason;
    return new GcpApiError(body.error.status ?? String(status), status, reason, body.error.message ?? `HTTP ${status}`);
  }
  const code = typeof gaxios.code === 'string' ? gaxios.code : status ? `HTTP_${status}` : 'Error';
  // A JSON parser's message quotes the text it choked on, which may be a credentials file.
  const message =
    error instanceof SyntaxError ? 'invalid JSON in a response or in the credentials' : error instanceof Error ? error.message : String(error);
  return new GcpApiError(code, status, undefined, message);
}

const READ_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST'];
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_PAGES = 10_000;

/**
 * The Google API calls the connector makes. Every page goes to the scope's recorder as it arrives;
 * retries back off exponentially with jitter on 408/429/5xx for every method used here, including the
 * POST reads (getIamPolicy), which gaxios would not retry by default.
 */
export class GcpClient {
  private readonly iam: iam_v1.Iam;
  private readonly crm: cloudresourcemanager_v3.Cloudresourcemanager;
  private readonly analyzer: PolicyAnalyzer;
  private readonly assets: CloudAsset;

  constructor(
    readonly config: GcpIamConfig,
    auth: GcpAuth['client'],
    /** The collector's own service account, when its credentials name one. */
    readonly principal: string | undefined,
  ) {
    const options: GlobalOptions = { auth, ...(config.rootUrl ? { rootUrl: config.rootUrl } : {}) };
    this.iam = iam({ version: 'v1', ...options });
    this.crm = cloudresourcemanager({ version: 'v3', ...options });
    this.analyzer = new PolicyAnalyzer(options);
    this.assets = new CloudAsset(options);
  }

  private retryConfig(onRetry: () => void): RetryConfig {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.config.retry;
    let retries = 0;
    return {
      retry: maxAttempts - 1,
      noResponseRetries: maxAttempts - 1,
      httpMethodsToRetry: READ_METHODS,
      statusCodesToRetry: [
        [408, 408],
        [429, 429],
        [500, 599],
      ],
      retryBackoff: async () => {
        retries += 1;
        onRetry();
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retries - 1));
        await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + (Math.random() * ceiling) / 2));
      },
    };
  }

  /** One request with retries; records the page and returns its path. Throws GcpApiError. */
  private async send<T>(
    recorder: ScopeRecorder,
    operation: string,
    parameters: Record<string, unknown>,
    call: (options: MethodOptions) => Promise<{ data: T }>,
    records: (data: T) => number,
  ): Promise<{ data: T; path: string }> {
    let attempts = 1;
    const options: MethodOptions = { retryConfig: this.retryConfig(() => (attempts += 1)), timeout: REQUEST_TIMEOUT_MS };
    let data: T;
    try {
      data = (await call(options)).data;
    } catch (error) {
      throw toApiError(error);
    }
    const path = await recorder.page(operation, parameters, data, { records: records(data), attempts });
    return { data, path };
  }

  /** Follows nextPageToken to the end; `parameters` (without the token) identify the query in the pack. */
  private async paged<T, R>(
    recorder: ScopeRecorder,
    operation: string,
    parameters: Record<string, unknown>,
    field: string,
    call: (pageToken: string | undefined, options: MethodOptions) => Promise<{ data: T }>,
    items: (data: T) => R[] | undefined,
  ): Promise<Array<Located<R>>> {
    const out: Array<Located<R>> = [];
    let pageToken: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const { data, path } = await this.send(recorder, operation, parameters, (o) => call(pageToken, o), (d) => items(d)?.length ?? 0);
      out.push(...locate(path, field, items(data)));
      pageToken = (data as { nextPageToken?: string | null }).nextPageToken ?? undefined;
      if (!pageToken) return out;
    }
    throw new GcpApiError('PAGE_LIMIT', undefined, undefined, `${operation} returned more than ${MAX_PAGES} pages`);
  }

  listServiceAccounts(recorder: ScopeRecorder, projectId: string): Promise<Array<Located<iam_v1.Schema$ServiceAccount>>> {
    const parameters = { name: `projects/${projectId}`, pageSize: this.config.pageSize.serviceAccounts };
    return this.paged(
      recorder,
      OP.serviceAccounts,
      parameters,
      'accounts',
      (pageToken, o) => this.iam.projects.serviceAccounts.list({ ...parameters, ...(pageToken ? { pageToken } : {}) }, o),
      (d) => d.accounts,
    );
  }

  async listKeys(recorder: ScopeRecorder, projectId: string, email: string): Promise<Array<Located<iam_v1.Schema$ServiceAccountKey>>> {
    const parameters = { name: accountResource(projectId, email), keyTypes: ['USER_MANAGED'] };
    // Not paginated: one response holds every key of the account.
    const { data, path } = await this.send(
      recorder,
      OP.keys,
      parameters,
      (o) => this.iam.projects.serviceAccounts.keys.list(parameters, o),
      (d) => d.keys?.length ?? 0,
    );
    return locate(path, 'keys', data.keys);
  }

  async getIamPolicy(recorder: ScopeRecorder, projectId: string): Promise<Located<cloudresourcemanager_v3.Schema$Policy>> {
    const resource = `projects/${projectId}`;
    // Version 3 returns conditional bindings with their conditions instead of folding them into role names.
    const requestBody = { options: { requestedPolicyVersion: 3 } };
    const { data, path } = await this.send(
      recorder,
      OP.policy,
      { resource, requestedPolicyVersion: 3 },
      (o) => this.crm.projects.getIamPolicy({ resource, requestBody }, o),
      (d) => d.bindings?.length ?? 0,
    );
    return { item: data, ref: pointer(path) };
  }

  listProjects(recorder: ScopeRecorder, parent: string): Promise<Array<Located<cloudresourcemanager_v3.Schema$Project>>> {
    const parameters = { parent, pageSize: this.config.pageSize.projects };
    return this.paged(
      recorder,
      OP.projects,
      parameters,
      'projects',
      (pageToken, o) => this.crm.projects.list({ ...parameters, ...(pageToken ? { pageToken } : {}) }, o),
      (d) => d.projects,
    );
  }

  listFolders(recorder: ScopeRecorder, parent: string): Promise<Array<Located<cloudresourcemanager_v3.Schema$Folder>>> {
    const parameters = { parent, pageSize: this.config.pageSize.projects };
    return this.paged(
      recorder,
      OP.folders,
      parameters,
      'folders',
      (pageToken, o) => this.crm.folders.list({ ...parameters, ...(pageToken ? { pageToken } : {}) }, o),
      (d) => d.folders,
    );
  }

  /** Every last-authentication record of one type in a project (no filter: one query covers all accounts). */
  queryActivities(recorder: ScopeRecorder, projectId: string, type: ActivityType): Promise<Array<Located<Activity>>> {
    const parameters = { parent: activityParent(projectId, type), pageSize: this.config.pageSize.activities };
    return this.paged(
      recorder,
      OP.activities,
      parameters,
      'activities',
      (pageToken, o) => this.analyzer.query({ ...parameters, ...(pageToken ? { pageToken } : {}) }, o),
      (d) => d.activities,
    );
  }

  searchServiceAccountAssets(recorder: ScopeRecorder, scope: string): Promise<Array<Located<ResourceSearchResult>>> {
    const parameters = {
      scope,
      assetTypes: ['iam.googleapis.com/ServiceAccount', 'iam.googleapis.com/ServiceAccountKey'],
      pageSize: this.config.pageSize.assets,
      readMask: '*',
    };
    return this.paged(
      recorder,
      OP.assets,
      parameters,
      'results',
      (pageToken, o) => this.assets.searchAllResources({ ...parameters, ...(pageToken ? { pageToken } : {}) }, o),
      (d) => d.results,
    );
  }
}
