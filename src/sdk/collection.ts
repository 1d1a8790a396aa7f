import { z } from 'zod';
import { formatPath } from './errors.js';

/**
 * The collection contract every connector follows (DESIGN.md §4): responses validated before use, paging
 * guarded, every request time-limited, transient faults retried with back-off. A connector that meets a fault
 * it cannot recover from throws one of these errors; the scope it was reading ends `incomplete`, naming the
 * operation and the reason, and never silently short.
 */

/** Time limits of one source; every connector takes them as its `timeouts` setting. */
export const TimeoutsSchema = z
  .object({
    /** Until the TCP (and TLS) connection is up. */
    connectMs: z.number().int().positive().default(10_000),
    /** From sending a request until its whole response has arrived. */
    requestMs: z.number().int().positive().default(30_000),
    /** The whole source, every scope and retry included; what is still in flight then is aborted. */
    sourceMs: z.number().int().positive().default(3_600_000),
  })
  .strict()
  .describe('time limits: a hung connection is retried, then ends the scope incomplete naming the operation');
export type Timeouts = z.output<typeof TimeoutsSchema>;

/** Paging limits of one source; every connector takes them as its `paging` setting. */
export const PagingSchema = z
  .object({
    /** Pages one listing may take before it is judged runaway (a provider that keeps saying "more"). */
    maxPages: z.number().int().positive().default(10_000),
    /** Consecutive empty pages that still claim more before the listing is judged stuck. */
    maxEmptyPages: z.number().int().nonnegative().default(2),
  })
  .strict()
  .describe('paging guards: a repeated cursor, a stuck or runaway listing ends the scope incomplete');
export type Paging = z.output<typeof PagingSchema>;

export const DEFAULT_PAGING: Paging = PagingSchema.parse({});
export const DEFAULT_TIMEOUTS: Timeouts = TimeoutsSchema.parse({});

export type PagingFault = 'repeated-cursor' | 'empty-pages-claim-more' | 'more-without-cursor' | 'page-budget';

/** A listing that cannot be followed to its end: never transient, the scope is incomplete. */
export class PagingError extends Error {
  override readonly name = 'PagingError';
  readonly code: PagingFault;
  constructor(
    readonly operation: string,
    reason: PagingFault,
    message: string,
  ) {
    super(`${operation}: ${message}`);
    this.code = reason;
  }
}

/** One page as the guard sees it: how many items it held and what it says about the next one. */
export interface PageSignal {
  items: number;
  /** The token, marker or URL that leads to the next page; absent or empty when there is none. */
  cursor?: string | null | undefined;
  /** Whether the page claims more (AWS `IsTruncated`, GraphQL `hasNextPage`); defaults to "a cursor is present". */
  more?: boolean | null | undefined;
}

/**
 * Follows one listing page by page and stops it when it cannot end: a cursor seen before, more than
 * `maxEmptyPages` empty pages in a row that still claim more, "more" without a cursor, or more than `maxPages`.
 */
export class PageGuard {
  private readonly cursors = new Set<string>();
  private pages = 0;
  private emptyRun = 0;

  constructor(
    readonly operation: string,
    private readonly limits: Paging = DEFAULT_PAGING,
  ) {}

  /**
   * Records the address a page was read from when no cursor led there: a link-paged listing's first page has
   * one, and a next link back to it is as much a repeat as any other.
   */
  visited(cursor: string): void {
    this.cursors.add(cursor);
  }

  /** Checks the page just read; returns the cursor to follow, or undefined when the listing is done. */
  next(page: PageSignal): string | undefined {
    this.pages += 1;
    const cursor = page.cursor ? page.cursor : undefined;
    const more = page.more ?? cursor !== undefined;
    if (!more) return undefined;
    if (cursor === undefined) {
      throw new PagingError(this.operation, 'more-without-cursor', `page ${this.pages} says more results follow but gives no cursor to them`);
    }
    if (this.cursors.has(cursor)) {
      throw new PagingError(this.operation, 'repeated-cursor', `page ${this.pages} leads back to a page already read (its cursor repeats)`);
    }
    this.cursors.add(cursor);
    this.emptyRun = page.items === 0 ? this.emptyRun + 1 : 0;
    if (this.emptyRun > this.limits.maxEmptyPages) {
      throw new PagingError(this.operation, 'empty-pages-claim-more', `${this.emptyRun} empty pages in a row still claim more results`);
    }
    if (this.pages >= this.limits.maxPages) {
      throw new PagingError(this.operation, 'page-budget', `still more after ${this.pages} pages, the budget of paging.maxPages`);
    }
    return cursor;
  }
}

