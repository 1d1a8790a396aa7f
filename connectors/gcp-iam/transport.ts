import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { GaxiosError, MethodOptions } from 'googleapis-common';
import type { z } from 'zod';
import {
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
 * The one request layer every Google API call of the connector goes through: a time limit on connecting and on
 * the whole answer, the source's abort signal, the body validated before anything reads it, retries with
 * back-off, and every listing followed under a `PageGuard`. gaxios's own retry stays off: it does not honour
 * Retry-After, does not retry a timed-out request under its node-fetch transport (it recognizes only a
 * DOMException timeout), and cannot see an invalid 200 body; one loop around call and validation covers all of
 * them, and two nested loops would multiply the attempts.
 */

export type { Located, Reading } from '../../src/sdk/index.js';

/** Where a kept page's body, or one of its fields' items, sits in the pack. */
export function pointer(path: string, ...segments: Array<string | number>): string {
  return `${path}#/body${segments.map((s) => `/${s}`).join('')}`;
}

/** A page's items, each with its pointer. */
export function locate<T>(path: string, field: string, items: readonly T[] | null | undefined): Array<Located<T>> {
  return (items ?? []).map((item, i) => ({ item, ref: pointer(path, field, i) }));
}

/** A Google API error reduced to what may be logged: status, reason and Google's message, never request headers. */
export class GcpApiError extends Error {
  override readonly name = 'GcpApiError';
  constructor(
    /** Google's canonical status (`PERMISSION_DENIED`), or the transport error code. */
    readonly code: string,
    readonly httpStatus: number | undefined,
    /** ErrorInfo reason (`IAM_PERMISSION_DENIED`, `SERVICE_DISABLED`) when Google gives one. */
    readonly reason: string | undefined,
    message: string,
    /** The answer's `Retry-After`, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The collector may not read it here, or the API is off: a standing fact of the project, not a fault in transit. */
export function isDenied(error: unknown): boolean {
  return error instanceof GcpApiError && (error.code === 'PERMISSION_DENIED' || error.reason === 'SERVICE_DISABLED');
}

interface GoogleErrorBody {
  error?: { code?: number; status?: string; message?: string; details?: Array<{ reason?: string }> };
}

function retryAfter(headers: unknown): number | undefined {
  const value = (headers as { get?: (name: string) => string | null } | undefined)?.get?.('retry-after');
  const seconds = value === null || value === undefined || value.trim() === '' ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

export function toApiError(error: unknown): GcpApiError {
  const gaxios = error as Partial<GaxiosError> & { code?: unknown };
  const body = gaxios.response?.data as GoogleErrorBody | string | undefined;
  const status = gaxios.response?.status ?? gaxios.status;
  const after = retryAfter(gaxios.response?.headers);
  if (typeof body === 'object' && body?.error) {
    const reason = body.error.details?.find((d) => d.reason)?.reason;
    return new GcpApiError(body.error.status ?? String(status), status, reason, body.error.message ?? `HTTP ${status}`, after);
  }
  const code = typeof gaxios.code === 'string' ? gaxios.code : status ? `HTTP_${status}` : 'Error';
  // A JSON parser's message quotes the text it choked on, which may be a credentials file.
  const message =
    error instanceof SyntaxError ? 'invalid JSON in a response or in the credentials' : error instanceof Error ? error.message : String(error);
  return new GcpApiError(code, status, undefined, message, after);
}

/** The sdk's judgement of what is worth another attempt, with the `Retry-After` a Google answer carried. */
export function classifyFault(error: unknown): RetryDecision {
  const decision = isTransientFault(error);
  const after = error instanceof GcpApiError ? error.retryAfterMs : undefined;
  return decision.retry && after !== undefined ? { ...decision, afterMs: after } : decision;
}

/**
 * An agent whose new connections fail with ETIMEDOUT when they are not up (TCP, and TLS where used) within
 * `connectMs`; node-fetch, gaxios's transport, has no connect timeout of its own.
 */
export function withConnectTimeout<A extends http.Agent>(agent: A, connectMs: number): A {
  const create = (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection.bind(agent);
  (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`no connection within ${connectMs} ms (timeouts.connectMs)`), { code: 'ETIMEDOUT' });
      socket.destroy(error);
    }, connectMs);
    socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
    return socket;
  };
  return agent;
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** One call: what the pack records about it, how its body is checked, and the SDK method that sends it. */
export interface Call<T> {
  operation: string;
  /** The parameters that shape the answer, as the manifest and the raw page keep them (never a page token). */
  parameters: Record<string, unknown>;
  /** The fields the normalizer reads, as the provider documents them. */
  schema: z.ZodType;
  records(body: T): number;
  send(options: MethodOptions): Promise<{ data: unknown }>;
  /** Checks a valid body further before it is kept; what it throws is not retried unless transient. */
  accept?(body: T): void;
}

/** One paged listing (`pageToken` / `nextPageToken`). */
export interface Listing<T, Item> extends Omit<Call<T>, 'send' | 'records'> {
  /** The field holding the page's items. */
  field: string;
  items(body: T): Item[] | null | undefined;
  /** What tells two records of this listing apart: a page that repeats one has led back to a page already read. */
  key(item: Item): string;
  send(pageToken: string | undefined, options: MethodOptions): Promise<{ data: unknown }>;
}

export class GcpTransport {
  private readonly agent: ((url: URL) => http.Agent) | undefined;

  constructor(
    private readonly retry: RetrySettings,
    private readonly timeouts: Timeouts,
    private readonly paging: Paging,
    env: Readonly<Record<string, string | undefined>>,
  ) {
    // With a proxy configured, gaxios routes through its own proxy agent; the request timeout still bounds connecting.
    if (PROXY_VARIABLES.some((name) => env[name])) return;
    const plain = withConnectTimeout(new http.Agent({ keepAlive: true }), timeouts.connectMs);
    const secure = withConnectTimeout(new https.Agent({ keepAlive: true }), timeouts.connectMs);
    this.agent = (url) => (url.protocol === 'http:' ? plain : secure);
  }

  private options(signal: AbortSignal): MethodOptions {
    return {
      retry: false,
      signal,
      // Always the text, parsed when it is JSON: never a Blob or stream that a schema could mistake for an object.
      responseType: 'json',
      ...(this.agent ? { agent: this.agent } : {}),
    };
  }

  private async attempt<T>(at: Reading, call: Call<T>): Promise<T> {
    // The time limit is a timer of ours, not gaxios's `timeout`: gaxios joins AbortSignal.timeout to the caller's
    // signal with AbortSignal.any, and Node 20 can collect that timeout signal before it fires, which left a hung
    // request waiting for the source's deadline.
    const limit = new AbortController();
    const timer = setTimeout(() => limit.abort(), this.timeouts.requestMs);
    const stop = () => limit.abort();
    at.signal.addEventListener('abort', stop, { once: true });
    let data: unknown;
    try {
      data = (await call.send(this.options(limit.signal))).data;
    } catch (error) {
      // Stopped with its source (a deadline, another failure): say why, not that a fetch was aborted.
      if (at.signal.aborted) throw at.signal.reason instanceof Error ? at.signal.reason : toApiError(error);
      if (limit.signal.aborted) {
        throw new GcpApiError('TimeoutError', undefined, undefined, `no complete answer within ${this.timeouts.requestMs} ms (timeouts.requestMs)`);
      }
      throw toApiError(error);
    } finally {
      clearTimeout(timer);
      at.signal.removeEventListener('abort', stop);
    }
    validateResponse(call.operation, call.schema, data);
    call.accept?.(data as T);
    return data as T;
  }

  /** One request, retried while its faults are transient; its page is kept once it is valid. Throws GcpApiError, InvalidResponseError. */
  async send<T>(at: Reading, call: Call<T>): Promise<{ body: T; path: string }> {
    const { value: body, attempts } = await withRetries(() => this.attempt(at, call), {
      ...this.retry,
      classify: classifyFault,
      signal: at.signal,
    });
    const path = await at.recorder.page(call.operation, call.parameters, body, { records: call.records(body), attempts });
    return { body, path };
  }

  /** Follows `nextPageToken` to the end under a `PageGuard`; a page that repeats a record already read stops it too. */
  async list<T extends { nextPageToken?: string | null }, Item>(at: Reading, listing: Listing<T, Item>): Promise<Array<Located<Item>>> {
    const guard = new PageGuard(listing.operation, this.paging);
    const seen = new Set<string>();
    const out: Array<Located<Item>> = [];
    let pageToken: string | undefined;
    for (let page = 1; ; page++) {
      const token = pageToken;
      const { body, path } = await this.send<T>(at, {
        ...listing,
        records: (b) => listing.items(b)?.length ?? 0,
        send: (options) => listing.send(token, options),
        // Before the page is kept, so that a listing whose last kept page names no next one is always whole.
        accept: (b) => {
          const onPage = new Set<string>();
          listing.items(b)?.forEach((item, index) => {
            const key = listing.key(item);
            if (seen.has(key) || onPage.has(key)) {
              throw new PagingError(listing.operation, 'repeated-cursor', `page ${page} repeats a record already read (item ${index}): its cursor led back to a page already read`);
            }
            onPage.add(key);
          });
        },
      });
      const items = listing.items(body) ?? [];
      for (const item of items) seen.add(listing.key(item));
      out.push(...locate(path, listing.field, items));
      pageToken = guard.next({ items: items.length, cursor: body.nextPageToken });
      if (pageToken === undefined) return out;
    }
  }
}
