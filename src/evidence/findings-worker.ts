import { parentPort, workerData } from 'node:worker_threads';
import type { Finding } from '../sdk/index.js';
import { StableJsonList, stableStringify } from '../stable-json.js';
import { findingsCsvRecords, type FindingRowContext } from '../writers/csv.js';
import { FINDINGS_KEY, FINDINGS_LAYOUT, findingLine } from '../writers/json.js';
import { DigestingWriter } from './seal.js';

/** What the thread that writes findings.json and findings.csv is started with. */
export interface FindingsWorkerData {
  files: { json: [file: string, pack: string]; csv: [file: string, pack: string] };
  context: FindingRowContext;
  /** What surrounds the list in findings.json, as far as it comes before the list. */
  opening: Record<string, unknown>;
}

/** From the evaluating thread: a batch of findings in canonical order, then what surrounds the list once all came. */
export type FindingsWorkerMessage = { findings: Finding[] } | { end: Record<string, unknown> };

/**
 * The second core's share of a run: serializing, encoding, digesting and writing findings.json and findings.csv
 * while the evaluating thread goes on evaluating. Each batch is acknowledged once written, so the evaluating
 * thread never runs more than a few batches ahead.
 */
const { files, context, opening } = workerData as FindingsWorkerData;
const port = parentPort!;
const json = await DigestingWriter.open(...files.json);
const csv = await DigestingWriter.open(...files.csv);
const list = new StableJsonList(FINDINGS_KEY, FINDINGS_LAYOUT);
const { header, record } = findingsCsvRecords(context);
csv.write(header);

async function take(message: FindingsWorkerMessage): Promise<void> {
  if ('findings' in message) {
    for (const finding of message.findings) {
      const evidence = stableStringify(finding.evidence);
      const jsonBlock = json.write(list.itemText(opening, findingLine(finding, evidence)));
      if (jsonBlock) await jsonBlock;
      const csvBlock = csv.write(record(finding, evidence));
      if (csvBlock) await csvBlock;
    }
    port.postMessage({ written: message.findings.length });
    return;
  }
  json.write(list.end(message.end));
  port.postMessage({ digests: [await json.close(), await csv.close()] });
  port.close();
}

let queue = Promise.resolve();
port.on('message', (message: FindingsWorkerMessage) => {
  queue = queue.then(() => take(message)).catch(async (error: unknown) => {
    await json.abandon();
    await csv.abandon();
    port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    port.close();
  });
});
