import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Agent } from 'undici';
import {
  ConnectorError,
  httpStatusOf,
  isTransientFault,
  PageGuard,
  validateResponse,
  withRetries,
  type ConnectContext,
  type Logger,
  type Paging,
  type RetryDecision,
  type RetrySettings,
} from '../../src/sdk/index.js';
import { createAppAuth } from './app-auth.js';
import type { GitHubConfig } from './config.js';
import { listItems, responseSchema, type GraphqlOperation, type Operation } from './operations.js';

/** Octokit with its throttling plugin, and undici: loaded when a client is made, not with the connector registry. */
async function libraries() {
  const [{ Octokit }, { throttling }, { default: Bottleneck }, undici] = await Promise.all([
    import('@octokit/rest'),
    import('@octokit/plugin-throttling'),
    import('bottleneck'),
    import('undici'),
  ]);
  return { GitHubOctokit: Octokit.plugin(throttling), Bottleneck, undici };
}
type Libraries = Awaited<ReturnType<typeof libraries>>;
type GitHubOctokit = InstanceType<Libraries['GitHubOctokit']>;

/** One response: the body as received (for the pack), the part the connector reads (checked), and the HTTP attempts it took. */
export interface ApiResponse<T = unknown> {
  body: unknown;
  value: T;
  attempts: number;
}

/** One page of a list: its items, the JSON pointer to them inside the body, and GitHub's own count of the whole list. */
export interface Page extends ApiResponse {
  items: unknown[];
  itemsPointer: string;
  totalCount: number | undefined;
}

/** What one request is sent with: the fetch that counts its attempts, and the collection's abort signal. */
interface RequestOptions {
  fetch: typeof fetch;
  signal: AbortSignal;
}

/**
 * What the collector reads with: an Octokit whose rate limits plugin-throttling absorbs, with every request
 * time-limited, every answer checked before use, every listing guarded, and transient faults retried.
 */
export class GitHubClient {
  constructor(
    private readonly octokit: GitHubOctokit,
    private readonly limits: { paging: Paging; retry: RetrySettings; requestFetch: (counter: { attempts: number }) => typeof fetch; log: Logger },
    /** Who the collector is when it authenticates as an App installation; a token's user is looked up. */
    readonly appCollector: string | undefined,
  ) {}

  /** One object. */
  async request(operation: Operation, parameters: Record<string, unknown>, signal: AbortSignal): Promise<ApiResponse> {
    const { value, attempts } = await this.retrying(operation.id, signal, async (request) => {
      const response = await this.octokit.request(operation.route, { ...parameters, request });
      return { body: response.data as unknown, value: validateResponse(operation.id, operation.schema, response.data) };
    });
    return { ...value, attempts };
  }

  /** Every page of a list, following the `Link: rel="next"` URL GitHub (or the sandbox) returns, while it leads somewhere new. */
  async *pages(operation: Operation, parameters: Record<string, unknown>, signal: AbortSignal): AsyncGenerator<Page> {
    const schema = responseSchema(operation);
    const guard = new PageGuard(operation.id, this.limits.paging);
    let next: string | undefined;
    do {
      const url = next;
      const { value, attempts } = await this.retrying(operation.id, signal, async (request) => {
        const response = url
          ? await this.octokit.request({ method: 'GET', url, request })
          : await this.octokit.request(operation.route, { per_page: 100, ...parameters, request });
        return { response, value: validateResponse(operation.id, schema, response.data) };
      });
      const { response } = value;
      const { items, pointer } = listItems(operation, value.value);
      if (!url) guard.visited(response.url);
      next = guard.next({ items: items.length, cursor: nextLink(response.headers.link) });
      const totalCount = (value.value as { total_count?: number }).total_count;
      yield { body: response.data, value: value.value, items, itemsPointer: pointer, attempts, totalCount };
    } while (next);
  }

