// @ts-check
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { applyFault, FaultPlan } from 'nhi-audit/sdk';

/*
 * A local stand-in for the system's API over a dataset file, answering as the real one does (cursor paging, bearer
 * token, the count endpoint), with nhi-audit's fault vocabulary: `nhi-audit demo --fault __CONNECTOR_ID__:*:5xx:1`.
 * Replace the routes with the real API's when you point this connector at a real system.
 */

/** @typedef {{ accounts: Record<string, unknown>[] }} Dataset */
/** @typedef {import('nhi-audit/sdk').WireResponse} WireResponse */

/** @param {number} status @param {unknown} body @param {Record<string, string>} [headers] @returns {WireResponse} */
function json(status, body, headers = {}) {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** A cursor names a position; a fresh nonce makes each one new, as real APIs' opaque cursors are. @param {number} offset */
function cursorAt(offset) {
  return Buffer.from(`${offset}:${randomBytes(4).toString('hex')}`).toString('base64url');
}

/** @param {string | null} cursor */
function offsetOf(cursor) {
  return cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8').split(':')[0]) || 0 : 0;
}

/**
 * How this API expresses each fault; paging faults rewrite the page just computed.
 * @param {string | null} requested the cursor of the request being answered
 * @returns {import('nhi-audit/sdk').FaultDialect}
 */
function dialect(requested) {
  /** @param {WireResponse} response @param {(page: any) => void} change */
  const rewrite = (response, change) => {
    const page = JSON.parse(response.body);
    if (!Array.isArray(page.items)) return undefined;
    change(page);
    return { ...response, body: JSON.stringify(page) };
  };
  return {
    throttle: () => json(429, { error: 'rate_limited', message: 'Too many requests' }, { 'retry-after': '1' }),
    serverError: () => json(503, { error: 'unavailable', message: 'Service unavailable' }),
    emptyObject: (response) => ({ ...response, body: '{}' }),
    repeatCursor: (response) => rewrite(response, (page) => (page.next_cursor = requested ?? cursorAt(0))),
    selfLink: (response) => rewrite(response, (page) => (page.next_cursor = requested ?? cursorAt(0))),
    emptyPageMore: (response) => rewrite(response, (page) => ((page.items = []), (page.next_cursor = cursorAt(offsetOf(requested))))),
    dropField: (response) => rewrite(response, (page) => page.items.forEach((/** @type {Record<string, unknown>} */ item) => delete item.id)),
  };
}

/**
 * @param {{ dataset: Dataset; token: string; faults?: FaultPlan }} options
 * @returns {Promise<{ url: string; faults: FaultPlan; close(): Promise<void> }>}
 */
export async function startSandbox(options) {
  const faults = options.faults ?? new FaultPlan('__CONNECTOR_ID__');
  const accounts = options.dataset.accounts;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    /** @param {import('nhi-audit/sdk').FaultOutcome} outcome */
    const send = (outcome) => {
      if (outcome.action === 'reset') return req.socket.destroy();
      if (outcome.action === 'hang') return;
      res.writeHead(outcome.response.status, outcome.response.headers).end(outcome.response.body);
    };
    if (req.headers.authorization !== `Bearer ${options.token}`) return send({ action: 'respond', response: json(401, { error: 'unauthorized' }) });
    const cursor = url.searchParams.get('cursor');
    /** @type {[string, string, () => WireResponse] | undefined} */
    const route =
      req.method === 'GET' && url.pathname === '/v1/service-accounts'
        ? ['ListServiceAccounts', String(offsetOf(cursor)), () => {
            const size = Number(url.searchParams.get('page_size') ?? 100);
            const offset = offsetOf(cursor);
            const items = accounts.slice(offset, offset + size);
            return json(200, { items, next_cursor: offset + size < accounts.length ? cursorAt(offset + size) : null });
          }]
        : req.method === 'GET' && url.pathname === '/v1/service-accounts/count'
          ? ['CountServiceAccounts', '', () => json(200, { total: accounts.length })]
          : undefined;
    if (!route) return send({ action: 'respond', response: json(404, { error: 'not_found' }) });
    const [operation, key, answer] = route;
    const fault = faults.take(operation, key);
    send(fault ? applyFault(fault, dialect(cursor), answer) : { action: 'respond', response: answer() });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    faults,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve(undefined)); }),
  };
}

/** @param {string} file @returns {Promise<Dataset>} */
export async function loadDataset(file) {
  return JSON.parse(await readFile(file, 'utf8'));
}

export const DEMO_TOKEN_ENV = '__ENV_PREFIX___DEMO_TOKEN';

/**
 * `nhi-audit demo` and `nhi-audit sandbox`: serves `<datasetDir>/dataset.json` and points this connector's sources at it.
 * @type {import('nhi-audit/sdk').SandboxModule['startDemo']}
 */
export async function startDemo(datasetDir, options) {
  const token = randomBytes(16).toString('hex');
  const faults = new FaultPlan('__CONNECTOR_ID__', options.faults ?? []);
  const sandbox = await startSandbox({ dataset: await loadDataset(path.join(datasetDir, 'dataset.json')), token, faults });
  return { sourceOverrides: { baseUrl: sandbox.url, tokenEnv: DEMO_TOKEN_ENV, retry: { baseDelayMs: 10 } }, env: { [DEMO_TOKEN_ENV]: token }, faults, close: sandbox.close };
}
