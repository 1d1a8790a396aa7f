import { OPERATIONS } from '../operations.js';
import { asOf, type Dataset } from './dataset.js';
import * as render from './wire.js';

/* The sandbox's REST side: GitHub's routes, error bodies, page/per_page paging and each operation's answer. */

export type Caller = { kind: 'token'; login: string } | { kind: 'installation' } | { kind: 'app' };
export type Params = Record<string, string>;

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const DOCS = 'https://docs.github.com/rest';

interface Route {
  id: string;
  method: string;
  pattern: RegExp;
  names: string[];
  /** Where a list keeps its items (`null`: the body is the list); unset for single objects. */
  items: string | null | undefined;
  permission: string | undefined;
}

const ROUTES: Route[] = Object.values(OPERATIONS).map((operation) => {
  const [method, template] = operation.route.split(' ') as [string, string];
  const names: string[] = [];
  const source = template.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return {
    id: operation.id,
    method,
    pattern: new RegExp(`^${source}$`),
    names,
    items: 'items' in operation ? operation.items : undefined,
    permission: 'permission' in operation ? operation.permission : undefined,
  };
});
export const ROUTE_BY_ID = new Map(ROUTES.map((route) => [route.id, route]));

/** Finds the operation of a request path (without any GHES prefix) and its path parameters. */
export function matchRoute(method: string, path: string): { id: string; params: Params } | undefined {
  for (const route of ROUTES) {
    const found = route.method === method ? route.pattern.exec(path) : null;
    if (found) {
      const params = Object.fromEntries(route.names.map((name, index) => [name, decodeURIComponent(found[index + 1]!)]));
      return { id: route.id, params };
    }
  }
  return undefined;
}

export interface RestContext {
  dataset: Dataset;
  now: Date;
  origin: string;
  prefix: string;
}

