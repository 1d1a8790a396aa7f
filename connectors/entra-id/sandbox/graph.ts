import { randomBytes } from 'node:crypto';
import { served, type Tenant } from './dataset.js';

/**
 * Microsoft Graph's OData JSON over the sandbox's tenant: `$select`, `$top` (100 by default, 999 at most),
 * `$count=true` (only with `ConsistencyLevel: eventual`, as Graph requires) and `@odata.nextLink` paging with an
 * opaque `$skiptoken`. Each request is named by the operation the connector records it under.
 */

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export function graphError(status: number, code: string, message: string): Reply {
  return { status, body: { error: { code, message, innerError: { date: '2026-11-20T00:00:00', 'request-id': 'sandbox', 'client-request-id': 'sandbox' } } } };
}

/** Where a page request stands in its listing, so faults can break its paging. */
export interface Listing {
  /** The URL of this request (for a next link that points at itself). */
  self: string;
  /** Whether a next link reached this page. */
  followed: boolean;
  /** A fresh next link to `offset`: a new token each time, as Graph's are. */
  linkTo(offset: number): string;
  offset: number;
}

export interface GraphRequest {
  operation: string;
  /** The request's place: its path, query and page offset, the same for every token to the same page. */
  position: string;
  listing?: Listing;
  handle(): Reply;
}

const MAX_TOP = 999;
const DEFAULT_TOP = 100;

interface Route {
  operation: string;
  version: 'v1.0' | 'beta';
  pattern: RegExp;
  /** Whether Graph supports `$count` on it. */
  countable?: boolean;
  items(tenant: Tenant, match: RegExpExecArray): Array<Record<string, unknown>> | Reply;
}

