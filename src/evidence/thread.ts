import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The young generation of a thread that parses or renders a population's records: V8's default grows to about
 * 50 MiB, on top of the run's own heap.
 */
export const THREAD_YOUNG_GENERATION_MB = 16;

/**
 * A thread running a worker module, named as built JavaScript beside its caller
 * (`new URL('./x-worker.js', import.meta.url)`). Run from the TypeScript sources (tests, scripts under tsx), the
 * module is its .ts source, loaded through tsx's API.
 */
export function startThread(module: URL, options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(module, options);
  const source = module.href.replace(/\.js$/, '.ts');
  return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(source)}, ${JSON.stringify(import.meta.url)}))`, { ...options, eval: true });
}

/**
 * A thread's messages in the order they came, taken one at a time. Once none is left, the thread's error, or its
 * exit (`stopped` says why that is a failure), is raised instead of waiting for ever.
 */
export function threadMessages<M>(worker: Worker, stopped: () => Error): { take(): Promise<M> } {
  const arrived: M[] = [];
  let failure: Error | undefined;
  let waiting: (() => void) | undefined;
  const wake = () => {
    waiting?.();
    waiting = undefined;
  };
  worker.on('message', (message: M) => {
    arrived.push(message);
    wake();
  });
  worker.on('error', (error) => {
    failure ??= error;
    wake();
  });
  worker.on('exit', () => {
    failure ??= stopped();
    wake();
  });
  return {
    async take() {
      while (arrived.length === 0) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (waiting = resolve));
      }
      return arrived.shift()!;
    },
  };
}
