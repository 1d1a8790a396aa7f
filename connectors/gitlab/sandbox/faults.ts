import type { FaultDialect, WireResponse } from '../../../src/sdk/index.js';
import type { Operation } from '../operations.js';

/*
 * How GitLab says each fault of the shared vocabulary (src/sdk/faults.ts): its rate-limit answer (429 with the
 * RateLimit-* headers and Retry-After, as its Rack::Attack throttles send it), its 500, and, for the paging
 * faults, the `Link` and `X-Next-Page` headers of offset paging.
 */

/** The query parameter that makes a next link fresh without moving it; the sandbox's paging ignores it. */
export const NONCE_PARAMETER = 'nonce';

/** Where a request reads: its path and page, whatever fresh-making parameter it carries. */
export function position(url: URL): string {
  return `${url.pathname} page=${url.searchParams.get('page') ?? '1'} per_page=${url.searchParams.get('per_page') ?? ''}`;
}

function throttled(retryAfterSeconds: number, nowSeconds: number): WireResponse {
  const reset = nowSeconds + retryAfterSeconds;
  return {
    status: 429,
    headers: {
      'content-type': 'text/plain',
      'ratelimit-name': 'throttle_authenticated_api',
      'ratelimit-limit': '2000',
      'ratelimit-observed': '2001',
      'ratelimit-remaining': '0',
      'ratelimit-reset': String(reset),
      'ratelimit-resettime': new Date(reset * 1000).toUTCString(),
      'retry-after': String(retryAfterSeconds),
    },
    body: 'Retry later\n',
  };
}

export interface FaultRequest {
  operation: Operation;
  url: URL;
  nowSeconds: number;
  /** A number not used before, for a fresh cursor. */
  nonce(): number;
}

/** A response whose `Link: rel="next"` and `X-Next-Page` lead to `target`. */
function leadingTo(response: WireResponse, target: URL): WireResponse {
  const others = (response.headers.link ?? '').split(/,\s*(?=<)/).filter((part) => part && !/rel="next"/.test(part));
  return {
    ...response,
    headers: { ...response.headers, link: [`<${target.href}>; rel="next"`, ...others].join(', '), 'x-next-page': target.searchParams.get('page') ?? '1' },
  };
}

export function gitlabDialect(request: FaultRequest): FaultDialect {
  const { operation, url } = request;
  const json = (status: number, message: string): WireResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) });
  const list = operation.list;
  return {
    throttle: () => throttled(1, request.nowSeconds),
    serverError: () => json(500, '500 Internal Server Error'),
    emptyObject: (real) => ({ ...real, body: '{}' }),
    // An offset cursor is the next page's address, so leading back to the page just read is pointing at itself.
    repeatCursor: (real) => (list ? leadingTo(real, url) : undefined),
    selfLink: (real) => (list ? leadingTo(real, url) : undefined),
    emptyPageMore: (real) => {
      if (!list) return undefined;
      const again = new URL(url.href);
      again.searchParams.set(NONCE_PARAMETER, String(request.nonce()));
      if (!again.searchParams.has('page')) again.searchParams.set('page', '1');
      return leadingTo({ ...real, body: '[]' }, again);
    },
    dropField: (real) => {
      const body = JSON.parse(real.body) as unknown;
      const targets = (Array.isArray(body) ? body : [body]) as Record<string, unknown>[];
      for (const target of targets) delete target[operation.names];
      return targets.length > 0 ? { ...real, body: JSON.stringify(body) } : undefined;
    },
  };
}