  /** Every page of the connection a GraphQL query pages, following `pageInfo.endCursor` while it leads somewhere new. */
  async *connection<Body, Node>(
    operation: GraphqlOperation<Body, Node>,
    variables: Record<string, unknown>,
    signal: AbortSignal,
  ): AsyncGenerator<ApiResponse<Body> & { nodes: Node[]; totalCount: number }> {
    const guard = new PageGuard(operation.id, this.limits.paging);
    let after: string | undefined;
    do {
      const cursor = after;
      const { value, attempts } = await this.retrying(operation.id, signal, async (request) => {
        // A body that is not GraphQL's JSON reaches here as `undefined` data, which the check refuses.
        const body = { data: await this.octokit.graphql(operation.query, { ...variables, after: cursor ?? null, request }) };
        return { body, value: validateResponse(operation.id, operation.schema, body) };
      });
      const { totalCount, pageInfo, nodes } = operation.connection(value.value);
      after = guard.next({ items: nodes.length, cursor: pageInfo.endCursor, more: pageInfo.hasNextPage });
      yield { ...value, attempts, nodes, totalCount };
    } while (after);
  }

  /**
   * Runs one request until it succeeds or its failure is not transient, counting every HTTP attempt (rate-limit
   * waits included) for the manifest.
   */
  private async retrying<T>(operation: string, signal: AbortSignal, send: (request: RequestOptions) => Promise<T>): Promise<{ value: T; attempts: number }> {
    const counter = { attempts: 0 };
    const request = { fetch: this.limits.requestFetch(counter), signal };
    const { retry, log } = this.limits;
    const { value } = await withRetries(() => send(request), {
      ...retry,
      signal,
      classify: retryable(retry.baseDelayMs),
      onRetry: (error, attempt) => log.debug({ operation, attempt, error: (error as Error).message }, 'retrying a GitHub request'),
    });
    return { value, attempts: counter.attempts };
  }
}

/**
 * Rate limits are plugin-throttling's: it waits as long as GitHub asks and gives up when the wait would be too
 * long; any other 403 is a refusal. The rest is judged as every connector judges it, with a `Retry-After`
 * scaled like every other wait of this connector (`retry.baseDelayMs` per second).
 */
function retryable(baseDelayMs: number) {
  return (error: unknown): RetryDecision => {
    if (httpStatusOf(error) === 403 || throttled(error)) return { retry: false };
    const decision = isTransientFault(error);
    return decision.afterMs === undefined ? decision : { ...decision, afterMs: (decision.afterMs / 1000) * baseDelayMs };
  };
}

function nextLink(link: string | undefined): string | undefined {
  return link?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
}

function headersOf(error: unknown): Record<string, unknown> | undefined {
  return (error as { response?: { headers?: Record<string, unknown> } })?.response?.headers;
}

/** What plugin-throttling waits out: a secondary rate limit, or the primary one spent (REST and GraphQL). */
function throttled(error: unknown): boolean {
  return headersOf(error)?.['x-ratelimit-remaining'] === '0' || /\bsecondary rate\b/i.test((error as Error)?.message ?? '');
}

/**
 * The status of a refusal that will not change by waiting: 403 (a missing permission, not a rate limit,
 * which GitHub also answers with 403) or 404 (GitHub hides what a caller may not see).
 */
export function refusalStatus(error: unknown): 403 | 404 | undefined {
  const status = httpStatusOf(error);
  if (status === 404) return 404;
  return status === 403 && !throttled(error) && !/rate limit/i.test((error as Error).message ?? '') ? 403 : undefined;
}

