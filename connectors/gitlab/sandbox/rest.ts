import { createHash } from 'node:crypto';
import { OPERATIONS, type Operation } from '../operations.js';
import { asOf, type Dataset, type DatasetGroup, type DatasetProject, type DatasetServiceAccount } from './dataset.js';

/*
 * The sandbox's answers: GitLab REST v4's routes, its error bodies, offset paging (`page`, `per_page`, `Link`,
 * `X-Next-Page`, `X-Total`) and each operation's objects rendered as GitLab's API documentation shows them.
 */

type Item = Record<string, unknown>;

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Route {
  operation: Operation;
  pattern: RegExp;
  names: string[];
}

const ROUTES: Route[] = Object.values(OPERATIONS).map((operation) => {
  const names: string[] = [];
  const source = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { operation, pattern: new RegExp(`^/api/v4/${source}$`), names };
});

/** The operation a GET request path names, with its path parameters decoded. */
export function matchRoute(pathname: string): { operation: Operation; params: Record<string, string> } | undefined {
  // The group tree and its parts share a prefix: the longest pattern that matches wins.
  for (const route of [...ROUTES].sort((a, b) => b.operation.path.length - a.operation.path.length)) {
    const found = route.pattern.exec(pathname);
    if (found) return { operation: route.operation, params: Object.fromEntries(route.names.map((name, index) => [name, decodeURIComponent(found[index + 1]!)])) };
  }
  return undefined;
}

export interface RestContext {
  dataset: Dataset;
  now: Date;
  origin: string;
  web: string;
}

const iso = (value: string) => new Date(Date.parse(value)).toISOString();

function userRef(context: RestContext, username: string, id: number): Item {
  return { id, username, name: username, state: 'active', locked: false, avatar_url: null, web_url: `${context.web}/${username}` };
}

function group(context: RestContext, item: DatasetGroup): Item {
  const parent = item.full_path.includes('/') ? context.dataset.groups.find((g) => g.full_path === item.full_path.replace(/\/[^/]+$/, '')) : undefined;
  return {
    id: item.id,
    web_url: `${context.web}/groups/${item.full_path}`,
    name: item.name,
    path: item.full_path.split('/').at(-1),
    description: item.description,
    visibility: 'private',
    share_with_group_lock: false,
    require_two_factor_authentication: true,
    two_factor_grace_period: 48,
    project_creation_level: 'maintainer',
    subgroup_creation_level: 'owner',
    lfs_enabled: true,
    default_branch: null,
    request_access_enabled: false,
    full_name: item.full_path.split('/').join(' / '),
    full_path: item.full_path,
    created_at: iso(item.created_at),
    parent_id: parent?.id ?? null,
  };
}

function project(context: RestContext, item: DatasetProject): Item {
  const namespacePath = item.path_with_namespace.replace(/\/[^/]+$/, '');
  const namespace = context.dataset.groups.find((g) => g.full_path === namespacePath);
  return {
    id: item.id,
    description: item.description,
    name: item.name,
    name_with_namespace: item.path_with_namespace.split('/').join(' / '),
    path: item.path_with_namespace.split('/').at(-1),
    path_with_namespace: item.path_with_namespace,
    created_at: iso(item.created_at),
    default_branch: 'main',
    web_url: `${context.web}/${item.path_with_namespace}`,
    archived: item.archived,
    visibility: 'private',
    namespace: namespace ? { id: namespace.id, name: namespace.name, path: namespacePath.split('/').at(-1), kind: 'group', full_path: namespacePath } : null,
  };
}

function accessToken(item: Item): Item {
  const { 'x-created': _c, 'x-deleted': _d, ...fields } = item;
  return { ...fields, created_at: iso(item.created_at as string), last_used_ips: [] };
}

/** Active: neither revoked nor past its expiry date. */
function withState(item: Item, now: Date): Item {
  const expires = item.expires_at as string | null;
  return { ...item, active: !item.revoked && (expires === null || Date.parse(expires) > now.getTime()) };
}

