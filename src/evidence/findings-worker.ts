import { parentPort, workerData } from 'node:worker_threads';
import { DigestingWriter } from './seal.js';

/** What the writing thread is started with: the files it writes, each as [path on disk, path in the pack]. */
export interface FindingsWorkerData {
  files: Array<[file: string, pack: string]>;
}

/** From the evaluating thread: text to append to each file, in the order of `files`; then the end. */
export type FindingsWorkerMessage = { texts: string[] } | { end: true };

/**
 * The second core's share of a run: encoding, digesting and writing findings.json and findings.csv while the
 * evaluating thread goes on evaluating and serializing. Each batch is acknowledged once written, so the
 * evaluating thread never runs more than a few batches ahead.
 */
const { files } = workerData as FindingsWorkerData;
const port = parentPort!;
const writers = await Promise.all(files.map(([file, pack]) => DigestingWriter.open(file, pack)));

async function take(message: FindingsWorkerMessage): Promise<void> {
  if ('texts' in message) {
    for (const [i, text] of message.texts.entries()) {
      const block = writers[i]!.write(text);
      if (block) await block;
    }
    port.postMessage({ written: true });
    return;
  }
  const digests = [];
  for (const writer of writers) digests.push(await writer.close());
  port.postMessage({ digests });
  port.close();
}

let queue = Promise.resolve();
port.on('message', (message: FindingsWorkerMessage) => {
  queue = queue.then(() => take(message)).catch(async (error: unknown) => {
    for (const writer of writers) await writer.abandon();
    port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    port.close();
  });
});
