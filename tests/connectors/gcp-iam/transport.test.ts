import http from 'node:http';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { classifyFault, GcpApiError, toApiError, withConnectTimeout } from '../../../connectors/gcp-iam/transport.js';
import { InvalidResponseError, PagingError } from '../../../src/sdk/index.js';

/** A gaxios error as it reaches the transport: a response with fetch Headers and Google's error body. */
function gaxiosError(status: number, headers: Record<string, string>, data: unknown): Error {
  return Object.assign(new Error(`Request failed with status code ${status}`), { status, response: { status, headers: new Headers(headers), data } });
}

describe('which faults are retried', () => {
  it("honours a 429's Retry-After, in seconds", () => {
    const error = toApiError(gaxiosError(429, { 'retry-after': '7' }, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' } }));
    expect(error).toMatchObject({ code: 'RESOURCE_EXHAUSTED', httpStatus: 429, retryAfterMs: 7000 });
    expect(classifyFault(error)).toEqual({ retry: true, afterMs: 7000 });
  });

  it('retries 5xx, an HTML error page from a proxy, resets, timeouts and invalid bodies; not refusals or paging faults', () => {
    expect(classifyFault(toApiError(gaxiosError(503, {}, { error: { code: 503, status: 'UNAVAILABLE' } })))).toEqual({ retry: true });
    expect(classifyFault(toApiError(gaxiosError(502, { 'content-type': 'text/html' }, '<html>Bad gateway</html>')))).toEqual({ retry: true });
    expect(classifyFault(toApiError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })))).toEqual({ retry: true });
    expect(classifyFault(new GcpApiError('TimeoutError', undefined, undefined, 'no complete answer'))).toEqual({ retry: true });
    expect(classifyFault(new InvalidResponseError('iam.projects.serviceAccounts.list', ['(body): expected object']))).toEqual({ retry: true });
    // A Retry-After on a refusal does not make it worth another attempt.
    expect(classifyFault(toApiError(gaxiosError(403, { 'retry-after': '1' }, { error: { code: 403, status: 'PERMISSION_DENIED' } })))).toEqual({ retry: false });
    expect(classifyFault(toApiError(gaxiosError(400, {}, { error: { code: 400, status: 'INVALID_ARGUMENT' } })))).toEqual({ retry: false });
    expect(classifyFault(new PagingError('iam.projects.serviceAccounts.list', 'repeated-cursor', 'page 2 repeats'))).toEqual({ retry: false });
  });
});

describe('connect timeout', () => {
  it('fails a connection that is not up in time with ETIMEDOUT, which is retried', async () => {
    // A connection that never comes up: what a black-holed address or a full backlog looks like to the client.
    class Stalled extends http.Agent {
      override createConnection(): Duplex {
        return new Duplex({ read() {}, write() {} });
      }
    }
    const agent = withConnectTimeout(new Stalled(), 50);
    const error = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const request = http.get({ agent, host: '127.0.0.1', port: 9, path: '/' }, () => reject(new Error('answered')));
      request.on('error', resolve);
    });
    expect(error).toMatchObject({ code: 'ETIMEDOUT', message: 'no connection within 50 ms (timeouts.connectMs)' });
    expect(classifyFault(toApiError(error))).toEqual({ retry: true });
  });
});
