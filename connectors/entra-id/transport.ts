import type { AccessToken, TokenCredential } from '@azure/identity';
import type { AuthenticationProvider, Client, Context, Middleware } from '@microsoft/microsoft-graph-client';
import type { Agent } from 'undici';
import type { z } from 'zod';
import {
  InvalidResponseError,
  isTransientFault,
  PageGuard,
  PagingError,
  validateResponse,
  withRetries,
  type Paging,
  type RetryDecision,
  type RetrySettings,
  type Located,
  type Reading,
  type Timeouts,
} from '../../src/sdk/index.js';

/**
 * The one request layer every Microsoft Graph call of the connector goes through: Microsoft's Graph client builds
 * each request and signs it with a token from @azure/identity; undici sends it with connect and response time
 * limits and the source's abort signal; the answer is checked before anything reads it; faults are retried with
 * back-off and Graph's Retry-After; every listing follows `@odata.nextLink` under a `PageGuard`. The Graph
 * client's own RetryHandler stays out of the chain: it sees neither resets, timeouts nor garbled bodies, and two
 * retry loops would multiply the attempts.
 */

export type { Located, Reading } from '../../src/sdk/index.js';

export function locate<T>(path: string, items: readonly T[]): Array<Located<T>> {
  return items.map((item, i) => ({ item, ref: `${path}#/body/value/${i}` }));
}

/** A Graph error answer reduced to what may be logged: status, Graph's code and message, never request headers. */
export class GraphApiError extends Error {
  override readonly name = 'GraphApiError';
  constructor(
    /** Graph's error code (`Authorization_RequestDenied`), or the transport's (`ECONNRESET`, `TimeoutError`). */
    readonly code: string,
    readonly status: number | undefined,
    message: string,
    /** The answer's `Retry-After`, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

interface GraphErrorBody {
  error?: { code?: unknown; message?: unknown };
}

function retryAfter(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  const seconds = value === null || value.trim() === '' ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** Graph's `{ error: { code, message } }`, or the bare status when the body is something else. */
function errorOf(status: number, headers: Headers, text: string): GraphApiError {
  let body: GraphErrorBody | undefined;
  try {
    body = JSON.parse(text) as GraphErrorBody;
  } catch {
    body = undefined;
  }
  const code = typeof body?.error?.code === 'string' ? body.error.code : `HTTP_${status}`;
  const message = typeof body?.error?.message === 'string' ? body.error.message : `HTTP ${status}`;
  return new GraphApiError(code, status, message, retryAfter(headers));
}

/** The sdk's judgement of what is worth another attempt, with the `Retry-After` Graph sent. */
export function classifyFault(error: unknown): RetryDecision {
  const decision = isTransientFault(error);
  const after = error instanceof GraphApiError ? error.retryAfterMs : undefined;
  return decision.retry && after !== undefined ? { ...decision, afterMs: after } : decision;
}

/**
 * Microsoft's Graph client and undici, loaded when a transport is opened: with @azure/identity they are most of
 * what loading the connector registry would cost every command, collecting from Entra ID or not.
 */
async function loadLibraries() {
  const [graph, undici] = await Promise.all([import('@microsoft/microsoft-graph-client'), import('undici')]);
  return { graph, undici };
}
type Libraries = Awaited<ReturnType<typeof loadLibraries>>;

/** The Graph client's last middleware: undici's fetch, with the agent that holds the time limits and trusted CAs. */
class UndiciHandler implements Middleware {
  constructor(
    private readonly agent: Agent,
    private readonly libraries: Libraries,
  ) {}
  async execute(context: Context): Promise<void> {
    const { undici, graph } = this.libraries;
    const init = { ...(context.options as Record<string, unknown>), dispatcher: this.agent };
    try {
      context.response = (await undici.fetch(context.request as string, init as Parameters<typeof undici.fetch>[1])) as unknown as Response;
    } catch (error) {
      // The Graph client passes its own client errors through; anything else it rewraps without the cause, which carries the network error's code.
      throw Object.assign(new graph.GraphClientError((error as Error).message), { cause: error });
    }
  }
}

/** One request: what the pack records about it and how its body is checked. */
export interface Call {
  operation: string;
  /** The parameters that shape the answer, as the manifest and the raw page keep them (never a page token). */
  parameters: Record<string, unknown>;
  /** Graph version: `v1.0`, or `beta` where v1.0 lacks the data. */
  version: 'v1.0' | 'beta';
  path: string;
  query: Record<string, string>;
  /** Whether `$count=true` is asked: an advanced query, which needs `ConsistencyLevel: eventual`. */
  counted?: boolean;
  schema: z.ZodType;
}

/** A collection page as the listing hands it on: its items, where they are kept, and Graph's own count. */
export interface ListedPage<Item> {
  items: Array<Located<Item>>;
  count: number | undefined;
}

interface CollectionPage {
  value: unknown[];
  '@odata.nextLink'?: string | null;
  '@odata.count'?: number | null;
}

/** Never kept: the first characters of a client secret Graph shows as its `hint`, and `secretText`, which is always null on a read. */
function keepable(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(keepable);
  if (body === null || typeof body !== 'object') return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'passwordCredentials' && Array.isArray(value)) {
      out[key] = value.map((credential) => {
        if (credential === null || typeof credential !== 'object') return credential;
        const { hint: _hint, secretText: _secretText, ...rest } = credential as Record<string, unknown>;
        return rest;
      });
    } else {
      out[key] = keepable(value);
    }
  }
  return out;
}

