import { describe, expect, it } from 'vitest';
import { collects, HEAP_GROWING_PERCENT, heapGrowingFlag, SEMI_SPACE_MB, semiSpaceFlag } from '../src/heap.js';

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

describe('the young generation a collecting command is started with', () => {
  const ours = `--max-semi-space-size=${SEMI_SPACE_MB}`;
  it.each([
    { execArgv: [], nodeOptions: undefined, flag: ours },
    { execArgv: ['--import', 'tsx', '--heap-growing-percent=20'], nodeOptions: '', flag: ours },
    { execArgv: ['--max-semi-space-size=64'], nodeOptions: undefined, flag: undefined },
    { execArgv: [], nodeOptions: '--max_semi_space_size=8 --enable-source-maps', flag: undefined },
    { execArgv: [], nodeOptions: '--max-semi-space-sizes=8', flag: ours },
  ])('execArgv $execArgv, NODE_OPTIONS $nodeOptions: $flag', ({ execArgv, nodeOptions, flag }) => {
    expect(semiSpaceFlag(execArgv, nodeOptions)).toBe(flag);
  });

  it.each([
    [['run', '--cycle', '2026-Q4'], true],
    [['--config', 'a.yaml', 'check', '--format', 'sarif'], true],
    [['collect', '--plan', 'plan.json', '--shard', '1/2'], true],
    [['demo'], true],
    [['collect', '--from-raw', 'pack', '--output', 'inventory.json'], false],
    [['verify', 'pack'], false],
    [['diff', 'a', 'b'], false],
    [['--version'], false],
  ])('%j collects: %s', (args, expected) => {
    expect(collects(args)).toBe(expected);
  });
});
