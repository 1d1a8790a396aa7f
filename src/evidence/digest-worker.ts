import { parentPort, workerData } from 'node:worker_threads';
import { digestFilesHere, type DigestWorkerData, type DigestMessage } from './seal.js';

/** One lane of digestFiles: its files' sha256 and size, hashed on this thread, or why it stopped. */
const { dir, files } = workerData as DigestWorkerData;
let message: DigestMessage;
try {
  message = { digests: await digestFilesHere(dir, files) };
} catch (error) {
  const { message: text, code } = error as NodeJS.ErrnoException;
  message = { error: { message: String(text), ...(code ? { code } : {}) } };
}
parentPort!.postMessage(message);
