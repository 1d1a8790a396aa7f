import { Worker, type WorkerOptions } from 'node:worker_threads';

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
