import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { applyFault, FaultPlan, type DemoSandbox, type FaultOutcome, type FaultSpec, type SandboxModule } from '../../../src/sdk/index.js';
import { DatasetView, loadDataset, type Dataset } from './dataset.js';
import { googleDialect, wire } from './dialect.js';
import { googleError, route, type Reply, type Request } from './routes.js';
import { tokenInfo, TOKENINFO_PATH } from './tokeninfo.js';
import { datasetDenials } from './denials.js';

/**
 * A local stand-in for the Google REST APIs the GCP IAM connector reads (IAM v1, Resource Manager v3 and v1's getAncestry,
 * Policy Analyzer v1, Cloud Asset v1, Recommender v1), over a dataset seen at an as-of date. Real googleapis clients
 * reach it through `rootUrl`. Injected faults speak the shared vocabulary (`FaultPlan`); requests are named by
 * the operations the connector records in the manifest.
 */

export type Operation =
  | 'iam.projects.serviceAccounts.list'
  | 'iam.projects.serviceAccounts.keys.list'
  | 'cloudresourcemanager.projects.getIamPolicy'
  | 'cloudresourcemanager.projects.list'
  | 'cloudresourcemanager.folders.list'
  | 'policyanalyzer.activities.query'
  | 'cloudasset.searchAllResources'
  | 'cloudresourcemanager.projects.getAncestry'
  | 'cloudresourcemanager.folders.getIamPolicy'
  | 'cloudresourcemanager.organizations.getIamPolicy'
  | 'iam.projects.roles.get'
  | 'iam.organizations.roles.get'
  | 'recommender.insights.list'
  | 'iam.roles.get';

/**
 * A permission the collector lacks, or an API that is off: how a project stands, not a fault in transit, so it
 * lives beside the dataset rather than in the fault vocabulary.
 */
export interface Denial {
  /** An operation, or an API prefix of one (`policyanalyzer`); every operation when unset. */
  operation?: string;
  /** Only requests about this project (id or number), folder or organization. */
  resource?: string;
  /** Only requests whose URL path contains this (an activity type, an account). */
  pathIncludes?: string;
  /** The ErrorInfo reason: IAM_PERMISSION_DENIED by default; SERVICE_DISABLED for a disabled API. */
  reason?: string;
  /** How many matching requests succeed before the denial starts: a listing denied partway through. */
  after?: number;
}

export interface SandboxCall {
  operation: Operation | 'unknown';
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The project, folder or organization the request is about. */
  resource?: string;
  /** The answer's status; 0 when none was given (a reset or hung connection). */
  status: number;
}

export interface GcpSandboxOptions {
  dataset: Dataset;
  now: Date;
  /** The bearer token every request must carry. */
  token: string;
  latencyMs?: number;
  /** Injected faults: a live plan (replaced between cases by the fault-matrix test), or the specs to start with. */
  faults?: FaultPlan | readonly FaultSpec[];
  denials?: Denial[];
  /** Service account emails and key ids Cloud Asset Inventory has not indexed yet (its eventual consistency). */
  staleAssets?: string[];
  /** Whose `token` is, as tokeninfo answers: the collector's own service account. */
  principal?: string;
}

export interface GcpSandbox {
  rootUrl: string;
  calls: SandboxCall[];
  faults: FaultPlan;
  close(): Promise<void>;
}

function denialReply(denial: Denial, call: Request): Reply {
  const reason = denial.reason ?? 'IAM_PERMISSION_DENIED';
  const domain = call.operation.split('.')[0] ?? 'googleapis.com';
  return googleError(
    403,
    reason === 'SERVICE_DISABLED'
      ? `${domain}.googleapis.com has not been used in this project before or it is disabled.`
      : `Permission denied on resource '${call.resource ?? 'unknown'}' (or it may not exist).`,
    [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: `${domain}.googleapis.com`, metadata: { resource: call.resource ?? '' } }],
  );
}

function matches(denial: Denial, call: Request, url: URL): boolean {
  const op = denial.operation;
  if (op && call.operation !== op && !call.operation.startsWith(`${op}.`)) return false;
  if (denial.pathIncludes !== undefined && !decodeURIComponent(url.pathname).includes(denial.pathIncludes)) return false;
  return denial.resource === undefined || call.resourceAliases.includes(denial.resource);
}

export async function startGcpSandbox(options: GcpSandboxOptions): Promise<GcpSandbox> {
  const view = new DatasetView(options.dataset, options.now);
  const plan = options.faults instanceof FaultPlan ? options.faults : new FaultPlan('gcp-iam', options.faults ?? []);
  const denials = (options.denials ?? []).map((d) => ({ ...d }));
  const stale = new Set(options.staleAssets ?? []);
  const calls: SandboxCall[] = [];

  const answer = (request: Request, url: URL, authorization: string | undefined): FaultOutcome => {
    if (authorization !== `Bearer ${options.token}`) {
      return { action: 'respond', response: wire(googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.')) };
    }
    const denial = denials.find((d) => matches(d, request, url));
    if (denial?.after) denial.after -= 1;
    else if (denial) return { action: 'respond', response: wire(denialReply(denial, request)) };
    const kind = request.operation === 'unknown' ? undefined : plan.take(request.operation, request.position);
    const real = () => wire(request.handle());
    return kind ? applyFault(kind, googleDialect(request), real) : { action: 'respond', response: real() };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
        const url = new URL(req.url ?? '/', 'http://sandbox');
        if (url.pathname === TOKENINFO_PATH) {
          const { status, headers, body } = wire(tokenInfo(Buffer.concat(chunks).toString('utf8'), options.token, options.principal ?? '', options.now));
          res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
          return res.end(body);
        }
        const request = route(req.method ?? 'GET', url, Buffer.concat(chunks).toString('utf8'), view, stale);
        const outcome = answer(request, url, req.headers.authorization);
        calls.push({
          operation: request.operation,
          method: req.method ?? 'GET',
          path: url.pathname,
          query: queryObject(url),
          ...(request.resource ? { resource: request.resource } : {}),
          status: outcome.action === 'respond' ? outcome.response.status : 0,
        });
        if (outcome.action === 'reset') return req.socket.destroy();
        // A hung request is left open; close() ends it with every other connection.
        if (outcome.action === 'hang') return;
        const { status, headers, body } = outcome.response;
        res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    rootUrl: `http://127.0.0.1:${port}/`,
    calls,
    faults: plan,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function queryObject(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

export const DEMO_TOKEN_ENV = 'NHI_DEMO_GCP_ACCESS_TOKEN';
/** The demo collector's own service account: outside the audited projects, as an audit project would hold it. */
export const DEMO_PRINCIPAL = 'nhi-audit-collector@corvid-audit.iam.gserviceaccount.com';

/** `nhi-audit demo`: serves `<datasetDir>/dataset.json` and points the gcp-iam sources at it. */
export const startDemo: SandboxModule['startDemo'] = async (datasetDir, { now, faults }): Promise<DemoSandbox> => {
  const dataset = await loadDataset(path.join(datasetDir, 'dataset.json'));
  const token = `demo-${randomBytes(16).toString('hex')}`;
  const sandbox = await startGcpSandbox({ dataset, now, token, faults: faults ?? [], principal: DEMO_PRINCIPAL, denials: await datasetDenials(datasetDir) });
  return {
    sourceOverrides: { rootUrl: sandbox.rootUrl, accessTokenEnv: DEMO_TOKEN_ENV },
    env: { [DEMO_TOKEN_ENV]: token },
    faults: sandbox.faults,
    close: sandbox.close,
  };
};
