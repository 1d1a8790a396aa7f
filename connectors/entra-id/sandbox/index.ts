import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { applyFault, FaultPlan, type DemoSandbox, type FaultOutcome, type FaultSpec, type SandboxModule, type WireResponse } from '../../../src/sdk/index.js';
import { loadDataset, Tenant, type Dataset } from './dataset.js';
import { refusal } from './permissions.js';
import { graphDialect, wire } from './dialect.js';
import { graphError, route } from './graph.js';

/**
 * A local stand-in for Microsoft Entra ID and Microsoft Graph over one tenant: the OAuth 2.0 client-credentials
 * token endpoint (with the OpenID metadata MSAL reads first) and Graph v1.0 and beta, over HTTPS with a
 * certificate made at start, since MSAL accepts no other authority. The real @azure/identity and Graph clients
 * reach it through `authorityHost`, `graphBaseUrl` and `caFile`. Injected faults speak the shared vocabulary;
 * the token endpoint is the operation `token`.
 */

export interface SandboxCall {
  operation: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The answer's status; 0 when none was given (a reset or hung connection). */
  status: number;
}

export interface EntraSandboxOptions {
  dataset: Dataset;
  /** The tenant is served as it stood then. */
  now: Date;
  /** The client secret of the collector's application (the dataset's applications and principals give its id). */
  clientSecret: string;
  faults?: FaultPlan | readonly FaultSpec[];
  /** Seconds a throttled answer asks the client to wait. */
  retryAfterSeconds?: number;
  /** Refuse (403) what the caller's Microsoft Graph app role assignments do not cover, as Graph does; off, every read is allowed. */
  enforcePermissions?: boolean;
}

export interface EntraSandbox {
  /** For `authorityHost` and `graphBaseUrl`: one HTTPS origin serves both. */
  origin: string;
  /** The sandbox's certificate (PEM), to trust through `caFile`. */
  ca: string;
  calls: SandboxCall[];
  faults: FaultPlan;
  close(): Promise<void>;
}

function tokenError(status: number, error: string, description: string): WireResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)] }) };
}

export async function startEntraSandbox(options: EntraSandboxOptions): Promise<EntraSandbox> {
  const tenant = new Tenant(options.dataset, options.now);
  const { tenantId } = options.dataset;
  const plan = options.faults instanceof FaultPlan ? options.faults : new FaultPlan('entra-id', options.faults ?? []);
  const clients = new Set(tenant.dataset.servicePrincipals.map((sp) => sp.appId));
  /** Issued access tokens and the application each was issued to. */
  const issued = new Map<string, string>();
  const calls: SandboxCall[] = [];
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  let origin = '';

  const token = (body: string): WireResponse => {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') return tokenError(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    if (!form.get('scope')?.endsWith('/.default')) return tokenError(400, 'invalid_scope', 'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed.');
    const clientId = form.get('client_id') ?? '';
    if (!clients.has(clientId)) return tokenError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`);
    if (form.get('client_secret') !== options.clientSecret) return tokenError(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    const access = `eyJ0eXAiOiJKV1QifQ.${randomBytes(24).toString('base64url')}.sandbox`;
    issued.set(access, clientId);
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: access }) };
  };

  const metadata = (): WireResponse => {
    const authority = `${origin}/${tenantId}`;
    return wire({
      status: 200,
      body: {
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        jwks_uri: `${origin}/${tenantId}/discovery/v2.0/keys`,
        issuer: `${authority}/v2.0`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      },
    });
  };

  const answer = (method: string, url: URL, headers: Record<string, string | string[] | undefined>, body: string): { operation: string; outcome: FaultOutcome } => {
    const respond = (response: WireResponse): FaultOutcome => ({ action: 'respond', response });
    const [, first, ...rest] = url.pathname.split('/');
    if (first !== 'v1.0' && first !== 'beta') {
      if (first !== tenantId) return { operation: 'unknown', outcome: respond(tokenError(400, 'invalid_request', `AADSTS90002: Tenant '${first}' not found.`)) };
      if (rest.join('/') === 'v2.0/.well-known/openid-configuration') return { operation: 'openid-configuration', outcome: respond(metadata()) };
      if (method === 'POST' && rest.join('/') === 'oauth2/v2.0/token') {
        const kind = plan.take('token', tenantId);
        return { operation: 'token', outcome: kind ? applyFault(kind, graphDialect({ operation: 'token', position: 'token', handle: () => ({ status: 200, body: {} }) }, options.retryAfterSeconds ?? 1), () => token(body)) : respond(token(body)) };
      }
      return { operation: 'unknown', outcome: respond(tokenError(404, 'invalid_request', 'AADSTS900561: The endpoint only accepts POST requests.')) };
    }
    const request = route(tenant, origin, url, headers);
    const bearer = String(headers.authorization ?? '').replace(/^Bearer /, '');
    if (!issued.has(bearer)) {
      return { operation: request.operation, outcome: respond(wire(graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.'))) };
    }
    const refused = options.enforcePermissions ? refusal(tenant, issued.get(bearer)!, request.operation) : undefined;
    if (refused) return { operation: request.operation, outcome: respond(wire(refused)) };
    const kind = request.operation === 'unknown' ? undefined : plan.take(request.operation, request.position);
    const real = () => wire(request.handle());
    return { operation: request.operation, outcome: kind ? applyFault(kind, graphDialect(request, options.retryAfterSeconds ?? 1), real) : respond(real()) };
  };

  const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', origin);
      const { operation, outcome } = answer(req.method ?? 'GET', url, req.headers, Buffer.concat(chunks).toString('utf8'));
      calls.push({
        operation,
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        status: outcome.action === 'respond' ? outcome.response.status : 0,
      });
      if (outcome.action === 'reset') return req.socket.destroy();
      // A hung request is left open; close() ends it with every other connection.
      if (outcome.action === 'hang') return;
      const { status, headers, body } = outcome.response;
      res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    ca: pems.cert,
    calls,
    faults: plan,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export const DEMO_SECRET_ENV = 'NHI_DEMO_ENTRA_CLIENT_SECRET';

/**
 * `nhi-audit demo`: serves `<datasetDir>/dataset.json`, points the entra-id sources at it and trusts its certificate
 * through a file that lives as long as the sandbox.
 */
export const startDemo: SandboxModule['startDemo'] = async (datasetDir, { now, faults }): Promise<DemoSandbox> => {
  const dataset = await loadDataset(path.join(datasetDir, 'dataset.json'));
  const clientSecret = `Q~${randomBytes(30).toString('base64url')}`;
  const sandbox = await startEntraSandbox({ dataset, now, clientSecret, faults: faults ?? [], enforcePermissions: true });
  let folder: string;
  try {
    folder = await mkdtemp(path.join(tmpdir(), 'nhi-entra-sandbox-'));
    await writeFile(path.join(folder, 'sandbox-ca.pem'), sandbox.ca);
  } catch (error) {
    // The server is already listening: left open, it would keep the process alive after the error.
    await sandbox.close();
    throw error;
  }
  const caFile = path.join(folder, 'sandbox-ca.pem');
  return {
    sourceOverrides: { authorityHost: sandbox.origin, graphBaseUrl: sandbox.origin, caFile },
    env: { [DEMO_SECRET_ENV]: clientSecret },
    faults: sandbox.faults,
    close: async () => {
      await sandbox.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
};
