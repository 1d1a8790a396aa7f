import type { GitbeakerRequestError, getMatchingRateLimiter, RequesterType } from '@gitbeaker/requester-utils';
import type { Agent } from 'undici';
import {
  ConnectorError,
  isTransientFault,
  PageGuard,
  validateResponse,
  withRetries,
  type ConnectContext,
  type Logger,
  type Paging,
  type RetryDecision,
} from '../../src/sdk/index.js';
import type { GitLabConfig } from './config.js';
import { operationPath, withoutSecrets, type Operation } from './operations.js';

/** One response: the body as kept (secret values removed), the part the connector reads (checked), and the attempts it took. */
export interface ApiResponse {
  body: unknown;
  attempts: number;
}

/** One page of a list: its items and GitLab's own count of the whole list (`X-Total`) when it sends one. */
export interface Page extends ApiResponse {
  items: unknown[];
  total: number | undefined;
}

interface Limits {
  paging: Paging;
  retry: { attempts: number; baseDelayMs: number; maxDelayMs: number; maxWaitMs: number };
  log: Logger;
}

/**
 * What the collector reads with: GitLab's own client (@gitbeaker/rest), whose requester adds the token, builds
 * the /api/v4 URLs, encodes queries and paces requests. Its resource methods hide the headers a guarded listing
 * needs (`Link`, `X-Next-Page`, `X-Total`) and take no abort signal, so the collector calls that requester with
 * each operation's path: every answer is checked before use, every listing guarded, and transient faults retried.
 */
export class GitLabClient {
  constructor(
    private readonly requester: RequesterType,
    private readonly limits: Limits,
  ) {}

  /** One object. */
  async request(operation: Operation, parameters: Record<string, unknown>, signal: AbortSignal): Promise<ApiResponse> {
    const { endpoint, query } = split(operation, parameters);
    const { value, attempts } = await this.retrying(operation.id, signal, async () => {
      const response = await this.requester.get(endpoint, { searchParams: query, signal });
      validateResponse(operation.id, operation.schema, response.body);
      return withoutSecrets(operation, response.body);
    });
    return { body: value, attempts };
  }

  /**
   * Every page of a list, following GitLab's `Link: rel="next"` (offset or keyset paging alike) while it leads
   * somewhere new; `X-Next-Page` stands in where a proxy dropped the `Link` header.
   */
  async *pages(operation: Operation, parameters: Record<string, unknown>, signal: AbortSignal): AsyncGenerator<Page> {
    const { endpoint, query } = split(operation, parameters);
    const schema = listSchema(operation);
    const guard = new PageGuard(operation.id, this.limits.paging);
    let search: Record<string, string> = { ...query, per_page: '100' };
    guard.visited(canonical(search));
    for (;;) {
      const current = search;
      const { value, attempts } = await this.retrying(operation.id, signal, async () => {
        const response = await this.requester.get(endpoint, { searchParams: current, signal });
        const items = validateResponse(operation.id, schema, response.body) as unknown[];
        return { headers: response.headers, items: withoutSecrets(operation, items) as unknown[] };
      });
      const { headers, items } = value;
      const next = nextSearch(headers, current);
      const cursor = guard.next({ items: items.length, cursor: next ? canonical(next) : undefined });
      const total = headers['x-total'] === undefined || headers['x-total'] === '' ? undefined : Number(headers['x-total']);
      yield { body: items, items, attempts, total: Number.isInteger(total) ? total : undefined };
      if (!cursor || !next) return;
      search = next;
    }
  }

  private async retrying<T>(operation: string, signal: AbortSignal, send: () => Promise<T>): Promise<{ value: T; attempts: number }> {
    const { retry, log } = this.limits;
    return withRetries(send, {
      ...retry,
      signal,
      classify: retryable(retry.baseDelayMs, retry.maxWaitMs),
      onRetry: (error, attempt) => log.debug({ operation, attempt, error: (error as Error).message }, 'retrying a GitLab request'),
    });
  }
}

