import type { FaultDialect, WireResponse } from '../../../src/sdk/index.js';
import { graphError, type GraphRequest, type Reply } from './graph.js';

/** How Microsoft Graph expresses each injected fault, for one request: OData JSON, `@odata.nextLink` paging. */

export function wire(reply: Reply): WireResponse {
  return {
    status: reply.status,
    headers: { 'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8', ...reply.headers },
    body: JSON.stringify(reply.body),
  };
}

type Body = Record<string, unknown>;

function edit(response: WireResponse, change: (body: Body) => Body | undefined): WireResponse | undefined {
  const changed = change(JSON.parse(response.body) as Body);
  return changed && { ...response, body: JSON.stringify(changed) };
}

export function graphDialect(request: GraphRequest, retryAfterSeconds: number): FaultDialect {
  const { listing } = request;
  return {
    // Graph's throttling answer carries Retry-After in seconds.
    throttle: () =>
      wire({
        ...graphError(429, 'TooManyRequests', 'Too many requests. Please retry after the time specified in the Retry-After header.'),
        headers: { 'retry-after': String(retryAfterSeconds) },
      }),
    serverError: () => wire(graphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.')),
    emptyObject: (response) => ({ ...response, body: '{}' }),
    // The link that reached this page, again: only a page reached by a link has one to repeat.
    repeatCursor: (response) => (listing?.followed ? edit(response, (body) => ({ ...body, '@odata.nextLink': listing.self })) : undefined),
    selfLink: (response) => listing && edit(response, (body) => ({ ...body, '@odata.nextLink': listing.self })),
    emptyPageMore: (response) => listing && edit(response, (body) => ({ ...body, value: [], '@odata.nextLink': listing.linkTo(listing.offset) })),
    dropField: (response) =>
      edit(response, (body) => {
        const items = body.value;
        if (!Array.isArray(items) || items.length === 0) return undefined;
        return { ...body, value: items.map(({ id: _dropped, ...rest }: Body) => rest) };
      }),
  };
}
