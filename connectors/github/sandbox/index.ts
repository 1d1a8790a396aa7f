import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultPlan, type DemoSandbox } from '../../../src/sdk/index.js';
import { OPERATIONS } from '../operations.js';
import { loadDataset, type Dataset } from './dataset.js';
import { grants, publicKeyOf, validJwt } from './auth.js';
import { repositoryInventory } from './graphql.js';
import { DOCS, HttpError, matchRoute, restReply, ROUTE_BY_ID, type Caller, type Params, type Reply } from './rest.js';

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
  /** How many requests pass before the fault starts (a list that fails on a later page). */
  after?: number;
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

const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.';

export async function startSandbox(options: SandboxOptions): Promise<GitHubSandbox> {
  const calls: SandboxCall[] = [];
  const issuedTokens: string[] = [];
  const installationTokens = new Map<string, number>();
  const faults = (options.faults ?? []).map((fault) => ({ ...fault, passing: fault.after ?? 0, left: fault.times ?? Number.POSITIVE_INFINITY }));
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
        reply = restReply(matched.id, matched.params, url, caller, { dataset: options.dataset, now: options.now, origin, prefix });
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
    return matchRoute(method, pathname.slice(prefix.length));
  }

  function authenticate(header: string | undefined, operation: string | undefined): Caller {
    const [, credential] = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '') ?? [];
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
    if (user) return { kind: 'token', login: user.login };
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
    const needed = ROUTE_BY_ID.get(operation)?.permission;
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
    if (fault.passing > 0) {
      fault.passing -= 1;
      return;
    }
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
          'x-accepted-github-permissions': ROUTE_BY_ID.get(operation)?.permission ?? '',
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
    const limit = options.rateLimit?.limit ?? 5000;
    const state = window(resource);
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - state.used)),
      'x-ratelimit-reset': String(state.reset),
      'x-ratelimit-used': String(state.used),
      'x-ratelimit-resource': resource,
    };
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
    faults: new FaultPlan('github'),
    close: () => sandbox.close(),
  };
}

const DEMO_KEY_ENV = 'NHI_DEMO_GITHUB_APP_KEY';
