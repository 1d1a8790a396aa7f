import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DemoSandbox } from '../../src/sdk/index.js';
import { OPERATIONS } from './operations.js';
import { asOf, loadDataset, type Dataset } from './sandbox-dataset.js';
import { repositoryInventory } from './sandbox-graphql.js';
import * as render from './sandbox-wire.js';

/*
 * A local GitHub: REST and GraphQL over node:http from a dataset, with GitHub's pagination (Link headers
 * carrying the sandbox's own origin), rate-limit headers and limits, App authentication (JWT and
 * installation tokens), GitHub Enterprise Server's /api/v3 prefix, and injected faults.
 */

export type FaultType = 'secondary-rate-limit' | 'too-many-requests' | 'primary-rate-limit' | 'forbidden' | 'not-found' | 'server-error';

export interface Fault {
  /** An operationId from GitHub's OpenAPI description, or `graphql`. */
  operation: string;
  type: FaultType;
  /** How many requests fail; unset = every one. */
  times?: number;
  /** Seconds, sent as `retry-after` on rate-limit faults. */
  retryAfter?: number;
  /** Only requests for this repository. */
  repo?: string;
}

export interface SandboxAppOptions {
  appId: number;
  installationId: number;
  publicKey: KeyObject | string;
  /** What the installation may read; defaults to the dataset installation with the same id, else read on everything. */
  permissions?: Record<string, string>;
}

export interface SandboxOptions {
  dataset: Dataset;
  /** The date the organization is shown at. */
  now: Date;
  /** Personal access tokens and the user each belongs to. */
  tokens?: { token: string; login: string }[];
  app?: SandboxAppOptions;
  /** `/api/v3` to answer as GitHub Enterprise Server does (GraphQL then lives at /api/graphql). */
  pathPrefix?: string;
  latencyMs?: number;
  /** Primary rate limit per resource (core, graphql); the window runs on the wall clock. */
  rateLimit?: { limit: number; windowSeconds: number };
  faults?: Fault[];
}

export interface SandboxCall {
  method: string;
  /** Path and query as requested. */
  path: string;
  operation: string | undefined;
  status: number;
  body: unknown;
}

export interface GitHubSandbox {
  origin: string;
  /** What a client passes as baseUrl. */
  baseUrl: string;
  calls: SandboxCall[];
  /** Installation tokens handed out, so tests can check none of them leaks. */
  issuedTokens: string[];
  close(): Promise<void>;
}

type Caller = { kind: 'token'; login: string } | { kind: 'installation' } | { kind: 'app' };
type Params = Record<string, string>;

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const DOCS = 'https://docs.github.com/rest';
const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.';

interface Route {
  id: string;
  method: string;
  pattern: RegExp;
  names: string[];
}

const ROUTES: Route[] = Object.values(OPERATIONS).map((operation) => {
  const [method, template] = operation.route.split(' ') as [string, string];
  const names: string[] = [];
  const source = template.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { id: operation.id, method, pattern: new RegExp(`^${source}$`), names };
});
const PERMISSIONS = new Map<string, string | undefined>(Object.values(OPERATIONS).map((operation) => [operation.id, 'permission' in operation ? operation.permission : undefined]));