function deployToken(item: Item, now: Date): Item {
  const expires = item.expires_at as string | null;
  return {
    id: item.id,
    name: item.name,
    username: item.username,
    expires_at: expires === null ? null : iso(expires),
    scopes: item.scopes,
    revoked: item.revoked,
    expired: expires !== null && Date.parse(expires) <= now.getTime(),
  };
}

function variable(item: Item, level: 'instance' | 'group' | 'project'): Item {
  const { 'x-created': _c, 'x-deleted': _d, environment_scope, ...fields } = item;
  return level === 'instance' ? fields : { ...fields, environment_scope };
}

export function serviceAccount(item: DatasetServiceAccount): Item {
  return { id: item.id, username: item.username, name: item.name, email: `${item.username}@noreply.gitlab.example` };
}

/** The answer to one request, from the dataset as it stood at `now`. */
export function restReply(operation: Operation, params: Record<string, string>, url: URL, context: RestContext): Reply {
  const { dataset, now } = context;
  const groups = asOf(dataset.groups, now);
  const projects = asOf(dataset.projects, now);
  const findGroup = () => {
    const found = groups.find((g) => String(g.id) === params.group || g.full_path === params.group);
    if (!found) throw new HttpError(404, '404 Group Not Found');
    return found;
  };
  const findProject = () => {
    const found = projects.find((p) => String(p.id) === params.project || p.path_with_namespace === params.project);
    if (!found) throw new HttpError(404, '404 Project Not Found');
    return found;
  };
  const below = (path: string) => (candidate: string) => candidate.startsWith(`${path}/`);
  const list = (items: unknown[]) => paginate(items, url);
  switch (operation.id) {
    case OPERATIONS.currentUser.id: {
      const { collector } = dataset;
      return {
        status: 200,
        body: { ...userRef(context, collector.username, collector.id), name: collector.name, created_at: iso(collector.created_at), bot: false, ...(collector.is_admin ? { is_admin: true } : {}) },
      };
    }
    case OPERATIONS.showGroup.id:
      return { status: 200, body: group(context, findGroup()) };
    case OPERATIONS.descendantGroups.id: {
      const top = findGroup();
      return list(groups.filter((g) => below(top.full_path)(g.full_path)).map((g) => group(context, g)));
    }
    case OPERATIONS.groupProjects.id: {
      const top = findGroup();
      return list(projects.filter((p) => below(top.full_path)(p.path_with_namespace)).map((p) => project(context, p)));
    }
    case OPERATIONS.groupAccessTokens.id:
      return list(asOf(findGroup().access_tokens, now).map((t) => withState(accessToken(t), now)));
    case OPERATIONS.projectAccessTokens.id:
      return list(asOf(findProject().access_tokens, now).map((t) => withState(accessToken(t), now)));
    case OPERATIONS.groupDeployTokens.id:
      return list(asOf(findGroup().deploy_tokens, now).map((t) => deployToken(t, now)));
    case OPERATIONS.projectDeployTokens.id:
      return list(asOf(findProject().deploy_tokens, now).map((t) => deployToken(t, now)));
    case OPERATIONS.projectDeployKeys.id:
      return list(
        asOf(findProject().deploy_keys, now).map(({ 'x-created': _c, 'x-deleted': _d, ...key }) => ({ ...key, created_at: iso(key.created_at), fingerprint_sha256: fingerprint(key.key) })),
      );
    case OPERATIONS.groupVariables.id:
      return list(asOf(findGroup().variables, now).map((v) => variable(v, 'group')));
    case OPERATIONS.projectVariables.id:
      return list(asOf(findProject().variables, now).map((v) => variable(v, 'project')));
    case OPERATIONS.instanceVariables.id:
      return list(asOf(dataset.instance.variables, now).map((v) => variable(v, 'instance')));
    case OPERATIONS.projectTriggers.id:
      return list(
        asOf(findProject().triggers, now).map(({ 'x-created': _c, 'x-deleted': _d, owner, ...trigger }) => ({
          ...trigger,
          created_at: iso(trigger.created_at),
          updated_at: iso(trigger.updated_at),
          owner: userRef(context, owner, userId(owner)),
        })),
      );
    case OPERATIONS.groupRunners.id: {
      const target = findGroup();
      // A group lists its own runners and those of the groups above it.
      const registered = (runner: { registered_to: string[] }) => runner.registered_to.some((path) => path === target.full_path || below(path)(target.full_path));
      return list(asOf(dataset.runners, now).filter((r) => r.runner_type === 'group_type' && registered(r)).map((r) => runner(r)));
    }
    case OPERATIONS.projectRunners.id: {
      const target = findProject();
      return list(asOf(dataset.runners, now).filter((r) => r.runner_type === 'project_type' && r.registered_to.includes(target.path_with_namespace)).map((r) => runner(r)));
    }
    case OPERATIONS.groupServiceAccounts.id: {
      const target = findGroup();
      if (target.full_path.includes('/')) throw new HttpError(400, '400 Bad request - Service accounts are only supported for top-level groups');
      return list(asOf(target.service_accounts, now).map(serviceAccount));
    }
    case OPERATIONS.groupServiceAccountTokens.id: {
      const account = asOf(findGroup().service_accounts, now).find((a) => String(a.id) === params.user);
      if (!account) throw new HttpError(404, '404 User Not Found');
      return list(asOf(account.tokens, now).map((t) => withState(accessToken(t), now)));
    }
    case OPERATIONS.instanceServiceAccounts.id:
      return list(asOf(dataset.instance.service_accounts, now).map(serviceAccount));
    case OPERATIONS.personalAccessTokens.id: {
      const userId = url.searchParams.get('user_id');
      const accounts = asOf([...dataset.instance.service_accounts, ...groups.flatMap((g) => g.service_accounts)], now);
      const tokens = accounts.filter((a) => userId === null || String(a.id) === userId).flatMap((a) => asOf(a.tokens, now));
      return list(tokens.map((t) => withState(accessToken(t), now)));
    }
    default:
      throw new HttpError(404, '404 Not Found');
  }
}

