import { createHash } from 'node:crypto';
import type { Operation } from './index.js';
import { activityAnalyzerTimestamp, toWire, type DatasetBinding, type DatasetProject, type DatasetView } from './dataset.js';
import { usageRoute } from './recommender.js';

/** The sandbox's REST surface: one handler per Google API method the connector calls, in Google's JSON shapes. */

export interface Reply {
  status: number;
  body: unknown;
}

export interface Request {
  operation: Operation | 'unknown';
  /** The project (id), folder, organization or asset scope the request is about. */
  resource?: string;
  /** Every name a denial may use for that resource (project id, number, `projects/…`). */
  resourceAliases: string[];
  /** The request's place: its path and query, and for a listing the position its page token points at. */
  position: string;
  /** Set for a paged listing: where it starts, and how to point a next page token anywhere in it. */
  listing?: Listing;
  /** The field holding the answer's records (unset: the answer is one record), and the field that identifies each. */
  records?: { field?: string; identifying: string };
  handle(): Reply;
}

/** One paged listing request, as far as its page token tells. */
export interface Listing {
  field: string;
  /** The page token the request carried. */
  token: string | undefined;
  /** Where the page starts; undefined when the token is not one this query issued. */
  offset: number | undefined;
  /** A page token to `offset`; a `fresh` one differs from every other token to the same place. */
  tokenTo(offset: number, fresh?: boolean): string;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export function googleError(code: number, message: string, details: unknown[] = []): Reply {
  return { status: code, body: { error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN', details } } };
}

export function denied(permission: string, resource: string): Reply {
  return googleError(403, `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`, [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'IAM_PERMISSION_DENIED',
      domain: 'iam.googleapis.com',
      metadata: { permission, resource },
    },
  ]);
}

let freshTokens = 0;

/** Opaque page tokens bound to the query they continue, as Google rejects a token reused on another query. */
export function listingOf(url: URL, field: string): Listing {
  const query = [...url.searchParams].filter(([k]) => k !== 'pageToken' && k !== 'pageSize').sort().join('&');
  const fingerprint = createHash('sha256').update(`${url.pathname}?${query}`).digest('hex').slice(0, 16);
  const token = url.searchParams.get('pageToken') || undefined;
  let offset: number | undefined = 0;
  if (token) {
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o: number; q: string };
      offset = parsed.q === fingerprint && Number.isInteger(parsed.o) ? parsed.o : undefined;
    } catch {
      offset = undefined;
    }
  }
  return {
    field,
    token,
    offset,
    tokenTo: (o, fresh) => Buffer.from(JSON.stringify({ o, q: fingerprint, ...(fresh ? { n: ++freshTokens } : {}) })).toString('base64url'),
  };
}

export function positionOf(method: string, url: URL, listing?: Listing): string {
  const query = [...url.searchParams].filter(([k]) => k !== 'pageToken').sort().join('&');
  return `${method} ${url.pathname}?${query}${listing ? `@${listing.offset ?? listing.token}` : ''}`;
}

export function paginate<T>(items: T[], listing: Listing, url: URL, sizes: { default: number; max: number }): Reply {
  if (listing.offset === undefined) return googleError(400, 'Invalid page token.');
  const requested = Number(url.searchParams.get('pageSize') ?? 0);
  const size = requested > 0 ? Math.min(requested, sizes.max) : sizes.default;
  const page = items.slice(listing.offset, listing.offset + size);
  const body: Record<string, unknown> = {};
  // proto3 JSON leaves empty lists out, so an empty page is `{}`.
  if (page.length > 0) body[listing.field] = page;
  if (listing.offset + size < items.length) body.nextPageToken = listing.tokenTo(listing.offset + size);
  return { status: 200, body };
}

export function projectAliases(ref: string, project: DatasetProject | undefined): string[] {
  return project ? [project.project.projectId, project.project.name.slice('projects/'.length), project.project.name] : [ref];
}

const byName = <T extends { name?: unknown }>(a: T, b: T) => String(a.name).localeCompare(String(b.name));