/**
 * A response that is not what the operation returns: a body that is not the expected JSON or XML, a wrong type,
 * a missing field the normalizer reads, a truncated body. Retried as transient (proxies and load balancers
 * garble single responses); when it persists the scope is incomplete.
 */
export class InvalidResponseError extends Error {
  override readonly name = 'InvalidResponseError';
  readonly code = 'InvalidResponse';
  constructor(
    readonly operation: string,
    readonly problems: readonly string[],
  ) {
    super(`${operation}: the response is not what the operation returns: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
  }
}

/**
 * Checks a response body for the fields its normalizer reads and returns it typed. Problems name paths and
 * expected types only, never values, so a garbled response cannot carry a secret into a log line.
 */
export function validateResponse<Schema extends z.ZodType>(operation: string, schema: Schema, body: unknown): z.output<Schema> {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    throw new InvalidResponseError(operation, [`a ${typeof body === 'string' ? 'text' : 'binary'} body where a parsed object was expected (not JSON, or the wrong content type)`]);
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new InvalidResponseError(
    operation,
    parsed.error.issues.map((issue) => `${formatPath(issue.path) || '(body)'}: ${describeIssue(issue)}`),
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_value') return 'not one of the values the provider documents';
  if (issue.code === 'too_small' || issue.code === 'too_big') return 'out of the documented range';
  if (issue.code === 'invalid_format') return `not a valid ${issue.format}`;
  return issue.code.replaceAll('_', ' ');
}

export interface RetrySettings {
  /** Attempts in all, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** What a retry loop needs to know about a failure. */
export interface RetryDecision {
  retry: boolean;
  /** The provider's `Retry-After`, in milliseconds, when it gave one. */
  afterMs?: number;
}

export interface RetryOptions extends RetrySettings {
  /** Whether a failure may succeed when tried again; the default is `isTransientFault`. */
  classify?: (error: unknown) => RetryDecision;
  signal?: AbortSignal;
  /** Called before each retry, for the manifest's retry count. */
  onRetry?: (error: unknown, attempt: number) => void;
  random?: () => number;
}

/** Codes of Node's network errors and fetch/undici timeouts that a second attempt can cure. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'TimeoutError', 'RequestTimeout',
]);

function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return code;
    if (typeof name === 'string' && TRANSIENT_CODES.has(name)) return name;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The HTTP status a client library put on its error, under whichever name it uses. */
export function httpStatusOf(error: unknown): number | undefined {
  const e = error as { status?: unknown; statusCode?: unknown; httpStatus?: unknown; response?: { status?: unknown }; $metadata?: { httpStatusCode?: unknown } };
  const status = e?.status ?? e?.statusCode ?? e?.httpStatus ?? e?.response?.status ?? e?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The default judgement: invalid responses, network resets and timeouts, 408, 429 and 5xx are worth another
 * attempt; paging faults, aborts and every other refusal are not.
 */
export function isTransientFault(error: unknown): RetryDecision {
  if (error instanceof PagingError) return { retry: false };
  if ((error as { name?: unknown })?.name === 'AbortError') return { retry: false };
  if (error instanceof InvalidResponseError || error instanceof SyntaxError) return { retry: true };
  if (codeOf(error)) return { retry: true };
  const status = httpStatusOf(error);
  if (status === 408 || status === 429 || (status !== undefined && status >= 500)) {
    const header = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers?.['retry-after'];
    const seconds = typeof header === 'string' || typeof header === 'number' ? Number(header) : NaN;
    return { retry: true, ...(Number.isFinite(seconds) && seconds >= 0 ? { afterMs: seconds * 1000 } : {}) };
  }
  return { retry: false };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, a failure is not transient, or the attempts are used up; waits between
 * attempts with capped exponential back-off and full jitter, or the provider's `Retry-After` when longer.
 * Returns the result and how many attempts it took, for the manifest.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<{ value: T; attempts: number }> {
  const classify = options.classify ?? isTransientFault;
  const random = options.random ?? Math.random;
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), attempts: n };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const decision = classify(error);
      if (!decision.retry || n >= options.attempts) throw error;
      options.onRetry?.(error, n);
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (n - 1));
      await sleep(Math.max(decision.afterMs ?? 0, Math.floor(random() * ceiling)), options.signal);
    }
  }
}
