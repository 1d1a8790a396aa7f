// @ts-check
import { InvalidResponseError, PageGuard, validateResponse, withRetries, z } from 'nhi-audit/sdk';

/*
 * The API calls: every request carries the source's timeouts and its abort signal, transient faults are retried
 * with back-off, every page is validated for the fields the normalizer reads, kept as evidence, and followed
 * through a PageGuard so a listing that cannot end is an error rather than a short population.
 */

const KeySchema = z.object({
  id: z.string(),
  status: z.enum(['active', 'inactive']),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  expires_at: z.string().nullable(),
});

const AccountSchema = z.object({
  id: z.string(),
  name: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  owner: z.string().nullable(),
  role: z.string(),
  disabled: z.boolean(),
  keys: z.array(KeySchema),
});

const PageSchema = z.object({ items: z.array(AccountSchema), next_cursor: z.string().nullable() });
const CountSchema = z.object({ total: z.number().int().nonnegative() });

/** @typedef {z.output<typeof AccountSchema>} Account */

/** An HTTP answer that is not a success, shaped as the SDK's retry judgement reads it (status, retry-after). */
class HttpError extends Error {
  /** @param {number} status @param {Record<string, string>} headers @param {string} operation */
  constructor(status, headers, operation) {
    super(`${operation}: HTTP ${status}`);
    this.status = status;
    this.response = { status, headers };
  }
}

export class ApiClient {
  /**
   * @param {import('./config.js').Config} config
   * @param {string} token
   * @param {import('nhi-audit/sdk').ConnectContext} context
   */
  constructor(config, token, context) {
    this.config = config;
    this.token = token;
    this.context = context;
    this.scope = config.scope;
  }

  /**
   * One GET, retried when transient; returns the parsed body and how many attempts it took.
   * @param {string} operation @param {string} path @param {AbortSignal} [signal]
   */
  async get(operation, path, signal) {
    const { timeouts } = this.context;
    return withRetries(
      async () => {
        const signals = [AbortSignal.timeout(timeouts.requestMs), ...(signal ? [signal] : [])];
        const response = await fetch(new URL(path, this.config.baseUrl), {
          headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
          signal: AbortSignal.any(signals),
        });
        const text = await response.text();
        if (!response.ok) throw new HttpError(response.status, Object.fromEntries(response.headers), operation);
        try {
          return JSON.parse(text);
        } catch (error) {
          // A truncated body, or a proxy's HTML page: a fault of this operation, retried, never an empty page.
          throw new InvalidResponseError(operation, [`the body is not JSON (${/** @type {Error} */ (error).message})`]);
        }
      },
      { ...this.config.retry, ...(signal ? { signal } : {}) },
    );
  }

  /**
   * The service accounts, page by page, each page kept as evidence.
   * @param {import('nhi-audit/sdk').ScopeRecorder} scope
   * @returns {AsyncGenerator<{ items: Account[]; rawRef: string }>}
   */
  async *serviceAccounts(scope) {
    const operation = 'ListServiceAccounts';
    const guard = new PageGuard(operation, this.context.paging);
    const parameters = { pageSize: this.config.pageSize };
    /** @type {string | undefined} */
    let cursor;
    do {
      const query = new URLSearchParams({ page_size: String(this.config.pageSize), ...(cursor ? { cursor } : {}) });
      const { value, attempts } = await this.get(operation, `/v1/service-accounts?${query}`, signalOf(this.context));
      const page = validateResponse(operation, PageSchema, value);
      const rawRef = await scope.page(operation, parameters, value, { records: page.items.length, attempts });
      yield { items: page.items, rawRef };
      cursor = guard.next({ items: page.items.length, cursor: page.next_cursor });
    } while (cursor);
  }

  /** @param {import('nhi-audit/sdk').ScopeRecorder} scope */
  async count(scope) {
    const operation = 'CountServiceAccounts';
    const { value, attempts } = await this.get(operation, '/v1/service-accounts/count', signalOf(this.context));
    const { total } = validateResponse(operation, CountSchema, value);
    await scope.page(operation, {}, value, { records: 1, attempts });
    return total;
  }
}

/** The collection's abort signal, when the context is a collection's. @param {object} context */
function signalOf(context) {
  return 'signal' in context && context.signal instanceof AbortSignal ? context.signal : undefined;
}
