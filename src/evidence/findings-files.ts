import path from 'node:path';
import type { Evaluation, EvaluationStream } from '../engine/evaluate.js';
import { StableJsonList, stableStringify } from '../stable-json.js';
import findingsCsv, { findingsCsvRecords } from '../writers/csv.js';
import findingsJson, { FINDINGS_KEY, FINDINGS_LAYOUT, findingLine, findingsAround } from '../writers/json.js';
import { sortResultSet, sortWaivers } from '../writers/sorted.js';
import { SummaryFold } from '../writers/summary.js';
import type { ResultSet } from '../writers/types.js';
import { DigestingWriter, type FileDigest } from './seal.js';

export interface WrittenFindings {
  /** The results with only the findings the summary lists, and the summary of them all. */
  results: ResultSet;
  /** The evaluation's account: the waivers' use and the population left out. */
  account: Omit<Evaluation, 'findings'>;
  /** findings.json and findings.csv, as the seal lists them. */
  digests: FileDigest[];
}

/**
 * Writes findings.json and findings.csv into the staging folder in one walk of the evaluation, as each control is
 * evaluated: every finding is folded into the summary, serialized (its evidence once, for both files) and encoded
 * into the files' write blocks at once, so it dies young; only the findings the summary lists one by one (failing,
 * excepted) are kept. The bytes are those the two writers render from every finding held.
 */
export async function writeFindingsFiles(staging: string, base: Omit<ResultSet, 'findings' | 'waivers' | 'summary'>, evaluation: EvaluationStream): Promise<WrittenFindings> {
  const fold = new SummaryFold(base);
  const json = await DigestingWriter.open(path.join(staging, findingsJson.fileName), findingsJson.fileName);
  const csv = await DigestingWriter.open(path.join(staging, findingsCsv.fileName), findingsCsv.fileName).catch(async (error: unknown) => {
    await json.abandon();
    throw error;
  });
  try {
    const list = new StableJsonList(FINDINGS_KEY, FINDINGS_LAYOUT);
    // What comes before the list in findings.json is what the findings cannot change: the run and its collection.
    const opening = findingsAround(base, fold.summary(undefined));
    const { header, record } = findingsCsvRecords(base);
    await csv.write(header);
    for (const finding of evaluation.findings) {
      fold.add(finding);
      const evidence = stableStringify(finding.evidence);
      const jsonBlock = json.write(list.itemText(opening, findingLine(finding, evidence)));
      if (jsonBlock) await jsonBlock;
      const csvBlock = csv.write(record(finding, evidence));
      if (csvBlock) await csvBlock;
    }
    const account = evaluation.account();
    const waivers = sortWaivers(account.waivers);
    const summary = fold.summary(waivers);
    await json.write(list.end(findingsAround(base, summary)));
    const digests = [await json.close(), await csv.close()];
    return { results: sortResultSet({ ...base, findings: fold.listed, waivers, summary }), account, digests };
  } catch (error) {
    await Promise.all([json.abandon(), csv.abandon()]);
    throw error;
  }
}
