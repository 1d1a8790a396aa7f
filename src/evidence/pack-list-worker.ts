import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { z } from 'zod';
import { ConfigError, FindingSchema, IdentitySchema, type Finding, type Identity } from '../sdk/index.js';
import { identityBrief, LIST_BATCH, TAKEN, STOPPED, type ListMessage, type ListWorkerData } from './pack-list-thread.js';
import { forEachJsonItem, notLaidOutPast } from './read-pack.js';

/**
 * One of a pack's lists read on a thread of its own: parsed and validated as every pack reader does, each item
 * made into what the reader asked for (a finding's brief, or an identity as validated) and sent as JSON in
 * batches. The thread waits whenever it is a few batches ahead of the reader, so the batches in flight stay few
 * however slow the reader is.
 */
const { dir, list, ahead } = workerData as ListWorkerData;
const port = parentPort!;
const counters = new Int32Array((workerData as ListWorkerData).shared);
const send = (message: ListMessage) => port.postMessage(message);
const brief = (f: Finding) => [f.controlId, f.identityId, f.credentialId ?? null, f.status, f.message];
/**
 * An identity validated is the very data it was parsed from (IdentitySchema's objects are strict, and it neither
 * defaults nor transforms: a test keeps it so), so its text goes on as read: not written out again here, and
 * parsed by the reader with its keys in the order the pack sealed them, which canonical JSON needs not sort again.
 */
const asRead = (identity: unknown, text: string | undefined) => text ?? JSON.stringify(identity);
const read =
  list === 'finding-briefs'
    ? { file: 'findings.json', key: 'findings', schema: FindingSchema as z.ZodType<unknown>, row: (finding: unknown) => brief(finding as Finding) }
    : { file: 'inventory.json', key: 'identities', schema: IdentitySchema as z.ZodType<unknown>, row: list === 'identities' ? asRead : (identity: unknown) => identityBrief(identity as Identity) };
const { file, key, schema, row } = read;
/** A batch as JSON: identities are their texts already; briefs are written out at once, quicker than each alone. */
const encode = list === 'identities' ? (items: unknown[]) => `[${items.join(',')}]` : (items: unknown[]) => JSON.stringify(items);
let sent = 0;
let handed = 0;
let batch: unknown[] = [];

function flush(): void {
  send({ batch: encode(batch) });
  batch = [];
  sent++;
  for (let taken = Atomics.load(counters, TAKEN); sent - taken >= ahead && Atomics.load(counters, STOPPED) === 0; taken = Atomics.load(counters, TAKEN)) {
    Atomics.wait(counters, TAKEN, taken, 100);
  }
}

try {
  await forEachJsonItem(dir, file, key, schema, () => {
    // Read again from the start, as a file laid out otherwise is: what was handed on cannot be taken back.
    if (handed > 0) throw notLaidOutPast(path.join(dir, file), key, handed);
    return {
      item: (item, text) => {
        handed++;
        batch.push(row(item, text));
        if (batch.length >= LIST_BATCH) flush();
      },
    };
  });
  if (batch.length > 0) flush();
  send({ end: true });
} catch (error) {
  send({ error: error instanceof ConfigError ? { file: error.file, problems: [...error.problems] } : { message: error instanceof Error ? error.message : String(error) } });
}
