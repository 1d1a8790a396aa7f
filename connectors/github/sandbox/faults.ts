import type { FaultDialect, WireResponse } from '../../../src/sdk/index.js';
import { OPERATIONS, type GraphqlOperation, type OperationName } from '../operations.js';
import { freshCursor } from './graphql.js';
import { DOCS } from './rest.js';

/*
 * How GitHub says each fault of the shared vocabulary (src/sdk/faults.ts): its rate-limit and error answers,
 * and, for the paging faults, REST's `Link` header and GraphQL's `pageInfo`.
 */

export const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.';

/** The field `drop-field` removes: what names each item of a list, or what the collector reads from an object. */
const READ_FIELD: Record<OperationName, string> = {
  getOrg: 'public_repos',
  getAuthenticatedUser: 'login',
  createInstallationAccessToken: 'token',
  getAppBySlug: 'owner',
  getAuthenticatedApp: 'slug',
  getInstallation: 'permissions',
  listAppInstallations: 'app_slug',
  listRepoPropertyValues: 'repository_name',
  listEnvironments: 'name',
  listDeployKeys: 'id',
  listPatGrants: 'token_id',
  listSamlAuthorizations: 'credential_id',
  listOrgActionsSecrets: 'name',
  listOrgActionsSecretRepos: 'name',
  listRepoActionsSecrets: 'name',
  listEnvironmentSecrets: 'name',
  listOrgDependabotSecrets: 'name',
  listOrgDependabotSecretRepos: 'name',
  listRepoDependabotSecrets: 'name',
  listOrgCodespacesSecrets: 'name',
  listOrgCodespacesSecretRepos: 'name',
  listRepoCodespacesSecrets: 'name',
  listOrgWebhooks: 'id',
  listRepoWebhooks: 'id',
  listOrgRunners: 'id',
  listOrgRunnerGroups: 'id',
  listRepoRunners: 'id',
};
const READ_FIELD_BY_ID = new Map(Object.entries(READ_FIELD).map(([name, field]) => [OPERATIONS[name as OperationName].id, field]));

function json(status: number, body: unknown, headers: Record<string, string> = {}): WireResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

/** Changes a JSON answer's body; undefined when the change does not apply to it. */
function rewrite(response: WireResponse, change: (body: any) => boolean): WireResponse | undefined {
  const body = JSON.parse(response.body) as unknown;
  return change(body) ? { ...response, body: JSON.stringify(body) } : undefined;
}

/** A `Link` header whose `rel="next"` is `target`; the other relations stay. */
function withNext(response: WireResponse, target: string): WireResponse {
  const others = (response.headers.link ?? '').split(/,\s*(?=<)/).filter((part) => part && !/rel="next"/.test(part));
  return { ...response, headers: { ...response.headers, link: [`<${target}>; rel="next"`, ...others].join(', ') } };
}

export interface RestRequest {
  operation: string;
  /** Where a list keeps its items (`null`: the body is the list); undefined for an object. */
  items: string | null | undefined;
  /** The absolute URL as requested. */
  url: URL;
  /** A number not used before, for a fresh cursor. */
  nonce(): number;
}

/** The query parameter that makes a next link fresh without moving it; the sandbox's paging ignores it. */
export const NONCE_PARAMETER = 'nonce';

/** Where a REST request reads: its path and page, whatever fresh-making parameter it carries. */
export function restPosition(method: string, url: URL): string {
  return `${method} ${url.pathname} page=${url.searchParams.get('page') ?? '1'} per_page=${url.searchParams.get('per_page') ?? ''}`;
}

export function restDialect(request: RestRequest): FaultDialect {
  const { items, url } = request;
  const list = items !== undefined;
  const listOf = (body: any): unknown[] | undefined => (items === null ? body : items === undefined ? undefined : body?.[items]);
  const field = READ_FIELD_BY_ID.get(request.operation) ?? 'id';
  return {
    throttle: () => json(429, { message: SECONDARY_MESSAGE, documentation_url: DOCS, status: '429' }, { 'retry-after': '1' }),
    serverError: () => json(503, { message: 'Service Unavailable', documentation_url: DOCS, status: '503' }),
    emptyObject: (real) => ({ ...real, body: '{}' }),
    // A REST cursor is the next link, so leading back to the page just read is pointing at itself.
    repeatCursor: (real) => (list ? withNext(real, url.href) : undefined),
    selfLink: (real) => (list ? withNext(real, url.href) : undefined),
    emptyPageMore: (real) => {
      if (!list) return undefined;
      const emptied = rewrite(real, (body) => {
        if (items === null) body.length = 0;
        else body[items] = [];
        return true;
      })!;
      const again = new URL(url.href);
      again.searchParams.set(NONCE_PARAMETER, String(request.nonce()));
      return withNext(emptied, again.href);
    },
    dropField: (real) =>
      rewrite(real, (body) => {
        const targets = list ? (listOf(body) ?? []) : [body];
        for (const target of targets) delete (target as Record<string, unknown>)[field];
        return targets.length > 0;
      }),
  };
}

export interface GraphqlRequest {
  operation: GraphqlOperation<any, unknown>;
  /** The cursor the page was asked for with; null for the first page. */
  after: string | null;
  /** Where the page starts. */
  position: number;
  nonce(): number;
}

export function graphqlDialect(request: GraphqlRequest): FaultDialect {
  /** Changes the connection inside an answer that has one. */
  const connection = (real: WireResponse, change: (connection: { pageInfo: unknown; nodes: Record<string, unknown>[] }) => boolean) =>
    rewrite(real, (body) => {
      let found: { pageInfo: unknown; nodes: Record<string, unknown>[] };
      try {
        found = request.operation.connection(body) as typeof found;
      } catch {
        return false;
      }
      return found ? change(found) : false;
    });
  /**
   * The page's next cursor is the one it was asked for with; the first page, asked for without one, claims
   * more after its own end, so the page that follows it meets the fault.
   */
  const repeat = (real: WireResponse) =>
    connection(real, (found) => {
      const { endCursor } = found.pageInfo as { endCursor: string | null };
      found.pageInfo = { hasNextPage: true, endCursor: request.after ?? endCursor };
      return true;
    });
  return {
    throttle: () =>
      json(200, { errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded for installation.' }] }, {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)),
      }),
    serverError: () => json(503, { message: 'Service Unavailable', documentation_url: DOCS }),
    emptyObject: (real) => ({ ...real, body: '{}' }),
    repeatCursor: repeat,
    // GraphQL has no links: a cursor that points back is its self-link.
    selfLink: repeat,
    emptyPageMore: (real) =>
      connection(real, (found) => {
        found.nodes = [];
        found.pageInfo = { hasNextPage: true, endCursor: freshCursor(request.position, request.nonce()) };
        return true;
      }),
    dropField: (real) =>
      connection(real, (found) => {
        for (const node of found.nodes) delete node.name;
        return found.nodes.length > 0;
      }),
  };
}
