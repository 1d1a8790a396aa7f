import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyFault, FaultPlan, type DemoSandbox, type FaultOutcome, type FaultSpec, type WireResponse } from '../../../src/sdk/index.js';
import { loadDataset, type Dataset } from './dataset.js';
import { gitlabDialect, position } from './faults.js';
import { HttpError, matchRoute, restReply, type Reply } from './rest.js';

/*
 * A local GitLab: REST v4 over node:http from a dataset, with GitLab's offset paging (Link, X-Next-Page,
 * X-Total), personal access token and OAuth authentication, the shared
 * injected faults (`gitlab:operation:kind[:times]`, operations named as the connector names them) and GitLab's own
 * refusals (a role or tier that does not allow an operation). Its 429, with RateLimit-* and Retry-After, is the
 * `throttle` fault.
 */

export interface Refusal {
  /** The operation as the connector names it (`projects/variables`). */
  operation: string;
  status: 403 | 404;
}

export interface SandboxOptions {
  dataset: Dataset;
  /** The date the instance is shown at. */
  now: Date;
  /** Tokens the sandbox accepts for the dataset's collector: personal (PRIVATE-TOKEN) and OAuth (Bearer). */
  token: string;
  oauthToken?: string;
  /** Faults of the shared vocabulary, each counted per distinct request; the plan can be replaced while the sandbox runs. */
  faults?: FaultPlan | readonly FaultSpec[];
  refusals?: readonly Refusal[];
  /** Answers lists without X-Total and X-Total-Pages, as GitLab does past 10,000 items. */
  omitTotals?: boolean;
}

export interface SandboxCall {
  path: string;
  operation: string | undefined;
  /** 0 for a connection reset or left hanging. */
  status: number;
  /** The body as sent. */
  body: string;
}

export interface GitLabSandbox {
  /** What a client passes as host. */
  host: string;
  calls: SandboxCall[];
  faults: FaultPlan;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<GitLabSandbox> {
  const calls: SandboxCall[] = [];
  const faults = options.faults instanceof FaultPlan ? options.faults : new FaultPlan('gitlab', options.faults ?? []);
  let nonce = 0;
  let origin = '';

  const server = createServer((request, response) => {
    try {
      serve(request, response);
    } catch (error) {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: `sandbox error: ${(error as Error).message}` }));
    }
  });

  function serve(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', origin);
    const matched = request.method === 'GET' ? matchRoute(url.pathname) : undefined;
    const answer = (): WireResponse => reply(request, url, matched);
    const fault = matched ? faults.take(matched.operation.id, position(url)) : undefined;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const outcome: FaultOutcome =
      fault && matched
        ? applyFault(fault, gitlabDialect({ operation: matched.operation, url, nowSeconds, nonce: () => (nonce += 1) }), answer)
        : { action: 'respond', response: answer() };
    const call = { path: url.pathname + url.search, operation: matched?.operation.id };
    if (outcome.action !== 'respond') {
      calls.push({ ...call, status: 0, body: '' });
      // A hung request is never answered; closing the sandbox ends its connection.
      if (outcome.action === 'reset') request.socket.resetAndDestroy();
      return;
    }
    const sent = outcome.response;
    calls.push({ ...call, status: sent.status, body: sent.body });
    response.writeHead(sent.status, { ...sent.headers, 'x-request-id': randomBytes(8).toString('hex'), 'content-length': String(Buffer.byteLength(sent.body)) });
    response.end(sent.body);
  }

  function reply(request: IncomingMessage, url: URL, matched: ReturnType<typeof matchRoute>): WireResponse {
    try {
      authenticate(request);
      if (!matched) throw new HttpError(404, '404 Not Found');
      const refusal = options.refusals?.find((r) => r.operation === matched.operation.id);
      if (refusal) throw new HttpError(refusal.status, refusal.status === 403 ? '403 Forbidden' : '404 Not Found');
      if (matched.operation.id.startsWith('admin/') || matched.operation.id === 'service-accounts' || matched.operation.id === 'personal-access-tokens') {
        if (!options.dataset.collector.is_admin) throw new HttpError(403, '403 Forbidden');
      }
      const answer = restReply(matched.operation, matched.params, url, { dataset: options.dataset, now: options.now, origin, web: origin });
      if (options.omitTotals && answer.headers) {
        const { 'x-total': _total, 'x-total-pages': _pages, ...headers } = answer.headers;
        return json({ ...answer, headers });
      }
      return json(answer);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return json({ status: error.status, body: { message: error.message } });
    }
  }

  function authenticate(request: IncomingMessage): void {
    const privateToken = request.headers['private-token'];
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (privateToken === options.token || (options.oauthToken !== undefined && bearer === options.oauthToken)) return;
    throw new HttpError(401, '401 Unauthorized');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: origin,
    calls,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function json(reply: Reply): WireResponse {
  return { status: reply.status, headers: { 'content-type': 'application/json', ...reply.headers }, body: JSON.stringify(reply.body) };
}

const DEMO_TOKEN_ENV = 'NHI_DEMO_GITLAB_TOKEN';

/** For `nhi-audit demo`: the dataset's collector, authenticated with a token made for this run. */
export async function startDemo(datasetDir: string, options: { now: Date; faults?: readonly FaultSpec[] }): Promise<DemoSandbox> {
  const dataset = await loadDataset(datasetDir);
  const token = `glpat-${randomBytes(15).toString('base64url')}`;
  const sandbox = await startSandbox({ dataset, now: options.now, token, faults: options.faults ?? [] });
  return {
    sourceOverrides: { host: sandbox.host, tokenEnv: DEMO_TOKEN_ENV },
    env: { [DEMO_TOKEN_ENV]: token },
    faults: sandbox.faults,
    close: () => sandbox.close(),
  };
}