export function route(method: string, url: URL, body: string, view: DatasetView, stale: ReadonlySet<string>): Request {
  const p = decodeURIComponent(url.pathname);
  let m: RegExpMatchArray | null;
  const usage = usageRoute(method, url, p, view);
  if (usage) return usage;

  if (method === 'GET' && (m = p.match(/^\/v1\/projects\/([^/]+)\/serviceAccounts$/))) {
    const ref = m[1]!;
    const project = view.project(ref);
    const listing = listingOf(url, 'accounts');
    return {
      operation: 'iam.projects.serviceAccounts.list',
      resource: project?.project.projectId ?? ref,
      resourceAliases: projectAliases(ref, project),
      position: positionOf(method, url, listing),
      listing,
      records: { field: 'accounts', identifying: 'email' },
      handle: () => {
        if (!project) return denied('iam.serviceAccounts.list', `projects/${ref}`);
        const accounts = view.serviceAccounts(project).map((sa) => toWire(sa) as { email: string });
        accounts.sort((a, b) => a.email.localeCompare(b.email));
        return paginate(accounts, listing, url, { default: 20, max: 100 });
      },
    };
  }

  if (method === 'GET' && (m = p.match(/^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/]+)\/keys$/))) {
    const [ref, accountRef] = [m[1]!, m[2]!];
    const projects = ref === '-' ? view.projects : [view.project(ref)].filter((x) => x !== undefined);
    const owner = projects.find((proj) => view.serviceAccounts(proj).some((sa) => sa.email === accountRef || sa.uniqueId === accountRef));
    return {
      operation: 'iam.projects.serviceAccounts.keys.list',
      resource: owner?.project.projectId ?? ref,
      resourceAliases: projectAliases(ref, owner ?? view.project(ref)),
      position: positionOf(method, url),
      records: { field: 'keys', identifying: 'name' },
      handle: () => {
        const name = `projects/${ref}/serviceAccounts/${accountRef}`;
        if (ref !== '-' && projects.length === 0) return denied('iam.serviceAccountKeys.list', `projects/${ref}`);
        const account = owner && view.serviceAccounts(owner).find((sa) => sa.email === accountRef || sa.uniqueId === accountRef);
        // With the `-` wildcard Google answers a missing account with 403, not 404.
        if (!account) return ref === '-' ? denied('iam.serviceAccountKeys.list', name) : googleError(404, `Service account ${name} does not exist.`);
        const types = url.searchParams.getAll('keyTypes');
        const keys = view
          .keys(account)
          .filter((k) => types.length === 0 || types.includes(k.keyType))
          .map(toWire);
        return { status: 200, body: keys.length > 0 ? { keys } : {} };
      },
    };
  }

  if (method === 'POST' && (m = p.match(/^\/v3\/projects\/([^/:]+):getIamPolicy$/))) {
    const ref = m[1]!;
    const project = view.project(ref);
    return {
      operation: 'cloudresourcemanager.projects.getIamPolicy',
      resource: project?.project.projectId ?? ref,
      resourceAliases: projectAliases(ref, project),
      position: positionOf(method, url),
      records: { field: 'bindings', identifying: 'role' },
      handle: () => {
        if (!project) return denied('resourcemanager.projects.getIamPolicy', `projects/${ref}`);
        return policyReply(view.policyBindings(project), project.iamPolicy.etag, body);
      },
    };
  }

  if (method === 'POST' && (m = p.match(/^\/v3\/((folders|organizations)\/[^/:]+):getIamPolicy$/))) {
    const [resource, kind] = [m[1]!, m[2]!];
    return {
      operation: kind === 'folders' ? 'cloudresourcemanager.folders.getIamPolicy' : 'cloudresourcemanager.organizations.getIamPolicy',
      resource,
      resourceAliases: [resource],
      position: positionOf(method, url),
      records: { field: 'bindings', identifying: 'role' },
      handle: () => {
        if (!view.knows(resource)) return denied(`resourcemanager.${kind}.getIamPolicy`, resource);
        const policy = view.ancestorPolicy(resource);
        return policyReply(policy.bindings, policy.etag, body);
      },
    };
  }

  if (method === 'POST' && (m = p.match(/^\/v1\/projects\/([^/:]+):getAncestry$/))) {
    const ref = m[1]!;
    const project = view.project(ref);
    return {
      operation: 'cloudresourcemanager.projects.getAncestry',
      resource: project?.project.projectId ?? ref,
      resourceAliases: projectAliases(ref, project),
      position: positionOf(method, url),
      records: { field: 'ancestor', identifying: 'resourceId' },
      handle: () => {
        if (!project) return denied('resourcemanager.projects.get', `projects/${ref}`);
        const chain = view.ancestors(project.project.parent).map((name) => {
          const [kind, id] = name.split('/');
          return { resourceId: { type: kind === 'folders' ? 'folder' : 'organization', id } };
        });
        return { status: 200, body: { ancestor: [{ resourceId: { type: 'project', id: project.project.projectId } }, ...chain] } };
      },
    };
  }

  if (method === 'GET' && (m = p.match(/^\/v1\/((projects|organizations)\/([^/]+))\/roles\/([^/]+)$/))) {
    const [owner, kind, ref] = [m[1]!, m[2]!, m[3]!];
    const name = `${owner}/roles/${m[4]!}`;
    const project = kind === 'projects' ? view.project(ref) : undefined;
    return {
      operation: kind === 'projects' ? 'iam.projects.roles.get' : 'iam.organizations.roles.get',
      resource: name,
      resourceAliases: [name, owner, ...(kind === 'projects' ? projectAliases(ref, project) : [])],
      position: positionOf(method, url),
      records: { identifying: 'name' },
      handle: () => {
        const known = kind === 'projects' ? project !== undefined : owner === view.dataset.organization;
        if (!known) return denied('iam.roles.get', owner);
        const role = view.dataset.roles.find((r) => r.name === name);
        return role ? { status: 200, body: toWire(role) } : googleError(404, `The role named ${name} was not found.`);
      },
    };
  }

  if (method === 'GET' && (p === '/v3/projects' || p === '/v3/folders')) {
    const parent = url.searchParams.get('parent') ?? '';
    const folders = p === '/v3/folders';
    const listing = listingOf(url, folders ? 'folders' : 'projects');
    return {
      operation: folders ? 'cloudresourcemanager.folders.list' : 'cloudresourcemanager.projects.list',
      resource: parent,
      resourceAliases: [parent],
      position: positionOf(method, url, listing),
      listing,
      records: { field: listing.field, identifying: folders ? 'name' : 'projectId' },
      handle: () => {
        if (!parent) return googleError(400, 'Request contains an invalid argument: parent is required.');
        const known = parent === view.dataset.organization || view.folders.some((f) => f.name === parent);
        if (!known) return denied(folders ? 'resourcemanager.folders.list' : 'resourcemanager.projects.list', parent);
        const children = folders
          ? view.folders.filter((f) => f.parent === parent).map(toWire)
          : view.projects.filter((proj) => proj.project.parent === parent).map((proj) => toWire(proj.project));
        return paginate((children as Array<{ name: string }>).sort(byName), listing, url, { default: 50, max: 1000 });
      },
    };
  }

  if (method === 'GET' && (m = p.match(/^\/v1\/projects\/([^/]+)\/locations\/global\/activityTypes\/([^/]+)\/activities:query$/))) {
    const [ref, type] = [m[1]!, m[2]!];
    const project = view.project(ref);
    const listing = listingOf(url, 'activities');
    return {
      operation: 'policyanalyzer.activities.query',
      resource: project?.project.projectId ?? ref,
      resourceAliases: projectAliases(ref, project),
      position: positionOf(method, url, listing),
      listing,
      records: { field: 'activities', identifying: 'fullResourceName' },
      handle: () => activities(view, project, ref, type, url, listing),
    };
  }

  if (method === 'GET' && (m = p.match(/^\/v1\/((?:organizations|folders|projects)\/[^/:]+):searchAllResources$/))) {
    const scope = m[1]!;
    const listing = listingOf(url, 'results');
    return {
      operation: 'cloudasset.searchAllResources',
      resource: scope,
      resourceAliases: [scope],
      position: positionOf(method, url, listing),
      listing,
      records: { field: 'results', identifying: 'name' },
      handle: () => searchAllResources(view, scope, url, listing, stale),
    };
  }

  return { operation: 'unknown', resourceAliases: [], position: positionOf(method, url), handle: () => googleError(404, `Method not found: ${method} ${p}`) };
}

