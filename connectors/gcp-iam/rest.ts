import type { APIRequestContext, GlobalOptions, MethodOptions } from 'googleapis-common';
import type { GoogleApis } from './apis.js';

/**
 * Policy Analyzer v1 and Cloud Asset v1 have no per-API npm package, and the whole `googleapis` package
 * needs Node 22. These two methods are written the way the generated clients are, on googleapis-common's
 * createAPIRequest, so they share the generated clients' auth, rootUrl rewrite and transport options.
 */

/** One Activity Analyzer record; `activity` is untyped in Google's schema. */
export interface Activity {
  activityType?: string | null;
  fullResourceName?: string | null;
  observationPeriod?: { startTime?: string | null; endTime?: string | null } | null;
  activity?: { lastAuthenticatedTime?: string; [field: string]: unknown } | null;
}

export interface QueryActivityResponse {
  activities?: Activity[];
  nextPageToken?: string;
}

export interface ResourceSearchResult {
  name?: string | null;
  assetType?: string | null;
  /** `projects/NUMBER` */
  project?: string | null;
  displayName?: string | null;
  state?: string | null;
  createTime?: string | null;
  additionalAttributes?: { email?: string; [field: string]: unknown } | null;
}

export interface SearchAllResourcesResponse {
  results?: ResourceSearchResult[];
  nextPageToken?: string;
}

export class PolicyAnalyzer {
  private readonly context: APIRequestContext;
  constructor(
    options: GlobalOptions,
    private readonly apis: Pick<GoogleApis, 'createAPIRequest'>,
  ) {
    this.context = { _options: options };
  }

  /** `projects.locations.activityTypes.activities.query`: GET /v1/{parent}/activities:query. */
  query(
    params: { parent: string; filter?: string; pageSize?: number; pageToken?: string },
    options: MethodOptions = {},
  ): Promise<{ data: QueryActivityResponse }> {
    return this.apis.createAPIRequest<QueryActivityResponse>({
      options: { url: 'https://policyanalyzer.googleapis.com/v1/{+parent}/activities:query', method: 'GET', apiVersion: '', ...options },
      params,
      requiredParams: ['parent'],
      pathParams: ['parent'],
      context: this.context,
    });
  }
}

export class CloudAsset {
  private readonly context: APIRequestContext;
  constructor(
    options: GlobalOptions,
    private readonly apis: Pick<GoogleApis, 'createAPIRequest'>,
  ) {
    this.context = { _options: options };
  }

  /** `searchAllResources`: GET /v1/{scope}:searchAllResources. */
  searchAllResources(
    params: { scope: string; assetTypes?: string[]; pageSize?: number; pageToken?: string; readMask?: string },
    options: MethodOptions = {},
  ): Promise<{ data: SearchAllResourcesResponse }> {
    return this.apis.createAPIRequest<SearchAllResourcesResponse>({
      options: { url: 'https://cloudasset.googleapis.com/v1/{+scope}:searchAllResources', method: 'GET', apiVersion: '', ...options },
      params,
      requiredParams: ['scope'],
      pathParams: ['scope'],
      context: this.context,
    });
  }
}
