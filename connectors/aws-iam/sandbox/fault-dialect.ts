import type { FaultDialect, WireResponse } from '../../../src/sdk/index.js';
import { ApiError, decodePageToken, encodePageToken, type Operation } from './api.js';
import { failure, success, type Service } from './protocol.js';

export interface FaultedRequest {
  service: Service;
  operationName: string;
  operation: Operation;
  parameters: Record<string, unknown>;
  requestId: string;
  /** The operation's real result, computed once. */
  result(): Record<string, unknown>;
}

/**
 * How IAM and STS (awsQuery XML) and Organizations (JSON 1.1) express each injected fault, for one request. The
 * paging faults rewrite the real result and render it again, so the body stays well-formed in its protocol.
 */
export function awsFaultDialect(request: FaultedRequest): FaultDialect {
  const { service, operationName, operation, parameters, requestId } = request;
  const render = (result: object): WireResponse => success(service, operationName, result, requestId);
  const paging = operation.paging;
  const position = () => {
    const token = paging ? parameters[paging.token] : undefined;
    return decodePageToken(typeof token === 'string' ? token : undefined) ?? { offset: 0, emptyPages: 0 };
  };
  /** The real result, claiming more behind `token`. */
  const onward = (token: string, change: Record<string, unknown> = {}): WireResponse | undefined => {
    if (!paging) return undefined;
    return render({ ...request.result(), ...change, [paging.token]: token, ...(paging.truncatedFlag ? { IsTruncated: true } : {}) });
  };
  /** AWS pages by token, not by link: a token back to the page just read is both a repeated cursor and a self-link. */
  const backToThisPage = () => onward(encodePageToken(position().offset, position().emptyPages));
  return {
    throttle: () => failure(service.protocol, service, new ApiError(service.throttle.status, service.throttle.code, service.throttle.message), requestId),
    serverError: () => failure(service.protocol, service, new ApiError(500, service.failure.code, service.failure.message), requestId),
    emptyObject: () => render({}),
    repeatCursor: backToThisPage,
    selfLink: backToThisPage,
    emptyPageMore: () =>
      onward(
        encodePageToken(position().offset, position().emptyPages + 1),
        Object.fromEntries((paging?.lists ?? []).map((list) => [list, []])),
      ),
    dropField: () => (operation.dropField ? render(operation.dropField(request.result())) : undefined),
  };
}
