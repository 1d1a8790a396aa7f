import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyFault, FaultPlan, type DemoSandbox, type FaultOutcome, type FaultSpec, type WireResponse } from '../../../src/sdk/index.js';
import { GRAPHQL_OPERATIONS, OPERATIONS, type GraphqlOperation } from '../operations.js';
import { loadDataset, type Dataset } from './dataset.js';
import { grants, publicKeyOf, validJwt } from './auth.js';
import { graphqlDialect, restDialect, restPosition, SECONDARY_MESSAGE } from './faults.js';
import { cursorPosition, repositoryInventory } from './graphql.js';
import { DOCS, HttpError, matchRoute, restReply, ROUTE_BY_ID, type Caller, type Params, type Reply } from './rest.js';
import * as render from './wire.js';

/** The routes GitHub answers only to the App's own JWT. */
const APP_OPERATIONS = new Set([OPERATIONS.createInstallationAccessToken.id, OPERATIONS.getAuthenticatedApp.id, OPERATIONS.getInstallation.id]);

/*
 * A local GitHub: REST and GraphQL over node:http from a dataset, with GitHub's pagination (Link headers
 * carrying the sandbox's own origin), rate-limit headers and limits, App authentication (JWT and
 * installation tokens), GitHub Enterprise Server's /api/v3 prefix, the shared injected faults
 * (`connector:operation:kind[:times]`, operations named as the connector names them) and GitHub's own refusals.
 */

/** GitHub's answers beyond the shared faults: rate limits as 403s, and the refusals of a missing permission or a hidden resource. */
export type RefusalType = 'secondary-rate-limit' | 'primary-rate-limit' | 'forbidden' | 'not-found';

export interface Refusal {
  /** The operation as the connector names it: an operationId of GitHub's OpenAPI description, or `graphql/<query>`. */
  operation: string;
  type: RefusalType;
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
  /** Faults of the shared vocabulary, each counted per distinct request; the plan can be replaced while the sandbox runs. */
  faults?: FaultPlan | readonly FaultSpec[];
  refusals?: Refusal[];
}

export interface SandboxCall {
  method: string;
  /** Path and query as requested. */
  path: string;
  operation: string | undefined;
  /** 0 for a connection reset or left hanging. */
  status: number;
  /** The JSON sent, or its text when it is not JSON (an injected fault). */
  body: unknown;
}

export interface GitHubSandbox {
  origin: string;
  /** What a client passes as baseUrl. */
  baseUrl: string;
  calls: SandboxCall[];
  /** Installation tokens handed out, so tests can check none of them leaks. */
  issuedTokens: string[];
  /** The faults in force. */
  faults: FaultPlan;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<GitHubSandbox> {
  const calls: SandboxCall[] = [];
  const issuedTokens: string[] = [];
  const installationTokens = new Map<string, number>();
  const faults = options.faults instanceof FaultPlan ? options.faults : new FaultPlan('github', options.faults ?? []);
  const refusals = (options.refusals ?? []).map((refusal) => ({ ...refusal, passing: refusal.after ?? 0, left: refusal.times ?? Number.POSITIVE_INFINITY }));
  let nonce = 0;
  const nextNonce = () => (nonce += 1);
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
    const resource = url.pathname === graphqlPath ? 'graphql' : 'core';
    const query = resource === 'graphql' && method === 'POST' ? parseGraphql(body) : undefined;
    const matched = resource === 'core' ? match(method, url.pathname) : undefined;
    const operation = query ? query.operation?.id : matched?.id;
    const answer = (): WireResponse => wire(reply(request, url, matched, query));

    const fault = operation === undefined ? undefined : faults.take(operation, query ? graphqlPosition(query) : restPosition(method, url));
    const dialect = () =>
      query?.operation
        ? graphqlDialect({ operation: query.operation, after: query.after, position: query.position, nonce: nextNonce })
        : restDialect({ operation: operation!, items: ROUTE_BY_ID.get(operation!)?.items, url, nonce: nextNonce });
    const outcome: FaultOutcome = fault ? applyFault(fault, dialect(), answer) : { action: 'respond', response: answer() };

    const call = { method, path: url.pathname + url.search, operation };
    if (outcome.action !== 'respond') {
      calls.push({ ...call, status: 0, body: undefined });
      // A hung request is never answered; closing the sandbox ends its connection.
      if (outcome.action === 'reset') request.socket.resetAndDestroy();
      return;
    }
    const sent = outcome.response;
    calls.push({ ...call, status: sent.status, body: parsedOrText(sent.body) });
    response.writeHead(sent.status, {
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      ...rateLimitHeaders(resource),
      ...sent.headers,
      'content-length': String(Buffer.byteLength(sent.body)),
    });
    response.end(sent.body);
  }

  /** The sandbox's own answer to a request, faults aside. */
  function reply(request: IncomingMessage, url: URL, matched: { id: string; params: Params } | undefined, query: GraphqlQuery | undefined): Reply {
    try {
      const caller = authenticate(request.headers.authorization, matched?.id);
      spendRateLimit(url.pathname === graphqlPath ? 'graphql' : 'core');
      if (query) {
        if (!query.request) throw new HttpError(400, 'Problems parsing JSON');
        if (query.operation) refuse(query.operation.id, undefined);
        if (caller.kind === 'app') throw new HttpError(403, 'A JSON web token cannot be used to query GraphQL');
        return { status: 200, body: graphql(query) };
      }
      if (!matched) throw new HttpError(404, 'Not Found');
      refuse(matched.id, matched.params.repo);
      if (matched.id === OPERATIONS.createInstallationAccessToken.id) return issueInstallationToken(matched.params, caller);
      if (matched.id === OPERATIONS.getAuthenticatedApp.id || matched.id === OPERATIONS.getInstallation.id) return appReply(matched, caller);
      authorize(matched.id, caller);
      return restReply(matched.id, matched.params, url, caller, { dataset: options.dataset, now: options.now, origin, prefix });
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return {
        status: error.status,
        headers: error.headers,
        body: { message: error.message, documentation_url: DOCS, status: String(error.status) },
      };
    }
  }