const notFound = (what: string, id: string) => graphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present. (${what})`);

const ROUTES: Route[] = [
  { operation: 'applications.list', version: 'v1.0', pattern: /^\/applications$/, countable: true, items: (t) => t.dataset.applications },
  {
    operation: 'applications.owners.list',
    version: 'v1.0',
    pattern: /^\/applications\/([^/]+)\/owners$/,
    countable: true,
    items: (t, m) => {
      const app = t.applications.get(m[1]!);
      return app ? app['x-owners'].map((id) => t.owner(id)) : notFound('application', m[1]!);
    },
  },
  {
    operation: 'beta.applications.federatedIdentityCredentials.list',
    version: 'beta',
    pattern: /^\/applications\/([^/]+)\/federatedIdentityCredentials$/,
    items: (t, m) => {
      const app = t.applications.get(m[1]!);
      return app ? (app['x-federatedIdentityCredentials'] as Array<Record<string, unknown>>) : notFound('application', m[1]!);
    },
  },
  { operation: 'servicePrincipals.list', version: 'v1.0', pattern: /^\/servicePrincipals$/, countable: true, items: (t) => t.dataset.servicePrincipals },
  {
    operation: 'servicePrincipals.owners.list',
    version: 'v1.0',
    pattern: /^\/servicePrincipals\/([^/]+)\/owners$/,
    countable: true,
    items: (t, m) => {
      const sp = t.servicePrincipals.get(m[1]!);
      return sp ? sp['x-owners'].map((id) => t.owner(id)) : notFound('servicePrincipal', m[1]!);
    },
  },
  {
    operation: 'servicePrincipals.appRoleAssignedTo.list',
    version: 'v1.0',
    pattern: /^\/servicePrincipals\/([^/]+)\/appRoleAssignedTo$/,
    countable: true,
    items: (t, m) => (t.servicePrincipals.has(m[1]!) ? t.assignments.filter((a) => a.resourceId === m[1]) : notFound('servicePrincipal', m[1]!)),
  },
  { operation: 'oauth2PermissionGrants.list', version: 'v1.0', pattern: /^\/oauth2PermissionGrants$/, items: (t) => t.dataset.oauth2PermissionGrants },
  { operation: 'roleManagement.directory.roleDefinitions.list', version: 'v1.0', pattern: /^\/roleManagement\/directory\/roleDefinitions$/, items: (t) => t.dataset.roleDefinitions },
  { operation: 'roleManagement.directory.roleAssignments.list', version: 'v1.0', pattern: /^\/roleManagement\/directory\/roleAssignments$/, items: (t) => t.dataset.roleAssignments },
  {
    operation: 'beta.reports.servicePrincipalSignInActivities.list',
    version: 'beta',
    pattern: /^\/reports\/servicePrincipalSignInActivities$/,
    items: (t) => (t.dataset.licensed ? t.servicePrincipalActivity() : unlicensed()),
  },
  {
    operation: 'beta.reports.appCredentialSignInActivities.list',
    version: 'beta',
    pattern: /^\/reports\/appCredentialSignInActivities$/,
    items: (t) => (t.dataset.licensed ? t.credentialActivity() : unlicensed()),
  },
];

function unlicensed(): Reply {
  return graphError(403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', "Neither tenant is B2C or tenant doesn't have premium license");
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset, n: randomBytes(6).toString('hex') })).toString('base64url');
}

function decodeToken(token: string): number | undefined {
  try {
    const { o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    return typeof o === 'number' && Number.isInteger(o) && o >= 0 ? o : undefined;
  } catch {
    return undefined;
  }
}

function select(item: Record<string, unknown>, fields: string[] | undefined): Record<string, unknown> {
  const shown = served(item) as Record<string, unknown>;
  if (!fields) return shown;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shown)) if (key === '@odata.type' || key === 'id' || fields.includes(key)) out[key] = shown[key];
  return out;
}

/** `$filter`: only `appId eq '…'`, the one equality the collector's doctor asks; undefined for any other clause. */
function filtered(items: Array<Record<string, unknown>>, filter: string | null): Array<Record<string, unknown>> | undefined {
  if (filter === null) return items;
  const appId = /^appId eq '([^']+)'$/.exec(filter.trim())?.[1];
  return appId === undefined ? undefined : items.filter((item) => item.appId === appId);
}

/** Names and answers one Graph request; `origin` is the sandbox's own, for next links. */
export function route(tenant: Tenant, origin: string, url: URL, headers: Record<string, string | string[] | undefined>): GraphRequest {
  const [, version, ...rest] = url.pathname.split('/');
  const path = `/${rest.join('/')}`;
  const found = ROUTES.flatMap((r) => {
    const match = r.version === version ? r.pattern.exec(path) : null;
    return match ? [{ route: r, match }] : [];
  })[0];
  if (!found) {
    return { operation: 'unknown', position: url.pathname, handle: () => graphError(400, 'BadRequest', `Resource not found for the segment '${rest[0] ?? ''}'.`) };
  }
  const { route: r, match } = found;
  const params = new URLSearchParams(url.search);
  const token = params.get('$skiptoken');
  params.delete('$skiptoken');
  const offset = token === null ? 0 : decodeToken(token);
  // Graph writes its next links with the query's `$` names as they are: `?$select=id,appId&$skiptoken=...`.
  const query = (o: number) => [...params, ['$skiptoken', encodeToken(o)]].map(([k, v]) => `${k}=${encodeURIComponent(v!).replaceAll('%2C', ',')}`).join('&');
  const listing: Listing | undefined =
    offset === undefined ? undefined : { self: `${origin}${url.pathname}${url.search}`, followed: token !== null, offset, linkTo: (o) => `${origin}/${version}${path}?${query(o)}` };
  return {
    operation: r.operation,
    position: `${version}${path}?${params.toString()}@${offset ?? token}`,
    ...(listing ? { listing } : {}),
    handle: () => {
      if (offset === undefined) return graphError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
      const top = params.has('$top') ? Number(params.get('$top')) : DEFAULT_TOP;
      if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) return graphError(400, 'Request_BadRequest', `Invalid page size specified: '${params.get('$top')}'. Must be between 1 and ${MAX_TOP} inclusive.`);
      const counted = params.get('$count') === 'true';
      if (counted && (!r.countable || String(headers.consistencylevel ?? '').toLowerCase() !== 'eventual')) {
        return graphError(400, 'Request_BadRequest', '$count is not currently supported.');
      }
      const listed = r.items(tenant, match);
      if (!Array.isArray(listed)) return listed;
      const items = filtered(listed, params.get('$filter'));
      if (!items) return graphError(400, 'Request_UnsupportedQuery', `Unsupported or invalid query filter clause specified: '${params.get('$filter')}'.`);
      const fields = params.get('$select')?.split(',').map((f) => f.trim());
      const value = items.slice(offset, offset + top).map((item) => select(item, fields));
      const body: Record<string, unknown> = { '@odata.context': `${origin}/${version}/$metadata#${rest[0]}`, ...(counted ? { '@odata.count': items.length } : {}), value };
      if (offset + top < items.length) body['@odata.nextLink'] = listing!.linkTo(offset + top);
      return { status: 200, body };
    },
  };
}
