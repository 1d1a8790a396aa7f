import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapGrowingFlag } from '../src/heap.js';

describe('the heap growth a run sets', () => {
  const ours = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
  it.each([
    { execArgv: [], nodeOptions: undefined, flag: ours },
    { execArgv: ['--import', 'tsx'], nodeOptions: '--max-old-space-size=700', flag: ours },
    { execArgv: ['--heap-growing-percent=20'], nodeOptions: undefined, flag: undefined },
    { execArgv: [], nodeOptions: '--enable-source-maps  --heap_growing_percent=100', flag: undefined },
    { execArgv: [], nodeOptions: '--heap-growing-percentile=5', flag: ours },
  ])('execArgv $execArgv, NODE_OPTIONS $nodeOptions: $flag', ({ execArgv, nodeOptions, flag }) => {
    expect(heapGrowingFlag(execArgv, nodeOptions)).toBe(flag);
  });
});