export interface TransportOptions {
  graphBaseUrl: string;
  credential: TokenCredential;
  retry: RetrySettings;
  timeouts: Timeouts;
  paging: Paging;
  /** Extra certificate authorities to trust (PEM). */
  ca?: string;
}

export class GraphTransport {
  private readonly client: Client;
  private readonly scope: string;
  private cached: AccessToken | undefined;

  /** A transport with its libraries loaded. */
  static async open(options: TransportOptions): Promise<GraphTransport> {
    return new GraphTransport(options, await loadLibraries());
  }

  private constructor(
    private readonly options: TransportOptions,
    private readonly libraries: Libraries,
  ) {
    const { graph, undici } = libraries;
    const base = new URL(options.graphBaseUrl);
    this.scope = `${base.origin}/.default`;
    const agent = new undici.Agent({
      connect: { timeout: options.timeouts.connectMs, ...(options.ca ? { ca: options.ca } : {}) },
      headersTimeout: options.timeouts.requestMs,
      bodyTimeout: options.timeouts.requestMs,
    });
    const auth = new graph.AuthenticationHandler(this.tokens(undefined));
    const telemetry = new graph.TelemetryHandler();
    auth.setNext(telemetry);
    telemetry.setNext(new UndiciHandler(agent, libraries));
    this.client = graph.Client.initWithMiddleware({
      baseUrl: base.origin,
      defaultVersion: 'v1.0',
      middleware: auth,
      // The Graph client signs requests only for Graph's own hosts and these.
      customHosts: new Set([base.hostname]),
    });
  }

  /** A token for Graph now: connect asks for one, so that a wrong credential fails once, before any listing. */
  async token(signal: AbortSignal): Promise<void> {
    await this.tokens(signal).getAccessToken();
  }

  /** Tokens for Graph from the configured credential, each request bounded by the same limits as the call it signs. */
  private tokens(signal: AbortSignal | undefined): AuthenticationProvider {
    return {
      getAccessToken: async () => {
        // Reused until five minutes before it expires, as MSAL would, without a cache look-up per request.
        if (this.cached && this.cached.expiresOnTimestamp - Date.now() > 300_000) return this.cached.token;
        const token = await this.options.credential.getToken(this.scope, {
          ...(signal ? { abortSignal: signal } : {}),
          requestOptions: { timeout: this.options.timeouts.requestMs },
        });
        if (!token) throw new GraphApiError('NoToken', undefined, 'the credential gave no token for Microsoft Graph');
        this.cached = token;
        return token.token;
      },
    };
  }