const LIST_SCHEMAS = new WeakMap<Operation, ReturnType<typeof arrayOf>>();
const arrayOf = (operation: Operation) => operation.schema.array();

function listSchema(operation: Operation) {
  let schema = LIST_SCHEMAS.get(operation);
  if (!schema) LIST_SCHEMAS.set(operation, (schema = arrayOf(operation)));
  return schema;
}

/** Path parameters go into the path; the others, with the operation's fixed filters, into the query. */
function split(operation: Operation, parameters: Record<string, unknown>): { endpoint: string; query: Record<string, string> } {
  const inPath = new Set([...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!));
  const query: Record<string, string> = { ...operation.query };
  for (const [name, value] of Object.entries(parameters)) if (!inPath.has(name)) query[name] = String(value);
  return { endpoint: operationPath(operation, parameters), query };
}

/** A query as a cursor: the same parameters in any order are the same position. */
function canonical(search: Record<string, string>): string {
  return new URLSearchParams(Object.entries(search).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))).toString();
}

/** The query of the next page: the `Link: rel="next"` URL's, or the current one with `page` = `X-Next-Page`. */
function nextSearch(headers: Record<string, string>, current: Record<string, string>): Record<string, string> | undefined {
  const link = headers.link?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
  if (link) {
    try {
      return Object.fromEntries(new URL(link).searchParams);
    } catch {
      return undefined;
    }
  }
  const page = headers['x-next-page'];
  return page ? { ...current, page } : undefined;
}

/** GitLab's client and undici: loaded when a client is made, not with the connector registry. */
async function libraries() {
  const [utils, { Gitlab }, undici] = await Promise.all([import('@gitbeaker/requester-utils'), import('@gitbeaker/rest'), import('undici')]);
  RequestError = utils.GitbeakerRequestError;
  return { utils, Gitlab, undici };
}
type Libraries = Awaited<ReturnType<typeof libraries>>;
/** GitLab's client's error, once a client was made: no request failed before then. */
let RequestError: typeof GitbeakerRequestError | undefined;

function responseOf(error: unknown): { status: number; headers: { get(name: string): string | null } } | undefined {
  if (RequestError === undefined || !(error instanceof RequestError)) return undefined;
  return error.cause?.response as { status: number; headers: { get(name: string): string | null } } | undefined;
}

/** The HTTP status GitLab answered a failed request with. */
export function statusOf(error: unknown): number | undefined {
  return responseOf(error)?.status;
}

/**
 * GitLab's refusals that waiting will not change: 401 (a bad or expired token), 403 (a missing role or scope)
 * and 404 (GitLab hides what a caller may not see, and answers it for features its tier lacks).
 */
export function refusalStatus(error: unknown): 401 | 403 | 404 | undefined {
  const status = statusOf(error);
  return status === 401 || status === 403 || status === 404 ? status : undefined;
}

/**
 * 429 waits as long as GitLab asks (`Retry-After`, scaled by `retry.baseDelayMs` per second) and gives up when
 * that is longer than `retry.maxWaitSeconds`; the rest is judged as every connector judges it.
 */
function retryable(baseDelayMs: number, maxWaitMs: number) {
  return (error: unknown): RetryDecision => {
    const response = responseOf(error);
    if (response) {
      const { status } = response;
      if (status !== 408 && status !== 429 && status < 500) return { retry: false };
      const seconds = Number(response.headers.get('retry-after'));
      if (!Number.isFinite(seconds) || seconds < 0 || response.headers.get('retry-after') === null) return { retry: true };
      const afterMs = seconds * baseDelayMs;
      return afterMs > maxWaitMs ? { retry: false } : { retry: true, afterMs };
    }
    return isTransientFault(error);
  };
}

/** What GitLab said a failed request was, from its JSON `message` or `error`, or its text. */
function describe(text: string, contentType: string | null): string {
  if (contentType?.includes('application/json')) {
    try {
      const body = JSON.parse(text) as { message?: unknown; error?: unknown };
      const said = body?.message ?? body?.error ?? '';
      return typeof said === 'string' ? said : JSON.stringify(said);
    } catch {
      return text.slice(0, 200);
    }
  }
  return text.slice(0, 200);
}