/** An allow policy as getIamPolicy answers, for the policy version the request asked for. */
function policyReply(bindings: DatasetBinding[], etag: string, body: string): Reply {
  let requested = 1;
  try {
    requested = Number((JSON.parse(body || '{}') as { options?: { requestedPolicyVersion?: number } }).options?.requestedPolicyVersion ?? 1);
  } catch {
    return googleError(400, 'Invalid JSON payload received.');
  }
  const wire = bindings.map((b) => toWire(b) as { role: string; condition?: unknown });
  const conditional = wire.some((b) => b.condition);
  // A version-1 reader of a conditional policy gets the conditions folded into role names, as Google does.
  const shown =
    requested >= 3
      ? wire
      : wire.map(({ condition, ...rest }) =>
          condition ? { ...rest, role: `${rest.role}_withcond_${createHash('sha1').update(JSON.stringify(condition)).digest('hex').slice(0, 20)}` } : rest,
        );
  return { status: 200, body: { version: conditional && requested >= 3 ? 3 : 1, etag, ...(shown.length > 0 ? { bindings: shown } : {}) } };
}

const ACTIVITY_TYPES = new Set(['serviceAccountLastAuthentication', 'serviceAccountKeyLastAuthentication']);

function activities(view: DatasetView, project: DatasetProject | undefined, ref: string, type: string, url: URL, listing: Listing): Reply {
  if (!ACTIVITY_TYPES.has(type)) return googleError(400, `Unsupported activity type: ${type}.`);
  if (!project) return denied(`policyanalyzer.${type}Activities.query`, `projects/${ref}`);
  if (!project['x-policyAnalyzer'].enabled) {
    return googleError(403, 'Policy Analyzer API has not been used in this project before or it is disabled.', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', domain: 'googleapis.com', metadata: { service: 'policyanalyzer.googleapis.com' } },
    ]);
  }
  const filter = url.searchParams.get('filter');
  let wanted: string | undefined;
  if (filter) {
    const parsed = filter.match(/^\s*activities\.(?:full_resource_name|fullResourceName)\s*=\s*"([^"]+)"\s*$/);
    if (!parsed) return googleError(400, `Invalid filter: ${filter}`);
    wanted = parsed[1];
  }
  const start = project['x-policyAnalyzer'].observationStart;
  const observationPeriod = { ...(start ? { startTime: start } : {}), endTime: activityAnalyzerTimestamp(view.now) };
  const projectNumber = project.project.name.slice('projects/'.length);
  const results: Array<{ fullResourceName: string }> = [];
  for (const account of view.serviceAccounts(project)) {
    const accountName = `//iam.googleapis.com/projects/${project.project.projectId}/serviceAccounts/${account.email}`;
    const subjects =
      type === 'serviceAccountLastAuthentication'
        ? [{ item: account, name: accountName, field: 'serviceAccount' }]
        : view.keys(account).map((key) => ({ item: key, name: `${accountName}/keys/${key.name.split('/').pop()}`, field: 'serviceAccountKey' }));
    for (const { item, name, field } of subjects) {
      const last = view.lastAuthentication(item);
      if (!last || (start && last.getTime() < Date.parse(start))) continue;
      results.push({
        fullResourceName: name,
        activityType: type,
        observationPeriod,
        activity: {
          lastAuthenticatedTime: activityAnalyzerTimestamp(last),
          [field]: { serviceAccountId: account.uniqueId, projectNumber, fullResourceName: name },
        },
      } as { fullResourceName: string });
    }
  }
  const selected = results.filter((r) => wanted === undefined || r.fullResourceName === wanted);
  selected.sort((a, b) => a.fullResourceName.localeCompare(b.fullResourceName));
  return paginate(selected, listing, url, { default: 10, max: 1000 });
}

