import type { FaultDialect, WireResponse } from '../../../src/sdk/index.js';
import { googleError, type Reply, type Request } from './routes.js';

/** How Google's REST APIs express each injected fault, for one request: JSON bodies, `pageToken` paging. */

export function wire(reply: Reply): WireResponse {
  return { status: reply.status, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: JSON.stringify(reply.body) };
}

type Body = Record<string, unknown>;

function edit(response: WireResponse, change: (body: Body) => Body | undefined): WireResponse | undefined {
  const changed = change(JSON.parse(response.body) as Body);
  return changed && { ...response, body: JSON.stringify(changed) };
}

export function googleDialect(request: Request): FaultDialect {
  const { listing, records } = request;
  return {
    throttle: () =>
      wire(
        googleError(429, "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute'.", [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com' },
        ]),
      ),
    serverError: () => wire(googleError(503, 'The service is currently unavailable.')),
    emptyObject: (response) => ({ ...response, body: '{}' }),
    // The token that reached this page, again: only a page reached by a token has one to repeat.
    repeatCursor: (response) =>
      listing?.token === undefined ? undefined : edit(response, (body) => ({ ...body, nextPageToken: listing.token })),
    // A new token to the place just read, the first page included.
    selfLink: (response) =>
      listing?.offset === undefined ? undefined : edit(response, (body) => ({ ...body, nextPageToken: listing.tokenTo(listing.offset!, true) })),
    emptyPageMore: (response) =>
      listing?.offset === undefined
        ? undefined
        : edit(response, ({ [listing.field]: _items, ...rest }) => ({ ...rest, nextPageToken: listing.tokenTo(listing.offset!, true) })),
    dropField: (response) =>
      records &&
      edit(response, (body) => {
        // A single resource (a role): the field is dropped from the body itself.
        if (records.field === '') return records.identifying in body ? (({ [records.identifying]: _dropped, ...rest }) => rest)(body) : undefined;
        const items = body[records.field];
        if (!Array.isArray(items) || items.length === 0) return undefined;
        return { ...body, [records.field]: items.map(({ [records.identifying]: _dropped, ...rest }: Body) => rest) };
      }),
  };
}