function runner(item: Item): Item {
  return {
    id: item.id,
    description: item.description,
    ip_address: null,
    active: !item.paused,
    paused: item.paused,
    is_shared: false,
    runner_type: item.runner_type,
    name: 'gitlab-runner',
    online: item.status === 'online',
    status: item.status,
  };
}

/** A stable numeric id for a username the dataset names without one. */
function userId(username: string): number {
  let hash = 0;
  for (const char of username) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return 100_000 + (hash % 900_000);
}

/** SHA256 fingerprint as GitLab shows it: the digest of the key's blob. */
function fingerprint(key: string): string {
  const blob = key.trim().split(/\s+/)[1] ?? '';
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/**
 * GitLab's offset paging: `page` (from 1) and `per_page` (20 by default, at most 100), with the `Link` header
 * (next, prev, first, last), `X-Page`, `X-Per-Page`, `X-Next-Page`, `X-Prev-Page`, `X-Total` and `X-Total-Pages`.
 */
export function paginate(items: unknown[], url: URL): Reply {
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 20) || 20));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const at = (n: number) => {
    const link = new URL(url.href);
    link.searchParams.set('page', String(n));
    link.searchParams.set('per_page', String(perPage));
    return link.href;
  };
  const links = [
    ...(page < totalPages ? [`<${at(page + 1)}>; rel="next"`] : []),
    ...(page > 1 ? [`<${at(page - 1)}>; rel="prev"`] : []),
    `<${at(1)}>; rel="first"`,
    `<${at(totalPages)}>; rel="last"`,
  ];
  return {
    status: 200,
    body: items.slice((page - 1) * perPage, page * perPage),
    headers: {
      link: links.join(', '),
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-next-page': page < totalPages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      'x-total': String(items.length),
      'x-total-pages': String(totalPages),
    },
  };
}