const SERVICE_ACCOUNT = 'iam.googleapis.com/ServiceAccount';
const SERVICE_ACCOUNT_KEY = 'iam.googleapis.com/ServiceAccountKey';
const PROJECT = 'cloudresourcemanager.googleapis.com/Project';

function searchAllResources(view: DatasetView, scope: string, url: URL, listing: Listing, stale: ReadonlySet<string>): Reply {
  const inScope = view.projects.filter((proj) => {
    if (scope === view.dataset.organization) return true;
    if (scope.startsWith('projects/')) return projectAliases('', proj).includes(scope.slice('projects/'.length));
    return view.ancestors(proj.project.parent).includes(scope);
  });
  const known = scope === view.dataset.organization || view.folders.some((f) => f.name === scope) || inScope.length > 0;
  if (!known) return denied('cloudasset.assets.searchAllResources', scope);
  const types = url.searchParams.getAll('assetTypes').flatMap((t) => t.split(','));
  const want = (type: string) => types.length === 0 || types.includes(type);
  const results: Array<{ name: string }> = [];
  for (const proj of inScope) {
    const ancestry = view.ancestors(proj.project.parent);
    const common = {
      project: proj.project.name,
      folders: ancestry.filter((a) => a.startsWith('folders/')),
      organization: view.dataset.organization,
      location: 'global',
    };
    if (want(PROJECT)) {
      results.push({
        name: `//cloudresourcemanager.googleapis.com/${proj.project.name}`,
        assetType: PROJECT,
        ...common,
        displayName: String(proj.project.displayName ?? proj.project.projectId),
        state: String(proj.project.state ?? 'ACTIVE'),
        createTime: proj.project.createTime,
        additionalAttributes: { projectId: proj.project.projectId },
        parentFullResourceName: `//cloudresourcemanager.googleapis.com/${proj.project.parent}`,
        parentAssetType: proj.project.parent.startsWith('folders/') ? 'cloudresourcemanager.googleapis.com/Folder' : 'cloudresourcemanager.googleapis.com/Organization',
      } as { name: string });
    }
    for (const account of view.serviceAccounts(proj)) {
      if (stale.has(account.email)) continue;
      const name = `//iam.googleapis.com/projects/${proj.project.projectId}/serviceAccounts/${account.uniqueId}`;
      if (want(SERVICE_ACCOUNT)) {
        results.push({
          name,
          assetType: SERVICE_ACCOUNT,
          ...common,
          displayName: String(account.displayName ?? ''),
          ...(account.description ? { description: String(account.description) } : {}),
          ...(account['x-createTime'] ? { createTime: account['x-createTime'] } : {}),
          additionalAttributes: { email: account.email, ...(account.oauth2ClientId ? { oauth2ClientId: account.oauth2ClientId } : {}) },
          parentFullResourceName: `//cloudresourcemanager.googleapis.com/projects/${proj.project.projectId}`,
          parentAssetType: 'cloudresourcemanager.googleapis.com/Project',
        } as { name: string });
      }
      if (!want(SERVICE_ACCOUNT_KEY)) continue;
      for (const key of view.keys(account)) {
        const keyId = key.name.split('/').pop()!;
        if (stale.has(keyId)) continue;
        results.push({
          name: `${name}/keys/${keyId}`,
          assetType: SERVICE_ACCOUNT_KEY,
          ...common,
          displayName: keyId,
          createTime: key.validAfterTime,
          parentFullResourceName: name,
          parentAssetType: SERVICE_ACCOUNT,
        } as { name: string });
      }
    }
  }
  return paginate(results.sort(byName), listing, url, { default: 10, max: 500 });
}
