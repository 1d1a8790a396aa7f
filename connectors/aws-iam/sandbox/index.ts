import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyFault, FaultPlan, type FaultOutcome, type FaultSpec, type SandboxModule, type WireResponse } from '../../../src/sdk/index.js';
import { ApiError, requestKey, type OperationContext, type Principal, type SandboxState, type ServiceName } from './api.js';
import { authenticate, PrincipalRegistry } from './auth.js';
import { loadAwsSandboxDataset, parseAwsSandboxDataset, type AwsSandboxDataset } from './dataset.js';
import { awsFaultDialect } from './fault-dialect.js';
import { createIamOperations } from './iam.js';
import { accessAnalyzerOperations, accessAnalyzerRoutes } from './access-analyzer.js';
import { organizationsOperations } from './organizations.js';
import { RateLimiter, type AwsSandboxRateLimit } from './rate-limit.js';
import { createStsOperations } from './sts.js';
import { accountView, latestDate, type AccountView } from './view.js';
import { failure, IAM_NAMESPACE, route, success, type Route, type Service } from './protocol.js';

/**
 * A local AWS for the aws-iam connector: IAM and STS over awsQuery, Organizations over JSON 1.1, IAM Access
 * Analyzer over REST-JSON, on 127.0.0.1, so the real SDK clients talk to it through their `endpoint` option.
 */

export type { AwsSandboxDataset } from './dataset.js';
export { loadAwsSandboxDataset, parseAwsSandboxDataset } from './dataset.js';
export type { AwsSandboxRateLimit } from './rate-limit.js';

export interface AwsSandboxOptions {
  /** The as-of date: later items are hidden. Defaults to the latest date in the dataset. */
  now?: Date;
  /** Delay before every answer. */
  latencyMs?: number;
  /** How many polls after STARTED find the credential report still in progress (default 1). */
  credentialReportPolls?: number;
  /** How many polls find a service last accessed job still in progress (default 1). */
  serviceLastAccessedPolls?: number;
  /** Injected faults (`connector` aws-iam), by operation name as the connector's manifest names it. */
  faults?: readonly FaultSpec[];
  rateLimit?: AwsSandboxRateLimit;
}

export interface AwsSandboxCall {
  service: ServiceName | 'unknown';
  operation: string;
  /** The caller's account; undefined when the request was not authenticated. */
  account: string | undefined;
  /** As sent: awsQuery values are strings (`MaxItems: '1000'`), lists arrays; JSON bodies as they are. */
  parameters: Record<string, unknown>;
  /** 0 when no answer was sent (an injected reset or hang). */
  status: number;
}

export interface AwsSandbox {
  url: string;
  now: Date;
  /** The collector's fake long-term credentials; the secret is new on every start. */
  baseCredentials: { accessKeyId: string; secretAccessKey: string; accountId: string; arn: string };
  /** Every request answered, in order. */
  calls: AwsSandboxCall[];
  /** The faults in force, consulted on every request; `faults.set` replaces them. */
  faults: FaultPlan;
  close(): Promise<void>;
}

