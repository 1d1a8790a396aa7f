import { parentPort, workerData } from 'node:worker_threads';
import { indentedItems } from '../stable-json.js';
import type { ItemsThreadMessage, ItemsWorkerData, ItemsWorkerMessage } from './items-thread.js';

/** The items of stableJsonChunksOnThread's batches, rendered in the order they come, each batch's handed back as bytes. */
const { indent } = workerData as ItemsWorkerData;
const port = parentPort!;
const encoder = new TextEncoder();
port.on('message', ({ batch }: ItemsThreadMessage) => {
  let message: ItemsWorkerMessage;
  try {
    message = { bytes: encoder.encode(indentedItems(JSON.parse(batch) as unknown[], indent)) };
  } catch (error) {
    message = { error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(message, 'bytes' in message ? [message.bytes.buffer as ArrayBuffer] : []);
});
