import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Evaluation, EvaluationStream } from '../engine/evaluate.js';
import type { Finding } from '../sdk/index.js';
import findingsCsv, { findingRowContext } from '../writers/csv.js';
import findingsJson, { findingsAround } from '../writers/json.js';
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

/**
 * Findings handed to the writing thread at a time, and batches it may be behind: few, so the findings it is sent
 * are written and gone before its young generation is collected, rather than kept and copied to the old one.
 */
const BATCH = 1_000;
const BATCHES_AHEAD = 2;

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
      this.worker.on('message', (reply: { written?: number; digests?: FileDigest[]; error?: string }) => {
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

  /** Hands a batch over; waits while the thread is BATCHES_AHEAD behind. */
  async send(findings: Finding[]): Promise<void> {
    this.post({ findings });
    this.ahead++;
    while (this.ahead >= BATCHES_AHEAD && !this.failed) await new Promise<void>((resolve) => (this.caughtUp = resolve));
    this.caughtUp = undefined;
    if (this.failed) throw this.failed;
  }

  async end(around: Record<string, unknown>): Promise<FileDigest[]> {
    this.post({ end: around });
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
 * evaluated: every finding is folded into the summary here and handed to a second thread, which serializes,
 * digests and writes it (the run's two cores, evaluating and writing at once); only the findings the summary
 * lists one by one (failing, excepted) are kept. The bytes are those the two writers render from every finding held.
 */
export async function writeFindingsFiles(staging: string, base: Omit<ResultSet, 'findings' | 'waivers' | 'summary'>, evaluation: EvaluationStream): Promise<WrittenFindings> {
  const fold = new SummaryFold(base);
  const writer = new FindingsWriter({
    files: { json: [path.join(staging, findingsJson.fileName), findingsJson.fileName], csv: [path.join(staging, findingsCsv.fileName), findingsCsv.fileName] },
    context: findingRowContext(base),
    // What comes before the list in findings.json is what the findings cannot change: the run and its collection.
    opening: findingsAround(base, fold.summary(undefined)),
  });
  try {
    let batch: Finding[] = [];
    for (const finding of evaluation.findings) {
      fold.add(finding);
      batch.push(finding);
      if (batch.length === BATCH) {
        await writer.send(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await writer.send(batch);
    const account = evaluation.account();
    const waivers = sortWaivers(account.waivers);
    const summary = fold.summary(waivers);
    const digests = await writer.end(findingsAround(base, summary));
    return { results: sortResultSet({ ...base, findings: fold.listed, waivers, summary }), account, digests };
  } finally {
    await writer.stop();
  }
}
