import { spawn } from 'node:child_process';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How far V8 lets the heap grow past what survived its last full collection. By default it grows up to fourfold
 * before collecting again, and a run allocates far faster than it keeps: at 100 000 identities its resident set
 * peaked at 1.45 GiB for a live heap of about 330 MiB. Growing by 60 % keeps that run at about 0.85 GiB in the same
 * time (docs/benchmarks.md). A ratio, not a cap: a larger population still gets all the heap it needs.
 */
export const HEAP_GROWING_PERCENT = 60;

/** `flag`, unless the user set it (or `name`'s other spelling) on the command line or in NODE_OPTIONS. */
function unlessGiven(name: string, flag: string, execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  const pattern = new RegExp(`^--${name.replace(/-/g, '[-_]')}(=|$)`);
  return given.some((arg) => pattern.test(arg)) ? undefined : flag;
}

/** The V8 flag to set, unless the user chose a growth of their own on the command line or in NODE_OPTIONS. */
export function heapGrowingFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  return unlessGiven('heap-growing-percent', `--heap-growing-percent=${HEAP_GROWING_PERCENT}`, execArgv, nodeOptions);
}

/**
 * The young generation's semi-space, in MiB, for the commands that collect. Parsing a provider's answers allocates
 * far more than it keeps (the AWS SDK's XML parser builds each page's tree a character at a time), and with V8's
 * default semi-space of 16 MiB much of it was copied twice before it died. At 100 000 identities, 32 MiB took a
 * run from 45–49 s and 63–69 s of CPU to 34–42 s and 46–56 s, for 50–100 MiB more at the peak; 24 MiB was no
 * different from 16 (V8 takes a power of two). V8 sizes the young generation when the process starts, so it
 * takes a process started with the flag (docs/benchmarks.md).
 */
export const SEMI_SPACE_MB = 32;

/** The commands that collect from the providers. */
const COLLECTING = new Set(['run', 'check', 'collect', 'demo']);

/** The V8 flag a collecting command is started with, unless the user chose a semi-space of their own. */
export function semiSpaceFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  return unlessGiven('max-semi-space-size', `--max-semi-space-size=${SEMI_SPACE_MB}`, execArgv, nodeOptions);
}

/**
 * The command line names a command that collects (a word of it, wherever commander would find the command).
 * `collect --from-raw` reads a pack's pages instead: measured, it went no faster with the larger semi-space.
 */
export const collects = (args: readonly string[]): boolean => args.some((arg) => COLLECTING.has(arg)) && !args.includes('--from-raw');

/** Set in the environment of the child withLargerYoungGeneration starts, and taken out of it there. */
const CHILD = 'NHI_AUDIT_YOUNG_GENERATION_CHILD';

/**
 * Runs this script again in a child process started with the semi-space flag, when it lacks it, and returns the
 * child's exit code; undefined when this process should go on itself. The child inherits the terminal and the
 * environment; a signal sent to this process is passed on, a child ended by a signal ends this one the same way, and
 * the child ends when this process does, even killed outright (endWithParent).
 */
export async function withLargerYoungGeneration(argv: readonly string[] = process.argv): Promise<number | undefined> {
  const flag = semiSpaceFlag(process.execArgv, process.env['NODE_OPTIONS']);
  if (!flag) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, flag, ...argv.slice(1)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env: { ...process.env, [CHILD]: '1' } });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const pass = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of signals) process.on(signal, pass);
  let ended: [number | null, NodeJS.Signals | null] | undefined;
  try {
    ended = await new Promise<[number | null, NodeJS.Signals | null] | undefined>((resolve, reject) => {
      // A child that could not be started leaves the command to this process, as with the user's own flag.
      child.once('error', (error) => (child.pid === undefined ? resolve(undefined) : reject(error)));
      child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });
  } finally {
    for (const signal of signals) process.off(signal, pass);
  }
  if (!ended) return undefined;
  const [code, signal] = ended;
  // With its own handlers gone, this process ends by the child's signal as the child did.
  if (signal) process.kill(process.pid, signal);
  return code ?? 1;
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

/**
 * In the child withLargerYoungGeneration started: ends it when its parent has gone, however the parent ended
 * (SIGKILL sends nothing on), so no run goes on writing a pack that no one waits for.
 */
export function endWithParent(): void {
  const ours = process.env[CHILD] === '1';
  delete process.env[CHILD];
  if (!ours || !process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