/** The permission GitHub says the call needed (`X-Accepted-GitHub-Permissions`), when it says. */
export function acceptedPermissions(error: unknown): string | undefined {
  const value = headersOf(error)?.['x-accepted-github-permissions'];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * A fetch whose every attempt has the source's time limits: `connectMs` until the connection is up (the
 * agent's), `requestMs` until the whole answer has arrived, and the caller's signal on top.
 */
function timedFetch(undici: Libraries['undici'], agent: Agent, requestMs: number) {
  return (counter?: { attempts: number }): typeof fetch =>
    (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      if (counter) counter.attempts += 1;
      const deadline = AbortSignal.timeout(requestMs);
      const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
      try {
        return await undici.fetch(input as Parameters<typeof undici.fetch>[0], { ...(init as Parameters<typeof undici.fetch>[1]), signal, dispatcher: agent });
      } catch (error) {
        if (!deadline.aborted || init?.signal?.aborted) throw error;
        throw Object.assign(new Error(`no answer within ${requestMs} ms (timeouts.requestMs)`), { name: 'TimeoutError', cause: error });
      }
    }) as unknown as typeof fetch;
}

export async function createClient(config: GitHubConfig, context: ConnectContext): Promise<GitHubClient> {
  const log = context.log;
  const { retries, baseDelayMs, maxWaitSeconds, graphqlIntervalMs } = config.retry;
  const onLimit = (kind: string) => (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
    const willRetry = retryCount < retries && retryAfter <= maxWaitSeconds;
    log.warn({ method: options.method, url: options.url, retryAfter, retryCount, willRetry }, `GitHub ${kind} rate limit`);
    return willRetry;
  };
  const { GitHubOctokit, Bottleneck, undici } = await libraries();
  const agent = new undici.Agent({ connect: { timeout: context.timeouts.connectMs } });
  const requestFetch = timedFetch(undici, agent, context.timeouts.requestMs);
  const common = {
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    userAgent: 'nhi-audit',
    log: octokitLog(log),
    // Requests the collection does not make itself (the installation token) get the same limits.
    request: { fetch: requestFetch() },
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      retryAfterBaseValue: baseDelayMs,
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: graphqlIntervalMs }),
    },
  };
  const limits = {
    paging: context.paging,
    retry: { attempts: retries + 1, baseDelayMs, maxDelayMs: 30 * baseDelayMs },
    requestFetch,
    log,
  };
  if (config.app) {
    const app = config.app;
    const privateKey = await readPrivateKey(app, context);
    const octokit = new GitHubOctokit({
      ...common,
      authStrategy: createAppAuth,
      auth: { appId: app.appId, installationId: app.installationId, privateKey },
    });
    return new GitHubClient(octokit, limits, `app:${app.appId}/installation:${app.installationId}`);
  }
  const tokenEnv = config.tokenEnv!;
  const token = context.env[tokenEnv];
  if (!token) {
    throw new ConnectorError(context.source, `environment variable ${tokenEnv} is not set`, {
      hint: `export ${tokenEnv} with a token that can read the organization ${config.org}, or configure app`,
    });
  }
  return new GitHubClient(new GitHubOctokit({ ...common, auth: token }), limits, undefined);
}

async function readPrivateKey(app: NonNullable<GitHubConfig['app']>, context: ConnectContext): Promise<KeyObject> {
  let pem: string | undefined;
  let where: string;
  if (app.privateKeyEnv) {
    where = `environment variable ${app.privateKeyEnv}`;
    pem = context.env[app.privateKeyEnv];
  } else {
    const file = path.resolve(context.baseDir, app.privateKeyFile!);
    where = `file ${file}`;
    pem = await readFile(file, 'utf8').catch(() => undefined);
  }
  if (!pem) throw new ConnectorError(context.source, `no GitHub App private key in ${where}`);
  try {
    return createPrivateKey(pem);
  } catch {
    // The parser's message is dropped: it could quote the key material.
    throw new ConnectorError(context.source, `the GitHub App private key in ${where} is not a PEM private key`, {
      hint: 'use the .pem file GitHub generated for the App',
    });
  }
}

/**
 * Octokit's own lines: each request it sends and each it sees fail. The connector reports every failure it
 * does not recover from in the manifest and the log, so a retried one is detail; deprecations stay warnings.
 */
function octokitLog(log: Logger) {
  return {
    debug: (message: string) => log.debug(message),
    info: (message: string) => log.debug(message),
    warn: (message: string) => log.warn(message),
    error: (message: string) => log.debug(message),
  };
}