  function wire(reply: Reply): WireResponse {
    return {
      status: reply.status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...reply.headers },
      body: JSON.stringify(reply.body),
    };
  }

  function match(method: string, pathname: string): { id: string; params: Params } | undefined {
    if (prefix && !pathname.startsWith(`${prefix}/`)) return undefined;
    return matchRoute(method, pathname.slice(prefix.length));
  }

  function authenticate(header: string | undefined, operation: string | undefined): Caller {
    const [, credential] = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '') ?? [];
    if (!credential) throw new HttpError(401, 'Requires authentication');
    const wantsJwt = APP_OPERATIONS.has(operation ?? '');
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

  /** GET /app and GET /app/installations/{id}: the collector's App and its installation, seen with the App JWT. */
  function appReply(matched: { id: string; params: Params }, caller: Caller): Reply {
    if (caller.kind !== 'app') throw new HttpError(401, 'A JSON web token could not be decoded');
    const collector = options.dataset.installations.find((installation) => installation.id === options.app!.installationId);
    if (!collector || (matched.id === OPERATIONS.getInstallation.id && Number(matched.params.installation_id) !== collector.id)) throw new HttpError(404, 'Not Found');
    const wire = { api: origin + prefix, web: 'https://github.com', org: options.dataset.org };
    const item = { ...collector, permissions: appPermissions ?? collector.permissions };
    return { status: 200, body: matched.id === OPERATIONS.getInstallation.id ? render.installation(wire, item) : render.integration(wire, item) };
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

  function refuse(operation: string, repo: string | undefined): void {
    const refusal = refusals.find((candidate) => candidate.operation === operation && candidate.left > 0 && (!candidate.repo || candidate.repo === repo));
    if (!refusal) return;
    if (refusal.passing > 0) {
      refusal.passing -= 1;
      return;
    }
    refusal.left -= 1;
    switch (refusal.type) {
      case 'secondary-rate-limit':
        throw new HttpError(403, SECONDARY_MESSAGE, { 'retry-after': String(refusal.retryAfter ?? 1) });
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

  function graphql(query: GraphqlQuery): unknown {
    if (query.operation !== REPOSITORY_INVENTORY_OPERATION) {
      return { errors: [{ message: `the sandbox answers only the ${REPOSITORY_INVENTORY_OPERATION.name} query, not ${query.name ?? 'an anonymous one'}` }] };
    }
    return repositoryInventory(options.dataset, options.now, query.request!.query!, query.request!.variables ?? {});
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    baseUrl: origin + prefix,
    calls,
    issuedTokens,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

interface GraphqlQuery {
  /** The request as sent; undefined when it is not JSON. */
  request: { query?: string; variables?: Record<string, unknown> } | undefined;
  name: string | undefined;
  operation: GraphqlOperation<any, unknown> | undefined;
  after: string | null;
  /** Where the page asked for starts. */
  position: number;
}

const REPOSITORY_INVENTORY_OPERATION = GRAPHQL_OPERATIONS.find((operation) => operation.name === 'RepositoryInventory')!;

function parseGraphql(raw: string): GraphqlQuery {
  let request: GraphqlQuery['request'];
  try {
    request = JSON.parse(raw) as GraphqlQuery['request'];
  } catch {
    request = undefined;
  }
  const name = /\bquery\s+(\w+)/.exec(request?.query ?? '')?.[1];
  const after = typeof request?.variables?.after === 'string' ? request.variables.after : null;
  return { request, name, operation: GRAPHQL_OPERATIONS.find((operation) => operation.name === name), after, position: cursorPosition(after) };
}

/** Where a query reads: its variables and the place its page starts, whatever cursor led there. */
function graphqlPosition(query: GraphqlQuery): string {
  const { after: _after, ...variables } = query.request?.variables ?? {};
  return `${JSON.stringify(variables)} at=${query.position}`;
}

function parsedOrText(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
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
export async function startDemo(datasetDir: string, options: { now: Date; faults?: readonly FaultSpec[] }): Promise<DemoSandbox> {
  const dataset = await loadDataset(datasetDir);
  const collector = dataset.installations.find((installation) => installation.id === dataset.collector_installation_id);
  if (!collector) throw new Error(`${datasetDir}: collector_installation_id names no installation`);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sandbox = await startSandbox({
    dataset,
    now: options.now,
    app: { appId: collector.app_id, installationId: collector.id, publicKey },
    faults: options.faults ?? [],
  });
  return {
    sourceOverrides: {
      baseUrl: sandbox.baseUrl,
      app: { appId: collector.app_id, installationId: collector.id, privateKeyEnv: DEMO_KEY_ENV },
    },
    env: { [DEMO_KEY_ENV]: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    faults: sandbox.faults,
    close: () => sandbox.close(),
  };
}

const DEMO_KEY_ENV = 'NHI_DEMO_GITHUB_APP_KEY';
