import { sign, type KeyObject } from 'node:crypto';
import { validateResponse } from '../../src/sdk/index.js';
import { OPERATIONS } from './operations.js';

/** GitHub rejects App JWTs that live longer than ten minutes; a minute of slack absorbs clock drift. */
const JWT_LIFETIME_S = 540;
const CLOCK_SKEW_S = 60;
/** Installation tokens last an hour; renew well before, so a long collection never sends an expired one. */
const RENEW_BEFORE_MS = 5 * 60_000;

export interface AppCredentials {
  appId: number | string;
  installationId: number;
  privateKey: KeyObject;
}

/** An RS256 JWT that authenticates as the App itself (only for /app endpoints). */
export function appJwt(credentials: AppCredentials, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000) - CLOCK_SKEW_S;
  const header = encode({ alg: 'RS256', typ: 'JWT' });
  const payload = encode({ iat, exp: iat + CLOCK_SKEW_S + JWT_LIFETIME_S, iss: String(credentials.appId) });
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), credentials.privateKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** GET /app, an installation and its token request authenticate as the App; GHES paths carry a prefix. */
const APP_ENDPOINT = /\/app(\/installations\/[^/]+(\/access_tokens)?)?$/;

type RequestFn = ((route: any, parameters?: any) => Promise<any>) & { endpoint: { merge(route: any, parameters?: any): any } };

/**
 * A failure of the token request with the operation in its message: it surfaces through whichever call needed
 * the token. Its status, answer and cause stay, for the retry decision.
 */
function named(operation: string, error: unknown): unknown {
  if (!(error instanceof Error) || error.message.startsWith(`${operation}: `)) return error;
  const { status, response } = error as { status?: unknown; response?: unknown };
  return Object.assign(new Error(`${operation}: ${error.message}`, { cause: error }), { name: error.name, status, response });
}

/**
 * An Octokit `authStrategy`: /app endpoints get the App JWT, everything else an installation token minted
 * through `octokit.request` (so the token request is throttled and retried like any other call).
 */
export function createAppAuth(options: AppCredentials & { request: RequestFn }) {
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function installationToken(): Promise<string> {
    if (cached && cached.expiresAt - RENEW_BEFORE_MS > Date.now()) return cached.token;
    const { id, route, schema } = OPERATIONS.createInstallationAccessToken;
    pending ??= options
      .request(route, { installation_id: options.installationId })
      .then((response: { data: unknown }) => {
        const { token, expires_at } = validateResponse(id, schema, response.data);
        cached = { token, expiresAt: Date.parse(expires_at) };
        return cached.token;
      })
      .catch((error: unknown) => {
        throw named(id, error);
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  }

  async function hook(request: RequestFn, route: unknown, parameters?: unknown) {
    const endpoint = request.endpoint.merge(route, parameters);
    const path = new URL(endpoint.url, 'http://github.invalid').pathname;
    endpoint.headers.authorization = APP_ENDPOINT.test(path)
      ? `bearer ${appJwt(options, Date.now())}`
      : `token ${await installationToken()}`;
    return request(endpoint);
  }

  async function auth() {
    return { type: 'token', tokenType: 'installation', token: await installationToken() };
  }
  return Object.assign(auth, { hook });
}
