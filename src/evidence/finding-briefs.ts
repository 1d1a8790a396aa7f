import { Worker } from 'node:worker_threads';
import { ConfigError, type Finding, type Problem } from '../sdk/index.js';

/** What a diff reads of a finding: its place, its status and its message, without its evidence. */
export type FindingBrief = Pick<Finding, 'controlId' | 'identityId' | 'credentialId' | 'status' | 'message'>;

export interface BriefsWorkerData {
  dir: string;
  /** Two counters the threads share: the batches the reader took, and whether it stopped reading. */
  shared: SharedArrayBuffer;
}
export const TAKEN = 0;
export const STOPPED = 1;

/** From the reading thread: a batch of briefs (JSON of [control, identity, credential, status, message] rows), the end, or why it stopped. */
export type BriefsMessage = { briefs: string } | { end: true } | { error: { file: string; problems: Problem[] } | { message: string } };

/** Findings a batch holds, and batches the reading thread may be ahead of the reader. */
export const BRIEFS_BATCH = 5_000;
export const BRIEFS_AHEAD = 4;

/**
 * The reading thread: built, its module sits beside this one as JavaScript; run from the TypeScript sources
 * (tests, scripts under tsx), the thread loads it through tsx's API.
 */
function startWorker(data: BriefsWorkerData): Worker {
  const url = new URL('./finding-briefs-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return new Worker(url, { workerData: data });
  const source = new URL('./finding-briefs-worker.ts', import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(source)}, ${JSON.stringify(import.meta.url)}))`, { eval: true, workerData: data });
}

type Row = [controlId: string, identityId: string, credentialId: string | null, status: Finding['status'], message: string];

/**
 * A pack's findings as their briefs, in file order and in batches, read and validated on a second thread: parsing
 * findings.json is most of walking it, and a diff walks two packs' at once. Each call starts a walk from the
 * first; a walk left early stops its thread.
 */
export async function* packFindingBriefs(dir: string): AsyncGenerator<FindingBrief[]> {
  const shared = new SharedArrayBuffer(8);
  const counters = new Int32Array(shared);
  const worker = startWorker({ dir, shared });
  const messages: BriefsMessage[] = [];
  let waiting: (() => void) | undefined;
  let failure: Error | undefined;
  const wake = () => {
    waiting?.();
    waiting = undefined;
  };
  worker.on('message', (message: BriefsMessage) => {
    messages.push(message);
    wake();
  });
  worker.on('error', (error) => {
    failure = error;
    wake();
  });
  worker.on('exit', () => {
    failure ??= new Error(`reading the findings of ${dir} stopped before their end`);
    wake();
  });
  try {
    for (;;) {
      const message = messages.shift();
      if (!message) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (waiting = resolve));
        continue;
      }
      if ('end' in message) return;
      if ('error' in message) {
        const { error } = message;
        throw 'file' in error ? new ConfigError(error.file, error.problems) : new Error(error.message);
      }
      const rows = JSON.parse(message.briefs) as Row[];
      Atomics.add(counters, TAKEN, 1);
      Atomics.notify(counters, TAKEN);
      yield rows.map(([controlId, identityId, credentialId, status, message]) =>
        credentialId === null ? { controlId, identityId, status, message } : { controlId, identityId, credentialId, status, message },
      );
    }
  } finally {
    Atomics.store(counters, STOPPED, 1);
    Atomics.notify(counters, TAKEN);
    worker.removeAllListeners();
    await worker.terminate();
  }
}
