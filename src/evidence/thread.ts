import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A thread running one of the worker modules beside this one: built, the module is JavaScript; run from the
 * TypeScript sources (tests, scripts under tsx), the thread loads it through tsx's API.
 */
export function startThread(name: 'pack-list-worker' | 'digest-worker', options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url), options);
  const source = new URL(`./${name}.ts`, import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(source)}, ${JSON.stringify(import.meta.url)}))`, { ...options, eval: true });
}