export async function startSandbox(options: SandboxOptions): Promise<GitHubSandbox> {
  const calls: SandboxCall[] = [];
  const issuedTokens: string[] = [];
  const installationTokens = new Map<string, number>();
  const faults = (options.faults ?? []).map((fault) => ({ ...fault, left: fault.times ?? Number.POSITIVE_INFINITY }));
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const graphqlPath = prefix ? prefix.replace(/\/v3$/, '/graphql') : '/graphql';
  const appKey = options.app ? publicKeyOf(options.app.publicKey) : undefined;
  const appPermissions =
    options.app?.permissions ??
    (options.dataset.installations.find((installation) => installation.id === options.app?.installationId)?.permissions as Record<string, string> | undefined);
  const limits = new Map<string, { used: number; reset: number }>();
  let origin = '';

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify({ message: `sandbox error: ${(error as Error).message}` }));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', origin);
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    let operation: string | undefined;
    let reply: Reply;
    const resource = url.pathname === graphqlPath ? 'graphql' : 'core';
    try {
      const matched = match(method, url.pathname);
      operation = matched?.id;
      const caller = authenticate(request.headers.authorization, operation);
      spendRateLimit(resource);
      if (matched) injectFault(matched.id, matched.params.repo);
      if (operation === OPERATIONS.createInstallationAccessToken.id) {
        reply = issueInstallationToken(matched!.params, caller);
      } else if (url.pathname === graphqlPath && method === 'POST') {
        operation = 'graphql';
        injectFault('graphql', undefined);
        if (caller.kind === 'app') throw new HttpError(403, 'A JSON web token cannot be used to query GraphQL');
        reply = { status: 200, body: graphql(body) };
      } else if (matched) {
        authorize(matched.id, caller);
        reply = respond(matched.id, matched.params, url, caller);
      } else {
        throw new HttpError(404, 'Not Found');
      }
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      reply = {
        status: error.status,
        headers: error.headers,
        body: { message: error.message, documentation_url: DOCS, status: String(error.status) },
      };
    }
    calls.push({ method, path: url.pathname + url.search, operation, status: reply.status, body: reply.body });
    response.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      ...rateLimitHeaders(resource),
      ...reply.headers,
    });
    response.end(JSON.stringify(reply.body));
  }

  function match(method: string, pathname: string): { id: string; params: Params } | undefined {
    if (prefix && !pathname.startsWith(`${prefix}/`)) return undefined;
    const local = pathname.slice(prefix.length);
    for (const route of ROUTES) {
      const found = route.method === method ? route.pattern.exec(local) : null;
      if (found) {
        const params = Object.fromEntries(route.names.map((name, index) => [name, decodeURIComponent(found[index + 1]!)]));
        return { id: route.id, params };
      }
    }
    return undefined;
  }

  function authenticate(header: string | undefined, operation: string | undefined): Caller {
    const [, scheme, credential] = /^(token|bearer)\s+(\S+)$/i.exec(header ?? '') ?? [];
    if (!credential) throw new HttpError(401, 'Requires authentication');
    const wantsJwt = operation === OPERATIONS.createInstallationAccessToken.id;
    if (credential.split('.').length === 3) {
      if (!appKey || !options.app || !validJwt(credential, options.app.appId, appKey)) {
        throw new HttpError(401, 'A JSON web token could not be decoded');
      }
      return { kind: 'app' };
    }
    if (wantsJwt) throw new HttpError(401, 'A JSON web token could not be decoded');
    const installationExpiry = installationTokens.get(credential);
    if (installationExpiry !== undefined && installationExpiry > Date.now()) return { kind: 'installation' };
    const user = options.tokens?.find((token) => token.token === credential);
    if (user && scheme) return { kind: 'token', login: user.login };
    throw new HttpError(401, 'Bad credentials');
  }

  function issueInstallationToken(params: Params, caller: Caller): Reply {
    if (caller.kind !== 'app') throw new HttpError(401, 'A JSON web token could not be decoded');
    if (Number(params.installation_id) !== options.app!.installationId) throw new HttpError(404, 'Not Found');
    const token = `ghs_${randomBytes(27).toString('base64url')}`;
    const expiresAt = Date.now() + 3_600_000;
    installationTokens.set(token, expiresAt);
    issuedTokens.push(token);
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: appPermissions ?? {},
        repository_selection: 'all',
      },
    };
  }

  /** Which callers GitHub lets through: the App JWT only reaches /app, PAT grants only installations. */
  function authorize(operation: string, caller: Caller): void {
    if (caller.kind === 'app') throw new HttpError(403, 'A JSON web token cannot be used for this endpoint');
    const needed = PERMISSIONS.get(operation);
    if (caller.kind === 'token') {
      if (operation === OPERATIONS.listPatGrants.id) {
        throw new HttpError(403, 'Resource not accessible by personal access token', {
          'x-accepted-github-permissions': needed ?? '',
        });
      }
      return;
    }
    if (operation === OPERATIONS.getAuthenticatedUser.id) throw new HttpError(403, 'Resource not accessible by integration');
    if (needed && appPermissions && !grants(appPermissions, needed)) {
      throw new HttpError(403, 'Resource not accessible by integration', { 'x-accepted-github-permissions': needed });
    }
  }

  function injectFault(operation: string, repo: string | undefined): void {
    const fault = faults.find((candidate) => candidate.operation === operation && candidate.left > 0 && (!candidate.repo || candidate.repo === repo));
    if (!fault) return;
    fault.left -= 1;
    const retryAfter = { 'retry-after': String(fault.retryAfter ?? 1) };
    switch (fault.type) {
      case 'secondary-rate-limit':
        throw new HttpError(403, SECONDARY_MESSAGE, retryAfter);
      case 'too-many-requests':
        throw new HttpError(429, SECONDARY_MESSAGE, retryAfter);
      case 'primary-rate-limit':
        throw new HttpError(403, 'API rate limit exceeded for installation. Check out the documentation for more details.', {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)),
        });
      case 'forbidden':
        throw new HttpError(403, 'Resource not accessible by integration', {
          'x-accepted-github-permissions': PERMISSIONS.get(operation) ?? '',
        });
      case 'not-found':
        throw new HttpError(404, 'Not Found');
      case 'server-error':
        throw new HttpError(502, 'Server Error');
    }
  }

  function spendRateLimit(resource: string): void {
    if (!options.rateLimit) return;
    const state = window(resource);
    if (state.used >= options.rateLimit.limit) {
      throw new HttpError(403, `API rate limit exceeded. Check out the documentation for more details.`, {
        'x-ratelimit-remaining': '0',
      });
    }
    state.used += 1;
  }

  function window(resource: string): { used: number; reset: number } {
    const windowSeconds = options.rateLimit?.windowSeconds ?? 3600;
    const nowSeconds = Math.floor(Date.now() / 1000);
    let state = limits.get(resource);
    if (!state || state.reset <= nowSeconds) {
      state = { used: 0, reset: nowSeconds + windowSeconds };
      limits.set(resource, state);
    }
    return state;
  }

  function rateLimitHeaders(resource: string): Record<string, string> {
    const limit = options.rateLimit?.limit ?? (resource === 'graphql' ? 5000 : 5000);
    const state = window(resource);
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - state.used)),
      'x-ratelimit-reset': String(state.reset),
      'x-ratelimit-used': String(state.used),
      'x-ratelimit-resource': resource,
    };
  }

  function respond(operation: string, params: Params, url: URL, caller: Caller): Reply {
    const dataset = options.dataset;
    const now = options.now;
    const wire: render.Wire = { api: origin + prefix, web: 'https://github.com', org: dataset.org };
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
    const list = (items: unknown[]) => paginate(operation, items, url);
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
  function paginate(operation: string, items: unknown[], url: URL): Reply {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
    const pageCount = Math.max(1, Math.ceil(items.length / perPage));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const container = Object.values(OPERATIONS).find((candidate) => candidate.id === operation);
    const key = container && 'items' in container ? container.items : null;
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

  function graphql(raw: string): unknown {
    let request: { query?: string; variables?: Record<string, unknown> };
    try {
      request = JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'Problems parsing JSON');
    }
    const name = /\bquery\s+(\w+)/.exec(request.query ?? '')?.[1];
    if (name !== 'RepositoryInventory') {
      return { errors: [{ message: `the sandbox answers only the RepositoryInventory query, not ${name ?? 'an anonymous one'}` }] };
    }
    return repositoryInventory(options.dataset, options.now, request.query!, request.variables ?? {});
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    baseUrl: origin + prefix,
    calls,
    issuedTokens,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function publicKeyOf(key: KeyObject | string): KeyObject {
  return typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
}

/** GitHub's rules for an App JWT: RS256, issued by the App, at most ten minutes long, not expired. */
function validJwt(jwt: string, appId: number, key: KeyObject): boolean {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  try {
    const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iat?: number; exp?: number; iss?: unknown };
    const nowSeconds = Date.now() / 1000;
    return (
      head.alg === 'RS256' &&
      verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')) &&
      String(claims.iss) === String(appId) &&
      typeof claims.iat === 'number' &&
      typeof claims.exp === 'number' &&
      claims.exp - claims.iat <= 600 &&
      claims.exp > nowSeconds &&
      claims.iat <= nowSeconds + 60
    );
  } catch {
    return false;
  }
}

/** A write permission includes read. */
function grants(permissions: Record<string, string>, needed: string): boolean {
  const [name, access] = needed.split('=') as [string, string];
  const held = permissions[name];
  return held === access || held === 'write' || held === 'admin';
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

/**
 * For `nhi-audit demo`: the dataset's collector App installation, authenticated with a key pair made for
 * this run (the private key reaches the connector only through the environment).
 */
export async function startDemo(datasetDir: string, options: { now: Date }): Promise<DemoSandbox> {
  const dataset = await loadDataset(datasetDir);
  const collector = dataset.installations.find((installation) => installation.id === dataset.collector_installation_id);
  if (!collector) throw new Error(`${datasetDir}: collector_installation_id names no installation`);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sandbox = await startSandbox({
    dataset,
    now: options.now,
    app: { appId: collector.app_id, installationId: collector.id, publicKey },
  });
  return {
    sourceOverrides: {
      baseUrl: sandbox.baseUrl,
      app: { appId: collector.app_id, installationId: collector.id, privateKeyEnv: DEMO_KEY_ENV },
    },
    env: { [DEMO_KEY_ENV]: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    close: () => sandbox.close(),
  };
}

const DEMO_KEY_ENV = 'NHI_DEMO_GITHUB_APP_KEY';
