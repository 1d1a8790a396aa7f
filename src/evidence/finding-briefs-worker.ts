import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError, FindingSchema } from '../sdk/index.js';
import { BRIEFS_AHEAD, BRIEFS_BATCH, TAKEN, STOPPED, type BriefsMessage, type BriefsWorkerData } from './finding-briefs.js';
import { forEachJsonItem } from './read-pack.js';

/**
 * A pack's findings read on a thread of their own: findings.json parsed and validated as every pack reader does,
 * each finding cut down to its brief and sent in batches. The thread waits whenever it is a few batches ahead of
 * the reader, so the batches in flight stay few however slow the reader is.
 */
const { dir, shared } = workerData as BriefsWorkerData;
const port = parentPort!;
const counters = new Int32Array(shared);
const send = (message: BriefsMessage) => port.postMessage(message);
let sent = 0;
let handed = 0;
let batch: unknown[] = [];

function flush(): void {
  send({ briefs: JSON.stringify(batch) });
  batch = [];
  sent++;
  for (let taken = Atomics.load(counters, TAKEN); sent - taken >= BRIEFS_AHEAD && Atomics.load(counters, STOPPED) === 0; taken = Atomics.load(counters, TAKEN)) {
    Atomics.wait(counters, TAKEN, taken, 100);
  }
}

try {
  await forEachJsonItem(dir, 'findings.json', 'findings', FindingSchema, () => {
    // Read again from the start, as a file laid out otherwise is: what was handed on cannot be taken back.
    if (handed > 0) throw new ConfigError(path.join(dir, 'findings.json'), [{ path: `findings[${handed}]`, message: 'the file is not laid out as packs write it past this item; is it a sealed pack?' }]);
    return {
      item: (f) => {
        handed++;
        batch.push([f.controlId, f.identityId, f.credentialId ?? null, f.status, f.message]);
        if (batch.length >= BRIEFS_BATCH) flush();
      },
    };
  });
  if (batch.length > 0) flush();
  send({ end: true });
} catch (error) {
  send({ error: error instanceof ConfigError ? { file: error.file, problems: [...error.problems] } : { message: error instanceof Error ? error.message : String(error) } });
}