  private async attempt(at: Reading, call: Call, url: string | undefined): Promise<unknown> {
    const { graph } = this.libraries;
    const timer = AbortSignal.timeout(this.options.timeouts.requestMs);
    const signal = AbortSignal.any([at.signal, timer]);
    let request = this.client
      .api(url ?? call.path)
      .responseType(graph.ResponseType.RAW)
      .middlewareOptions([new graph.AuthenticationHandlerOptions(this.tokens(signal))])
      .options({ signal });
    if (!url) request = request.version(call.version).query(call.query);
    if (call.counted) request = request.header('ConsistencyLevel', 'eventual');
    let status: number;
    let headers: Headers;
    let text: string;
    try {
      const response = (await request.get()) as Response;
      status = response.status;
      headers = response.headers;
      text = await response.text();
    } catch (error) {
      if (at.signal.aborted) throw at.signal.reason;
      if (timer.aborted) {
        throw new GraphApiError('TimeoutError', undefined, `${call.operation}: no complete answer within ${this.options.timeouts.requestMs} ms (timeouts.requestMs)`);
      }
      const cause = error instanceof graph.GraphClientError ? (error.cause ?? error) : error;
      if (cause instanceof GraphApiError) throw cause;
      throw Object.assign(new GraphApiError(codeOf(cause), undefined, `${call.operation}: ${messageOf(cause)}`), { cause });
    }
    if (status < 200 || status >= 300) throw errorOf(status, headers, text);
    if (!/^application\/json\b/i.test(headers.get('content-type') ?? '')) {
      throw new InvalidResponseError(call.operation, [`a ${headers.get('content-type') ?? 'untyped'} body where Graph answers JSON`]);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // Never the parser's message: it quotes the text it choked on.
      throw new InvalidResponseError(call.operation, ['the body is not complete JSON (cut short or garbled)']);
    }
    validateResponse(call.operation, call.schema, body);
    return body;
  }

  /**
   * One request, retried while its faults are transient; its page is kept once it is valid and `vet` (a listing's
   * own check) accepts it, so a kept page is always one the collection used.
   */
  async send<T>(at: Reading, call: Call, url?: string, vet?: (body: T) => void): Promise<{ body: T; path: string }> {
    const { value: body, attempts } = await withRetries(() => this.attempt(at, call, url), {
      ...this.options.retry,
      classify: classifyFault,
      signal: at.signal,
    });
    vet?.(body as T);
    const items = (body as Partial<CollectionPage>).value;
    const records = Array.isArray(items) ? items.length : 1;
    const path = await at.recorder.page(call.operation, call.parameters, keepable(body), { records, attempts });
    return { body: body as T, path };
  }

  /**
   * Follows `@odata.nextLink` to the end under a `PageGuard`; a page that repeats a record already read stops the
   * listing too (a next link that led back to a page already read). Returns the items and Graph's own count.
   */
  async list<Item extends { id: string }>(at: Reading, call: Call): Promise<ListedPage<Item>> {
    const guard = new PageGuard(call.operation, this.options.paging);
    const seen = new Set<string>();
    const items: Array<Located<Item>> = [];
    let count: number | undefined;
    let next: string | undefined;
    for (let n = 1; ; n++) {
      const { body, path } = await this.send<CollectionPage>(at, call, next, (page) =>
        (page.value as Item[]).forEach((item, index) => {
          if (seen.has(item.id)) {
            throw new PagingError(call.operation, 'repeated-cursor', `page ${n} repeats a record already read (item ${index}): its next link led back to a page already read`);
          }
          seen.add(item.id);
        }),
      );
      const value = body.value as Item[];
      if (n === 1 && typeof body['@odata.count'] === 'number') count = body['@odata.count'];
      items.push(...locate(path, value));
      next = guard.next({ items: value.length, cursor: body['@odata.nextLink'] });
      if (next === undefined) return { items, count };
    }
  }
}

function codeOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  const name = (error as { name?: unknown })?.name;
  return typeof name === 'string' ? name : 'NetworkError';
}

function messageOf(error: unknown): string {
  const cause = (error as { cause?: { message?: unknown } })?.cause?.message;
  const own = error instanceof Error ? error.message : String(error);
  return typeof cause === 'string' ? `${own} (${cause})` : own;
}