/**
 * The request handler behind the client's requester: one HTTP attempt with the source's time limits
 * (`connectMs` until connected, `requestMs` until the whole body has arrived) and the caller's abort signal,
 * a failure thrown as GitLab's client throws it (`GitbeakerRequestError` with the response), and no retries of
 * its own: the collector retries around the call and its validation, honouring `Retry-After`.
 */
function timedRequestHandler({ utils, undici }: Libraries, agent: Agent, requestMs: number) {
  const { GitbeakerRequestError, getMatchingRateLimiter: matchingRateLimiter } = utils;
  return async (endpoint: string, options?: Record<string, unknown>) => {
    const { rateLimiters, prefixUrl, searchParams, method, headers, body, signal } = (options ?? {}) as {
      rateLimiters?: Parameters<typeof getMatchingRateLimiter>[1];
      prefixUrl: string;
      searchParams?: string;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      signal?: AbortSignal;
    };
    await matchingRateLimiter(endpoint, rateLimiters, method)();
    const url = new URL(endpoint, prefixUrl.endsWith('/') ? prefixUrl : `${prefixUrl}/`);
    url.search = searchParams ?? '';
    const deadline = AbortSignal.timeout(requestMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const timedOut = () => Object.assign(new Error(`no answer within ${requestMs} ms (timeouts.requestMs)`), { name: 'TimeoutError' });
    try {
      const response = await undici.fetch(url, { method: method ?? 'GET', headers: headers ?? {}, ...(body ? { body } : {}), signal: combined, dispatcher: agent });
      const text = await response.text();
      const contentType = response.headers.get('content-type');
      if (!response.ok) {
        const description = describe(text, contentType);
        throw new GitbeakerRequestError(description || `${response.status}`, {
          cause: { description, request: new Request(url, { method: method ?? 'GET' }), response: response as unknown as Response },
        });
      }
      const parsed: unknown = contentType?.split(';')[0]?.trim() === 'application/json' ? JSON.parse(text) : text;
      return { body: parsed as Record<string, unknown>, headers: Object.fromEntries(response.headers), status: response.status };
    } catch (error) {
      if (deadline.aborted && !signal?.aborted && !(error instanceof GitbeakerRequestError)) throw Object.assign(timedOut(), { cause: error });
      throw error;
    }
  };
}

export async function createClient(config: GitLabConfig, context: ConnectContext): Promise<GitLabClient> {
  const variable = config.tokenEnv ?? config.oauthTokenEnv!;
  const token = context.env[variable];
  if (!token) {
    throw new ConnectorError(context.source, `environment variable ${variable} is not set`, {
      hint: `export ${variable} with a ${config.tokenEnv ? 'personal, group or project access token' : 'OAuth access token'} with the read_api scope`,
    });
  }
  const loaded = await libraries();
  const { utils, Gitlab, undici } = loaded;
  const agent = new undici.Agent({ connect: { timeout: context.timeouts.connectMs } });
  const requesterFn = utils.createRequesterFn(async (_service, options) => options, timedRequestHandler(loaded, agent, context.timeouts.requestMs));
  const common = {
    host: config.host.replace(/\/+$/, ''),
    requesterFn,
    rateLimits: { '**': config.requestsPerMinute },
    rateLimitDuration: 60,
  };
  const gitlab = config.tokenEnv ? new Gitlab({ ...common, token }) : new Gitlab({ ...common, oauthToken: token });
  const { retries, baseDelayMs, maxWaitSeconds } = config.retry;
  return new GitLabClient(gitlab.requester, {
    paging: context.paging,
    retry: { attempts: retries + 1, baseDelayMs, maxDelayMs: 30 * baseDelayMs, maxWaitMs: maxWaitSeconds * baseDelayMs },
    log: context.log,
  });
}
