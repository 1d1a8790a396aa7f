import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How far V8 lets the heap grow past what survived its last full collection. By default it grows up to fourfold
 * before collecting again, and a run allocates far faster than it keeps: at 100 000 identities its resident set
 * peaked at 1.45 GiB for a live heap of about 330 MiB. Growing by 60 % keeps that run at about 0.85 GiB in the same
 * time (docs/benchmarks.md). A ratio, not a cap: a larger population still gets all the heap it needs.
 */
export const HEAP_GROWING_PERCENT = 60;

/** The V8 flag to set, unless the user chose a growth of their own on the command line or in NODE_OPTIONS. */
export function heapGrowingFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return given.some((flag) => /^--heap[-_]growing[-_]percent(=|$)/.test(flag)) ? undefined : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Sets the heap's growth for this process. V8 reads it at each full collection, so it applies from the next one. */
export function boundHeapGrowth(): void {
  const flag = heapGrowingFlag(process.execArgv, process.env['NODE_OPTIONS']);
  if (flag) v8.setFlagsFromString(flag);
}

/**
 * A full collection, now. V8 collects when the heap reaches the limit it set at the previous collection, so a
 * phase that leaves much garbage (a collection's raw pages and parsed responses) can keep it past the start of the
 * next. Before a run starts its evaluation thread, whose heap comes on top of this one, that garbage was about
 * 130 MiB of the peak at 100 000 identities (docs/benchmarks.md). The flag is set only to take the function.
 */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  v8.setFlagsFromString('--no-expose-gc');
  gc();
}
