import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { FaultPlan, type DemoSandbox, type SandboxModule } from '../../../src/sdk/index.js';
import { DatasetView, loadDataset, type Dataset } from './dataset.js';
import { googleError, route, type Reply, type Request } from './routes.js';

/**
 * A local stand-in for the Google REST APIs the GCP IAM connector reads (IAM v1, Resource Manager v3,
 * Policy Analyzer v1, Cloud Asset v1), over a dataset seen at an as-of date. Real googleapis clients
 * reach it through `rootUrl`.
 */

export type Operation =
  | 'iam.projects.serviceAccounts.list'
  | 'iam.projects.serviceAccounts.keys.list'
  | 'cloudresourcemanager.projects.getIamPolicy'
  | 'cloudresourcemanager.projects.list'
  | 'cloudresourcemanager.folders.list'
  | 'policyanalyzer.activities.query'
  | 'cloudasset.searchAllResources';

export interface Fault {
  /** An operation, or an API prefix of one (`policyanalyzer`); every operation when unset. */
  operation?: string;
  /** Only requests about this project (id or number), folder or organization. */
  resource?: string;
  /** Only requests whose URL path contains this (an activity type, an account). */
  pathIncludes?: string;
  status: 403 | 429 | 500 | 503;
  /** For 403: the ErrorInfo reason (IAM_PERMISSION_DENIED by default; SERVICE_DISABLED for a disabled API). */
  reason?: string;
  /** How many matching requests fail; every one when unset. */
  times?: number;
  /** How many matching requests succeed before the fault starts: a listing that fails partway through. */
  after?: number;
}

export interface SandboxCall {
  operation: Operation | 'unknown';
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The project, folder or organization the request is about. */
  resource?: string;
  status: number;
}

export interface GcpSandboxOptions {
  dataset: Dataset;
  now: Date;
  /** The bearer token every request must carry. */
  token: string;
  latencyMs?: number;
  faults?: Fault[];
  /** Service account emails and key ids Cloud Asset Inventory has not indexed yet (its eventual consistency). */
  staleAssets?: string[];
}

export interface GcpSandbox {
  rootUrl: string;
  calls: SandboxCall[];
  close(): Promise<void>;
}

function faultReply(fault: Fault, call: Request): Reply {
  if (fault.status === 403) {
    const reason = fault.reason ?? 'IAM_PERMISSION_DENIED';
    const domain = call.operation.split('.')[0] ?? 'googleapis.com';
    return googleError(
      403,
      reason === 'SERVICE_DISABLED'
        ? `${domain}.googleapis.com has not been used in this project before or it is disabled.`
        : `Permission denied on resource '${call.resource ?? 'unknown'}' (or it may not exist).`,
      [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: `${domain}.googleapis.com`, metadata: { resource: call.resource ?? '' } }],
    );
  }
  if (fault.status === 429) return googleError(429, 'Quota exceeded for quota metric \'Read requests\'.');
  if (fault.status === 503) return googleError(503, 'The service is currently unavailable.');
  return googleError(fault.status, 'Internal error encountered.');
}

function matches(fault: Fault, call: Request, url: URL): boolean {
  const op = fault.operation;
  if (op && call.operation !== op && !call.operation.startsWith(`${op}.`)) return false;
  if (fault.pathIncludes !== undefined && !decodeURIComponent(url.pathname).includes(fault.pathIncludes)) return false;
  return fault.resource === undefined || call.resourceAliases.includes(fault.resource);
}

export async function startGcpSandbox(options: GcpSandboxOptions): Promise<GcpSandbox> {
  const view = new DatasetView(options.dataset, options.now);
  const faults = (options.faults ?? []).map((f) => ({ ...f }));
  const stale = new Set(options.staleAssets ?? []);
  const calls: SandboxCall[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
        const url = new URL(req.url ?? '/', 'http://sandbox');
        const request = route(req.method ?? 'GET', url, Buffer.concat(chunks).toString('utf8'), view, stale);
        let reply: Reply;
        if (req.headers.authorization !== `Bearer ${options.token}`) {
          reply = googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
        } else {
          let fault = faults.find((f) => (f.times === undefined || f.times > 0) && matches(f, request, url));
          if (fault?.after) {
            fault.after -= 1;
            fault = undefined;
          }
          if (fault && fault.times !== undefined) fault.times -= 1;
          reply = fault ? faultReply(fault, request) : request.handle();
        }
        calls.push({
          operation: request.operation,
          method: req.method ?? 'GET',
          path: url.pathname,
          query: queryObject(url),
          ...(request.resource ? { resource: request.resource } : {}),
          status: reply.status,
        });
        res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify(reply.body));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    rootUrl: `http://127.0.0.1:${port}/`,
    calls,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
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

/** `nhi-audit demo`: serves `<datasetDir>/dataset.json` and points the gcp-iam sources at it. */
export const startDemo: SandboxModule['startDemo'] = async (datasetDir, { now }): Promise<DemoSandbox> => {
  const dataset = await loadDataset(path.join(datasetDir, 'dataset.json'));
  const token = `demo-${randomBytes(16).toString('hex')}`;
  const sandbox = await startGcpSandbox({ dataset, now, token });
  return {
    sourceOverrides: { rootUrl: sandbox.rootUrl, accessTokenEnv: DEMO_TOKEN_ENV },
    env: { [DEMO_TOKEN_ENV]: token },
    faults: new FaultPlan('gcp-iam'),
    close: sandbox.close,
  };
};
