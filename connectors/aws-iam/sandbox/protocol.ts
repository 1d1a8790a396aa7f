import type { IncomingMessage } from 'node:http';
import type { WireResponse } from '../../../src/sdk/index.js';
import { ApiError, type Operation, type ServiceName } from './api.js';
import { queryError, queryResponse } from './xml.js';

/**
 * The three wire protocols: awsQuery (form POST in, XML out), JSON 1.1 (`X-Amz-Target`) and REST-JSON (the
 * operation named by method and path, its input in the path, the query and a JSON body: Access Analyzer).
 */

export type Protocol = 'query' | 'json' | 'rest-json';

/** A REST-JSON operation's place: `GET /findingv2/{id}` as a method and a path pattern whose groups name the path parameters. */
export interface RestRoute {
  method: string;
  path: RegExp;
  operation: string;
}

export interface Service {
  name: ServiceName;
  protocol: Protocol;
  operations: Record<string, Operation>;
  /** REST-JSON: where each operation sits, as the service model's `@http` trait says. */
  routes?: readonly RestRoute[];
  /** awsQuery: the XML namespace and API version; JSON: the X-Amz-Target prefix. */
  namespace: string;
  version?: string;
  targetPrefix?: string;
  /** Status and code as the service model declares them (IAM/STS: 400 Throttling; Organizations: 429). */
  throttle: { status: number; code: string; message: string };
  failure: { code: string; message: string };
}

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Names that would reach Object.prototype if used as keys. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** awsQuery parameters as a structure: `Filter.member.2=Role` becomes `{ Filter: [, 'Role'] }`. */
function queryParameters(form: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, value] of form) {
    if (name === 'Action' || name === 'Version') continue;
    const path: (string | number)[] = [];
    const segments = name.split('.');
    if (segments.some((segment) => UNSAFE_KEYS.has(segment))) continue;
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index] as string;
      const next = segments[index + 1];
      if ((segment === 'member' || segment === 'entry') && next !== undefined && /^\d+$/.test(next)) {
        path.push(Number(next) - 1);
        index++;
      } else path.push(segment);
    }
    let node: Record<string | number, unknown> = root;
    path.forEach((key, index) => {
      if (index === path.length - 1) node[key] = value;
      else node = (node[key] ??= typeof path[index + 1] === 'number' ? [] : {}) as Record<string | number, unknown>;
    });
  }
  return root;
}

function jsonParameters(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface Route {
  protocol: Protocol;
  /** Undefined when the request names no known service or operation; `problem` says why. */
  service: Service | undefined;
  operationName: string;
  operation: Operation | undefined;
  parameters: Record<string, unknown>;
  problem?: ApiError;
}

/** A REST-JSON request: the route its method and path match, with path, query and body parameters in one structure. */
function restRoute(request: IncomingMessage, body: Buffer, all: Service[]): Route | undefined {
  const url = new URL(request.url ?? '/', 'http://sandbox');
  for (const service of all) {
    for (const candidate of service.routes ?? []) {
      const match = candidate.path.exec(url.pathname);
      if (!match || candidate.method !== request.method) continue;
      const operation = service.operations[candidate.operation];
      const json = jsonParameters(body);
      if (!json) {
        const problem = new ApiError(400, 'SerializationException', 'The request body is not a JSON object.');
        return { protocol: 'rest-json', service, operationName: candidate.operation, operation: undefined, parameters: {}, problem };
      }
      const query = Object.fromEntries([...url.searchParams].filter(([name]) => !UNSAFE_KEYS.has(name)));
      const path = Object.fromEntries(Object.entries(match.groups ?? {}).map(([name, value]) => [name, decodeURIComponent(value)]));
      return { protocol: 'rest-json', service, operationName: candidate.operation, operation, parameters: { ...query, ...json, ...path } };
    }
  }
  return undefined;
}

export function route(request: IncomingMessage, body: Buffer, all: Service[]): Route {
  const rest = restRoute(request, body, all);
  if (rest) return rest;
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix = '', operationName = ''] = target.split('.');
    const service = all.find((candidate) => candidate.targetPrefix === prefix);
    const operation = service?.operations[operationName];
    const parameters = jsonParameters(body);
    if (!parameters) {
      const problem = new ApiError(400, 'SerializationException', 'The request body is not a JSON object.');
      return { protocol: 'json', service, operationName, operation: undefined, parameters: {}, problem };
    }
    const problem = operation ? undefined : new ApiError(400, 'UnknownOperationException', `Unknown operation ${target}`);
    return { protocol: 'json', service, operationName, operation, parameters, problem };
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action') ?? '';
  const version = form.get('Version') ?? '';
  const service = all.find((candidate) => candidate.version === version);
  const operation = service?.operations[action];
  const problem = operation ? undefined : new ApiError(400, 'InvalidAction', `Could not find operation ${action} for version ${version}`);
  return { protocol: 'query', service, operationName: action, operation, parameters: queryParameters(form), problem };
}

export function success(service: Service, operationName: string, result: object | undefined, requestId: string): WireResponse {
  if (service.protocol === 'rest-json') {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result ?? {}) };
  }
  if (service.protocol === 'json') {
    return { status: 200, headers: { 'content-type': JSON_CONTENT_TYPE }, body: JSON.stringify(result ?? {}) };
  }
  return { status: 200, headers: { 'content-type': 'text/xml' }, body: queryResponse(operationName, service.namespace, result, requestId) };
}

export function failure(protocol: Route['protocol'], service: Service | undefined, error: ApiError, requestId: string): WireResponse {
  if (protocol === 'rest-json') {
    return { status: error.status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.code }, body: JSON.stringify({ message: error.message }) };
  }
  if (protocol === 'json') {
    return {
      status: error.status,
      headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-errortype': error.code },
      body: JSON.stringify({ __type: error.code, message: error.message }),
    };
  }
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml' },
    body: queryError(service?.namespace ?? IAM_NAMESPACE, error.status, error.code, error.message, requestId),
  };
}