function services(principals: PrincipalRegistry, polls: { credentialReportPolls: number; serviceLastAccessedPolls: number }): Service[] {
  const queryThrottle = { status: 400, code: 'Throttling', message: 'Rate exceeded' };
  return [
    {
      name: 'iam',
      protocol: 'query',
      operations: createIamOperations(polls),
      namespace: IAM_NAMESPACE,
      version: '2010-05-08',
      throttle: queryThrottle,
      failure: { code: 'ServiceFailure', message: 'The request processing has failed because of an unknown error, exception or failure.' },
    },
    {
      name: 'sts',
      protocol: 'query',
      operations: createStsOperations(principals),
      namespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
      version: '2011-06-15',
      throttle: queryThrottle,
      failure: { code: 'InternalFailure', message: 'An internal error has occurred.' },
    },
    {
      name: 'organizations',
      protocol: 'json',
      operations: organizationsOperations,
      namespace: 'http://organizations.amazonaws.com/doc/2016-11-28/',
      targetPrefix: 'AWSOrganizationsV20161128',
      throttle: {
        status: 429,
        code: 'TooManyRequestsException',
        message: 'You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.',
      },
      failure: { code: 'ServiceException', message: 'AWS Organizations can’t complete your request because of an internal service error. Try again later.' },
    },
    {
      name: 'access-analyzer',
      protocol: 'rest-json',
      operations: accessAnalyzerOperations,
      routes: accessAnalyzerRoutes,
      namespace: 'com.amazonaws.accessanalyzer',
      throttle: { status: 429, code: 'ThrottlingException', message: 'Rate exceeded' },
      failure: { code: 'InternalServerException', message: 'Internal server error' },
    },
  ];
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startAwsSandbox(dataset: AwsSandboxDataset, options: AwsSandboxOptions = {}): Promise<AwsSandbox> {
  const valid = parseAwsSandboxDataset(dataset);
  const now = options.now ?? latestDate(valid);
  const views = new Map(Object.entries(valid.accounts).map(([id, data]) => [id, accountView(id, data, now)]));
  const state: SandboxState = { dataset: valid, now, views };
  /** Every principal belongs to a dataset account: the base one is validated, sessions are issued only into them. */
  const viewOf = (accountId: string) => views.get(accountId) as AccountView;
  const principals = new PrincipalRegistry(valid);
  const all = services(principals, { credentialReportPolls: options.credentialReportPolls ?? 1, serviceLastAccessedPolls: options.serviceLastAccessedPolls ?? 1 });
  const rateLimiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
  const faults = new FaultPlan('aws-iam', options.faults ?? []);
  const calls: AwsSandboxCall[] = [];

  function answer(request: IncomingMessage, body: Buffer, requestId: string): { outcome: FaultOutcome; principal?: Principal; route: Route } {
    const target = route(request, body, all);
    const { service, operation } = target;
    const respond = (response: WireResponse): FaultOutcome => ({ action: 'respond', response });
    if (target.problem || !service || !operation) {
      const problem = target.problem ?? new ApiError(400, 'InvalidAction', `Could not find operation ${target.operationName}`);
      return { outcome: respond(failure(target.protocol, service, problem, requestId)), route: target };
    }
    const refusal = (error: unknown) => {
      const apiError = error instanceof ApiError ? error : new ApiError(500, service.failure.code, `sandbox failure: ${(error as Error).message}`);
      return failure(target.protocol, service, apiError, requestId);
    };
    let principal: Principal;
    try {
      principal = authenticate(
        principals,
        { method: request.method ?? 'POST', url: request.url ?? '/', headers: request.headers, body },
        { service: service.name, protocol: service.protocol },
      );
    } catch (error) {
      return { outcome: respond(refusal(error)), route: target };
    }
    const account = principal.accountId;
    if (rateLimiter && !rateLimiter.take(`${service.name}\n${account}\n${target.operationName}`)) {
      return { outcome: respond(refusal(new ApiError(service.throttle.status, service.throttle.code, service.throttle.message))), principal, route: target };
    }
    const context: OperationContext = { service: service.name, principal, account: viewOf(account), parameters: target.parameters, state };
    let result: Record<string, unknown> | undefined;
    const real = (): WireResponse => {
      try {
        return success(service, target.operationName, (result ??= (operation.run(context) ?? {}) as Record<string, unknown>), requestId);
      } catch (error) {
        return refusal(error);
      }
    };
    const fault = faults.take(target.operationName, `${account}\n${requestKey(operation, target.parameters)}`);
    if (!fault) return { outcome: respond(real()), principal, route: target };
    const dialect = awsFaultDialect({
      service,
      operationName: target.operationName,
      operation,
      parameters: target.parameters,
      requestId,
      result: () => result ?? {},
    });
    return { outcome: applyFault(fault, dialect, real), principal, route: target };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const requestId = randomUUID();
    if (options.latencyMs) await sleep(options.latencyMs);
    const { outcome, principal, route: target } = answer(request, body, requestId);
    calls.push({
      service: target.service?.name ?? 'unknown',
      operation: target.operationName,
      account: principal?.accountId,
      parameters: target.parameters,
      status: outcome.action === 'respond' ? outcome.response.status : 0,
    });
    if (outcome.action === 'reset') {
      request.socket.destroy();
      return;
    }
    // A hang answers nothing; the client's timeout or the sandbox's close ends the connection.
    if (outcome.action === 'hang') return;
    const reply = outcome.response;
    response.writeHead(reply.status, { ...reply.headers, 'x-amzn-requestid': requestId, 'content-length': String(Buffer.byteLength(reply.body)) });
    response.end(reply.body);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.destroy(error as Error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    now,
    baseCredentials: {
      accessKeyId: principals.base.accessKeyId,
      secretAccessKey: principals.base.secretAccessKey,
      accountId: principals.base.accountId,
      arn: principals.base.arn,
    },
    calls,
    faults,
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

export const DEMO_ACCESS_KEY_ID_ENV = 'NHI_DEMO_AWS_ACCESS_KEY_ID';
export const DEMO_SECRET_ACCESS_KEY_ENV = 'NHI_DEMO_AWS_SECRET_ACCESS_KEY';
/** Set when the dataset's audit roles share one external id, for the demo config's `assumeRole.externalIdEnv`. */
export const DEMO_EXTERNAL_ID_ENV = 'NHI_DEMO_AWS_EXTERNAL_ID';

/** `nhi-audit demo`: the sandbox over a dataset folder, and the source settings that point at it. */
export const startDemo: SandboxModule['startDemo'] = async (datasetDir, { now, faults }) => {
  const dataset = await loadAwsSandboxDataset(datasetDir);
  // A report ready on the first poll keeps the demo quick; tests exercise the slower path.
  const sandbox = await startAwsSandbox(dataset, { now, credentialReportPolls: 0, serviceLastAccessedPolls: 0, ...(faults ? { faults } : {}) });
  const externalIds = new Set(Object.values(dataset.accounts).flatMap((account) => account.auditRole?.externalId ?? []));
  const [externalId] = externalIds;
  return {
    sourceOverrides: {
      endpoint: sandbox.url,
      credentials: { accessKeyIdEnv: DEMO_ACCESS_KEY_ID_ENV, secretAccessKeyEnv: DEMO_SECRET_ACCESS_KEY_ENV },
    },
    env: {
      [DEMO_ACCESS_KEY_ID_ENV]: sandbox.baseCredentials.accessKeyId,
      [DEMO_SECRET_ACCESS_KEY_ENV]: sandbox.baseCredentials.secretAccessKey,
      ...(externalIds.size === 1 && externalId ? { [DEMO_EXTERNAL_ID_ENV]: externalId } : {}),
    },
    faults: sandbox.faults,
    close: () => sandbox.close(),
  };
};