/** The answer to one REST call, from the dataset as it stood at `now`. */
export function restReply(operation: string, params: Params, url: URL, caller: Caller, context: RestContext): Reply {
  const { dataset, now, origin } = context;
  const wire: render.Wire = { api: origin + context.prefix, web: 'https://github.com', org: dataset.org };
  const orgName = params.org ?? params.owner;
  if (orgName !== undefined && orgName.toLowerCase() !== dataset.org.login.toLowerCase()) throw new HttpError(404, 'Not Found');
  const repositories = asOf(dataset.repositories, now);
  const repo = () => {
    const found = repositories.find((candidate) => candidate.name === params.repo);
    if (!found) throw new HttpError(404, 'Not Found');
    return found;
  };
  const environment = () => {
    const found = asOf(repo().environments, now).find((candidate) => candidate.name === params.environment_name);
    if (!found) throw new HttpError(404, 'Not Found');
    return found;
  };
  const orgSecret = (family: 'actions' | 'dependabot' | 'codespaces') => {
    const found = asOf(dataset[`${family}_secrets`], now).find((candidate) => candidate.name === params.secret_name);
    if (!found) throw new HttpError(404, 'Not Found');
    return found;
  };
  const selectedRepos = (family: 'actions' | 'dependabot' | 'codespaces') => {
    const names = new Set(orgSecret(family).selected_repositories ?? []);
    return repositories.filter((candidate) => names.has(candidate.name)).map((candidate) => render.minimalRepository(wire, candidate));
  };
  const list = (items: unknown[]) => paginate(operation, items, url, origin);
  switch (operation) {
    case OPERATIONS.getOrg.id:
      return { status: 200, body: render.organization(wire, repositories, now.toISOString().replace(/\.\d{3}Z$/, 'Z')) };
    case OPERATIONS.getAuthenticatedUser.id: {
      const login = (caller as { login: string }).login;
      return { status: 200, body: publicUser(wire, login, dataset.org.created_at) };
    }
    case OPERATIONS.getAppBySlug.id: {
      const found = asOf(dataset.installations, now).find((installation) => installation.app_slug === params.app_slug);
      if (!found) throw new HttpError(404, 'Not Found');
      return { status: 200, body: render.integration(wire, found) };
    }
    case OPERATIONS.listAppInstallations.id:
      return list(asOf(dataset.installations, now).map((item) => render.installation(wire, item)));
    case OPERATIONS.listRepoPropertyValues.id:
      return list(repositories.map((item) => render.propertyValues(wire, item)));
    case OPERATIONS.listEnvironments.id:
      return list(asOf(repo().environments, now).map((item) => render.environment(wire, params.repo!, item)));
    case OPERATIONS.listDeployKeys.id:
      return list(asOf(repo().deploy_keys, now).map((item) => render.deployKey(wire, params.repo!, item)));
    case OPERATIONS.listPatGrants.id:
      return list(asOf(dataset.pat_grants, now).map((item) => render.patGrant(wire, item, now)));
    case OPERATIONS.listSamlAuthorizations.id:
      if (!dataset.org.saml_sso) throw new HttpError(404, 'Not Found');
      return list(asOf(dataset.credential_authorizations, now));
    case OPERATIONS.listOrgActionsSecrets.id:
      return list(asOf(dataset.actions_secrets, now).map((item) => render.orgSecret(wire, 'actions', item)));
    case OPERATIONS.listOrgDependabotSecrets.id:
      return list(asOf(dataset.dependabot_secrets, now).map((item) => render.orgSecret(wire, 'dependabot', item)));
    case OPERATIONS.listOrgCodespacesSecrets.id:
      return list(asOf(dataset.codespaces_secrets, now).map((item) => render.orgSecret(wire, 'codespaces', item)));
    case OPERATIONS.listOrgActionsSecretRepos.id:
      return list(selectedRepos('actions'));
    case OPERATIONS.listOrgDependabotSecretRepos.id:
      return list(selectedRepos('dependabot'));
    case OPERATIONS.listOrgCodespacesSecretRepos.id:
      return list(selectedRepos('codespaces'));
    case OPERATIONS.listRepoActionsSecrets.id:
      return list(asOf(repo().actions_secrets, now).map(render.secret));
    case OPERATIONS.listRepoDependabotSecrets.id:
      return list(asOf(repo().dependabot_secrets, now).map(render.secret));
    case OPERATIONS.listRepoCodespacesSecrets.id:
      return list(asOf(repo().codespaces_secrets, now).map(render.secret));
    case OPERATIONS.listEnvironmentSecrets.id:
      return list(asOf(environment().secrets, now).map(render.secret));
    case OPERATIONS.listOrgWebhooks.id:
      return list(asOf(dataset.hooks, now).map((item) => render.hook(wire, item)));
    case OPERATIONS.listRepoWebhooks.id:
      return list(asOf(repo().hooks, now).map((item) => render.hook(wire, item, params.repo)));
    case OPERATIONS.listOrgRunners.id:
      return list(asOf(dataset.runners, now).map(render.runner));
    case OPERATIONS.listOrgRunnerGroups.id:
      return list(asOf(dataset.runner_groups, now).map((item) => render.runnerGroup(wire, item)));
    case OPERATIONS.listRepoRunners.id:
      return list(asOf(repo().runners, now).map(render.runner));
    default:
      throw new HttpError(404, 'Not Found');
  }
}

/** GitHub's page/per_page paging: a list page, or `{total_count, <items>}`, with a Link header. */
function paginate(operation: string, items: unknown[], url: URL, origin: string): Reply {
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
  const pageCount = Math.max(1, Math.ceil(items.length / perPage));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const key = ROUTE_BY_ID.get(operation)?.items;
  const body = key ? { total_count: items.length, [key]: slice } : slice;
  const link = (target: number, rel: string) => {
    const next = new URL(url.pathname + url.search, origin);
    next.searchParams.set('page', String(target));
    return `<${next.href}>; rel="${rel}"`;
  };
  const links = [
    ...(page < pageCount ? [link(page + 1, 'next'), link(pageCount, 'last')] : []),
    ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : []),
  ];
  return { status: 200, body, ...(links.length ? { headers: { link: links.join(', ') } } : {}) };
}

function publicUser(wire: render.Wire, login: string, createdAt: string): Record<string, unknown> {
  return {
    ...render.simpleUser(wire, login),
    name: null,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: createdAt,
    updated_at: createdAt,
  };
}
