import { InvalidResponseError, PagingError } from '../../src/sdk/index.js';

/**
 * An AWS call that failed, named by its operation and with the attempts it took, so that every error line says
 * which call it was and that it was retried. `code` keeps the SDK's error name (AccessDenied, Throttling,
 * TimeoutError), or the collection contract's code (InvalidResponse, repeated-cursor), for the manifest.
 */
export class AwsRequestError extends Error {
  override readonly name = 'AwsRequestError';
  readonly code: string;
  constructor(
    readonly operation: string,
    cause: unknown,
    attempts = 1,
  ) {
    const error = cause as { name?: unknown; message?: unknown; code?: unknown } | undefined;
    const message = typeof error?.message === 'string' && error.message ? error.message : String(cause);
    const named = message.startsWith(`${operation}: `) ? message : `${operation}: ${message}`;
    super(attempts > 1 ? `${named} (after ${attempts} attempts)` : named, { cause });
    const contract = cause instanceof InvalidResponseError || cause instanceof PagingError;
    const code = contract ? error?.code : error?.name !== 'Error' ? (error?.name ?? error?.code) : error?.code;
    this.code = typeof code === 'string' ? code : 'Error';
  }
}

/** The operation a collection error names, when it came through the request layer. */
export function operationOf(error: unknown): string | undefined {
  if (error instanceof AwsRequestError || error instanceof InvalidResponseError || error instanceof PagingError) return error.operation;
  return undefined;
}

export function errorCode(error: unknown): string {
  return error instanceof AwsRequestError ? error.code : ((error as { name?: string }).name ?? '');
}
