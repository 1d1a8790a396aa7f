// @ts-check
import { generateKeyPairSync, randomUUID, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { applyFault, FaultPlan } from 'nhi-audit/sdk';
import { jwtAccount, publicKeyFingerprint } from '../auth.js';
import { SandboxAccount } from './account.js';

/*
 * A local Snowflake SQL API v2 over a dataset: POST /api/v2/statements runs a statement and answers with its first
 * partition and resultSetMetaData (partitionInfo, rowType); GET /api/v2/statements/{handle}?partition=N answers the
 * others. Requests must carry a key-pair JWT (X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT) signed by a key the
 * sandbox knows for the user it names. Faults: `nhi-audit demo --fault snowflake:ShowUsers:5xx:1`.
 */

/** @typedef {import('nhi-audit/sdk').WireResponse} WireResponse */
/** @typedef {import('./account.js').Dataset} Dataset */

/** @param {number} status @param {unknown} body @param {Record<string, string>} [headers] @returns {WireResponse} */
function json(status, body, headers = {}) {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** How the SQL API expresses each fault; results are numbered partitions, so there is no cursor to repeat. @type {import('nhi-audit/sdk').FaultDialect} */
const dialect = {
  throttle: () => json(429, { message: 'Too many requests. Retry the request later.' }, { 'retry-after': '1' }),
  serverError: () => json(503, { message: 'Service Unavailable' }),
  emptyObject: (response) => ({ ...response, body: '{}' }),
  repeatCursor: () => undefined,
  selfLink: () => undefined,
  emptyPageMore: (response) => ({ ...response, body: JSON.stringify({ ...JSON.parse(response.body), data: [] }) }),
  dropField: (response) => {
    const page = JSON.parse(response.body);
    return { ...response, body: JSON.stringify({ ...page, data: page.data.map((/** @type {unknown[]} */ row) => row.slice(0, -1)) }) };
  },
};

/**
 * Checks a key-pair JWT as Snowflake does: RS256, issued by ACCOUNT.USER.SHA256:<fingerprint> of a key registered for
 * that user, for ACCOUNT.USER, unexpired and valid for at most an hour. Returns the user, or why not.
 * @param {string | undefined} header
 * @param {string} account
 * @param {Map<string, import('node:crypto').KeyObject>} keys
 */
function authenticate(header, account, keys) {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  if (!token) return { error: 'missing bearer token' };
  const [head, body, signature] = token.split('.');
  try {
    const claims = JSON.parse(Buffer.from(body ?? '', 'base64url').toString('utf8'));
    const alg = JSON.parse(Buffer.from(head ?? '', 'base64url').toString('utf8')).alg;
    const [claimedAccount, user] = String(claims.sub).split('.');
    const key = user ? keys.get(user) : undefined;
    const now = Math.floor(Date.now() / 1000);
    if (alg !== 'RS256' || claimedAccount !== jwtAccount(account) || !key) return { error: 'unknown account or user' };
    if (claims.iss !== `${claims.sub}.${publicKeyFingerprint(key)}`) return { error: 'issuer does not name the user\'s public key fingerprint' };
    if (!(claims.exp > now && claims.exp - claims.iat <= 3600)) return { error: 'expired, or valid for more than an hour' };
    if (!verify('RSA-SHA256', Buffer.from(`${head}.${body}`), key, Buffer.from(signature ?? '', 'base64url'))) return { error: 'bad signature' };
    return { user };
  } catch {
    return { error: 'malformed token' };
  }
}

/**
 * @param {{ dataset: Dataset; now: Date; keys: Map<string, import('node:crypto').KeyObject>; partitionRows?: number; faults?: FaultPlan }} options
 * @returns {Promise<{ url: string; faults: FaultPlan; statements: string[]; close(): Promise<void> }>}
 */
export async function startSnowflakeSandbox(options) {
  const faults = options.faults ?? new FaultPlan('snowflake');
  const fingerprints = new Map([...options.keys].map(([user, key]) => [user, publicKeyFingerprint(key)]));
  const account = new SandboxAccount(options.dataset, options.now, fingerprints);
  const partitionRows = options.partitionRows ?? 1000;
  /** @type {Map<string, { operation: string; statement: string; partitions: (string | null)[][][] }>} */
  const results = new Map();
  /** @type {string[]} */
  const statements = [];

  /** @param {http.IncomingMessage} req @param {string} text @returns {[string, string, () => WireResponse] | WireResponse} */
  const route = (req, text) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (req.method === 'POST' && url.pathname === '/api/v2/statements') {
      let statement = '';
      try {
        statement = String(JSON.parse(text).statement ?? '');
      } catch {
        return json(400, { code: '391902', message: 'Unable to parse the request body.' });
      }
      statements.push(statement);
      const answer = account.run(statement);
      const operation = 'operation' in answer ? answer.operation : 'Statement';
      return [operation, `${statement}#0`, () => {
        if ('error' in answer) return json(answer.error.status, { ...answer.error, statementHandle: randomUUID() });
        const handle = randomUUID();
        const partitions = [];
        for (let i = 0; i === 0 || i < answer.rows.length; i += partitionRows) partitions.push(answer.rows.slice(i, i + partitionRows));
        results.set(handle, { operation, statement, partitions });
        const requestId = url.searchParams.get('requestId') ?? randomUUID();
        const link = (/** @type {number} */ n) => `</api/v2/statements/${handle}?requestId=${requestId}&partition=${n}>`;
        return json(
          200,
          {
            resultSetMetaData: {
              numRows: answer.rows.length,
              format: 'jsonv2',
              partitionInfo: partitions.map((rows) => ({ rowCount: rows.length, uncompressedSize: Buffer.byteLength(JSON.stringify(rows)) })),
              rowType: answer.columns.map((c) => ({ name: c.name, database: '', schema: '', table: '', type: c.type, byteLength: c.type === 'text' ? 16777216 : null, length: c.type === 'text' ? 16777216 : null, scale: c.type === 'fixed' ? 0 : c.type === 'timestamp_ltz' ? 9 : null, precision: c.type === 'fixed' ? 18 : c.type === 'timestamp_ltz' ? 0 : null, nullable: true, collation: null })),
            },
            data: partitions[0],
            code: '090001',
            statementStatusUrl: `/api/v2/statements/${handle}?requestId=${requestId}`,
            requestId,
            sqlState: '00000',
            statementHandle: handle,
            message: 'Statement executed successfully.',
            createdOn: Date.now(),
          },
          { link: [`${link(0)}; rel="first"`, ...(partitions.length > 1 ? [`${link(1)}; rel="next"`] : []), `${link(partitions.length - 1)}; rel="last"`].join(',') },
        );
      }];
    }
    const handle = /^\/api\/v2\/statements\/([0-9a-f-]+)$/.exec(url.pathname)?.[1];
    const result = handle ? results.get(handle) : undefined;
    if (req.method === 'GET' && result) {
      const partition = Number(url.searchParams.get('partition') ?? 0);
      return [result.operation, `${result.statement}#${partition}`, () => {
        const data = result.partitions[partition];
        return data ? json(200, { data }) : json(422, { code: '000605', message: `Partition ${partition} does not exist.` });
      }];
    }
    return json(404, { code: '390404', message: 'Not found.' });
  };

  const server = http.createServer((req, res) => {
    const chunks = /** @type {Buffer[]} */ ([]);
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      /** @param {import('nhi-audit/sdk').FaultOutcome} outcome */
      const send = (outcome) => {
        if (outcome.action === 'reset') return void req.socket.destroy();
        if (outcome.action === 'hang') return;
        res.writeHead(outcome.response.status, outcome.response.headers).end(outcome.response.body);
      };
      const auth = req.headers['x-snowflake-authorization-token-type'] === 'KEYPAIR_JWT' ? authenticate(req.headers.authorization, options.dataset.account, options.keys) : { error: 'not a KEYPAIR_JWT' };
      if ('error' in auth) return send({ action: 'respond', response: json(401, { code: '390144', message: 'JWT token is invalid.' }) });
      const routed = route(req, Buffer.concat(chunks).toString('utf8'));
      if (!Array.isArray(routed)) return send({ action: 'respond', response: routed });
      const [operation, key, answer] = routed;
      const fault = faults.take(operation, key);
      send(fault ? applyFault(fault, dialect, answer) : { action: 'respond', response: answer() });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    faults,
    statements,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

/** @param {string} file @returns {Promise<Dataset>} */
export async function loadSnowflakeDataset(file) {
  return JSON.parse(await readFile(file, 'utf8'));
}

export const DEMO_PRIVATE_KEY_ENV = 'NHI_DEMO_SNOWFLAKE_PRIVATE_KEY';

/**
 * `nhi-audit demo` and `nhi-audit sandbox`: serves `<datasetDir>/dataset.json`, with a key pair made now for the
 * source's user (`collector` in the dataset), whose private key the connector reads from an environment variable.
 * @type {import('nhi-audit/sdk').SandboxModule['startDemo']}
 */
export async function startDemo(datasetDir, options) {
  const dataset = await loadSnowflakeDataset(path.join(datasetDir, 'dataset.json'));
  const collector = /** @type {{ collector?: string }} */ (dataset).collector ?? 'NHI_AUDIT_READER';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const faults = new FaultPlan('snowflake', options.faults ?? []);
  const sandbox = await startSnowflakeSandbox({ dataset, now: options.now, keys: new Map([[collector, publicKey]]), partitionRows: 4, faults });
  return {
    sourceOverrides: { baseUrl: sandbox.url, user: collector, privateKeyEnv: DEMO_PRIVATE_KEY_ENV, retry: { baseDelayMs: 10 } },
    env: { [DEMO_PRIVATE_KEY_ENV]: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    faults,
    close: sandbox.close,
  };
}
