import type { AwsSandboxDataset } from './dataset.js';
import type { AccountView } from './view.js';

/** The pieces every sandbox operation shares: errors, callers, parameters and paging. */

export type ServiceName = 'iam' | 'sts' | 'organizations' | 'access-analyzer';

/** An AWS error answer; the server renders it in the service's protocol. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The error code AWS uses for a request that breaks the model's constraints. */
const VALIDATION_CODES: Record<ServiceName, string> = {
  iam: 'ValidationError',
  sts: 'ValidationError',
  organizations: 'InvalidInputException',
  'access-analyzer': 'ValidationException',
};

export function validationError(service: ServiceName, message: string): ApiError {
  return new ApiError(400, VALIDATION_CODES[service], `1 validation error detected: ${message}`);
}

/** Who signed a request: the base user, or a session of an assumed role. */
export interface Principal {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  accountId: string;
  arn: string;
  userId: string;
  /** Set for long-term user credentials; IAM calls that default to "the caller" need it. */
  userName?: string;
}

export interface SandboxState {
  dataset: AwsSandboxDataset;
  now: Date;
  views: ReadonlyMap<string, AccountView>;
}

export interface OperationContext {
  service: ServiceName;
  principal: Principal;
  /** The caller's account as of `now`. */
  account: AccountView;
  parameters: Record<string, unknown>;
  state: SandboxState;
}

/** How a paged operation's result says where the next page starts, for the paging faults. */
export interface Paging {
  /** The request parameter and result field that carry the position (`Marker`, `NextToken`, Access Analyzer's `nextToken`). */
  token: 'Marker' | 'NextToken' | 'nextToken';
  /** The result's item lists. */
  lists: readonly string[];
  /** Whether the result also says `IsTruncated` (IAM does; Organizations says more by the token alone). */
  truncatedFlag: boolean;
}

export interface Operation {
  /** The result structure (awsQuery: the `<XResult>` content; JSON: the body). */
  run(context: OperationContext): object | undefined;
  paging?: Paging;
  /** The result without the field the collector identifies items by (name, id, ARN): the `drop-field` fault. */
  dropField?(result: Record<string, unknown>): object;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function stringParam(context: OperationContext, name: string): string | undefined {
  const value = context.parameters[name];
  if (value === undefined || value === null) return undefined;
  return String(value);
}

export function requiredStringParam(context: OperationContext, name: string): string {
  const value = stringParam(context, name);
  if (value === undefined) {
    throw validationError(context.service, `Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

export function intParam(context: OperationContext, name: string, range: { min: number; max: number; fallback: number }): number {
  const raw = context.parameters[name];
  if (raw === undefined || raw === null) return range.fallback;
  const value = Number(raw);
  const at = `Value '${String(raw)}' at '${lowerFirst(name)}' failed to satisfy constraint: Member must`;
  if (!Number.isInteger(value)) throw validationError(context.service, `${at} be an integer`);
  if (value < range.min) throw validationError(context.service, `${at} have value greater than or equal to ${range.min}`);
  if (value > range.max) throw validationError(context.service, `${at} have value less than or equal to ${range.max}`);
  return value;
}

/**
 * Paging tokens are opaque to clients; inside they hold the offset and, after an injected empty page,
 * how many empty pages led there (so each token differs, as real ones do).
 */
export function encodePageToken(offset: number, emptyPages = 0): string {
  return Buffer.from(JSON.stringify({ offset, emptyPages })).toString('base64url');
}

export function decodePageToken(token: string | undefined): { offset: number; emptyPages: number } | undefined {
  if (token === undefined) return { offset: 0, emptyPages: 0 };
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown; emptyPages?: unknown };
    if (Number.isInteger(decoded.offset) && Number.isInteger(decoded.emptyPages) && (decoded.offset as number) >= 0) {
      return { offset: decoded.offset as number, emptyPages: decoded.emptyPages as number };
    }
  } catch {
    // falls through to "invalid"
  }
  return undefined;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What makes two requests "the same" for counting injected faults: their parameters, a page token as the position it names. */
export function requestKey(operation: Operation, parameters: Record<string, unknown>): string {
  if (!operation.paging) return stableJson(parameters);
  const name = operation.paging.token;
  const token = parameters[name];
  const position = decodePageToken(typeof token === 'string' ? token : undefined);
  return stableJson({ ...parameters, [name]: position ? position.offset : token });
}

/** One page of `items` from the position `token` names; `next` is the token of the following page. */
export function pageOf<T>(
  context: OperationContext,
  items: readonly T[],
  tokenName: string,
  pageSize: number,
): { items: T[]; next: string | undefined } {
  const token = stringParam(context, tokenName);
  const position = decodePageToken(token);
  if (!position || position.offset > items.length) {
    throw new ApiError(400, VALIDATION_CODES[context.service], `Invalid ${tokenName}: ${token ?? ''}`);
  }
  const end = position.offset + pageSize;
  return { items: items.slice(position.offset, end), next: end < items.length ? encodePageToken(end) : undefined };
}
