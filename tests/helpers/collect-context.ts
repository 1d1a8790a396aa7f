import { type CollectContext, DEFAULT_PAGING, DEFAULT_TIMEOUTS, discardingRecorder, silentLogger } from '../../src/sdk/index.js';

/** A context that records nothing, for calling a connector's hooks (`connect`, `listScopes`) outside a collection. */
export function unrecordedContext(given: Pick<CollectContext, 'source' | 'env' | 'baseDir' | 'now'>): CollectContext {
  return {
    ...given,
    log: silentLogger,
    timeouts: DEFAULT_TIMEOUTS,
    paging: DEFAULT_PAGING,
    signal: new AbortController().signal,
    scope: discardingRecorder,
    collector: () => undefined,
    reference: () => undefined,
  };
}
