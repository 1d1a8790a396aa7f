import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Evaluation, EvaluationStream } from '../engine/evaluate.js';
import { StableJsonList, stableStringify } from '../stable-json.js';
import findingsCsv, { findingRowContext, findingsCsvRecords } from '../writers/csv.js';
import findingsJson, { FINDINGS_KEY, FINDINGS_LAYOUT, findingLine, findingsAround } from '../writers/json.js';
import { sortResultSet, sortWaivers } from '../writers/sorted.js';
import { SummaryFold } from '../writers/summary.js';
import type { ResultSet } from '../writers/types.js';
import type { FindingsWorkerData, FindingsWorkerMessage } from './findings-worker.js';
import type { FileDigest } from './seal.js';

export interface WrittenFindings {
  /** The results with only the findings the summary lists, and the summary of them all. */
  results: ResultSet;
  /** The evaluation's account: the waivers' use and the population left out. */
  account: Omit<Evaluation, 'findings'>;
  /** findings.json and findings.csv, as the seal lists them. */
  digests: FileDigest[];
}

/** Findings serialized before their text is handed to the writing thread, and batches it may be behind. */
const BATCH = 2_000;
const BATCHES_AHEAD = 4;

/**
 * The writing thread: built, its module sits beside this one as JavaScript; run from the TypeScript sources
 * (tests, scripts under tsx), the thread loads it through tsx's API.
 */
function startWorker(data: FindingsWorkerData): Worker {
  const url = new URL('./findings-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return new Worker(url, { workerData: data });
  const source = new URL('./findings-worker.ts', import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(source)}, ${JSON.stringify(import.meta.url)}))`, { eval: true, workerData: data });
}

/** The writing thread, with a promise per reply: the acknowledgement of each batch, then the two files' digests. */
class FindingsWriter {
  private readonly worker: Worker;
  private ahead = 0;
  private caughtUp: (() => void) | undefined;
  private failed: Error | undefined;
  readonly digests: Promise<FileDigest[]>;

  constructor(data: FindingsWorkerData) {
    this.worker = startWorker(data);
    this.digests = new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        this.failed ??= error;
        this.caughtUp?.();
        reject(error);
      };
      this.worker.on('message', (reply: { written?: true; digests?: FileDigest[]; error?: string }) => {
        if (reply.error !== undefined) fail(new Error(`writing findings.json and findings.csv failed: ${reply.error}`));
        else if (reply.digests) resolve(reply.digests);
        else if (reply.written !== undefined) {
          this.ahead--;
          this.caughtUp?.();
        }
      });
      this.worker.on('error', fail);
      this.worker.on('exit', (code) => fail(new Error(`the thread writing findings.json and findings.csv stopped (exit code ${code})`)));
    });
    // Observed here so a failure before anyone awaits the digests is not an unhandled rejection.
    this.digests.catch(() => undefined);
  }

  /** Hands over text for each file; waits while the thread is BATCHES_AHEAD behind. */
  async send(texts: string[]): Promise<void> {
    this.post({ texts });
    this.ahead++;
    while (this.ahead >= BATCHES_AHEAD && !this.failed) await new Promise<void>((resolve) => (this.caughtUp = resolve));
    this.caughtUp = undefined;
    if (this.failed) throw this.failed;
  }

  async end(): Promise<FileDigest[]> {
    this.post({ end: true });
    return this.digests;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }

  private post(message: FindingsWorkerMessage): void {
    this.worker.postMessage(message);
  }
}

/**
 * Writes findings.json and findings.csv into the staging folder in one walk of the evaluation, as each control is
 * evaluated: every finding is folded into the summary and serialized here (its evidence once, for both files),
 * and a second thread encodes, digests and writes the text while the next findings are evaluated; only the
 * findings the summary lists one by one (failing, excepted) are kept. The bytes are those the two writers render
 * from every finding held.
 */
export async function writeFindingsFiles(staging: string, base: Omit<ResultSet, 'findings' | 'waivers' | 'summary'>, evaluation: EvaluationStream): Promise<WrittenFindings> {
  const fold = new SummaryFold(base);
  const writer = new FindingsWriter({
    files: [findingsJson.fileName, findingsCsv.fileName].map((name): [string, string] => [path.join(staging, name), name]),
  });
  try {
    const list = new StableJsonList(FINDINGS_KEY, FINDINGS_LAYOUT);
    // What comes before the list in findings.json is what the findings cannot change: the run and its collection.
    const opening = findingsAround(base, fold.summary(undefined));
    const { header, record } = findingsCsvRecords(findingRowContext(base));
    let json = '';
    let csv = header;
    let count = 0;
    for (const finding of evaluation.findings) {
      fold.add(finding);
      const evidence = stableStringify(finding.evidence);
      json += list.itemText(opening, findingLine(finding, evidence));
      csv += record(finding, evidence);
      if (++count % BATCH === 0) {
        await writer.send([json, csv]);
        json = '';
        csv = '';
      }
    }
    const account = evaluation.account();
    const waivers = sortWaivers(account.waivers);
    const summary = fold.summary(waivers);
    await writer.send([json + list.end(findingsAround(base, summary)), csv]);
    const digests = await writer.end();
    return { results: sortResultSet({ ...base, findings: fold.listed, waivers, summary }), account, digests };
  } finally {
    await writer.stop();
  }
}
