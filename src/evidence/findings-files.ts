import path from 'node:path';
import type { Evaluation, EvaluationStream } from '../engine/evaluate.js';
import type { Finding } from '../sdk/index.js';
import { StableJsonList, stableStringify } from '../stable-json.js';
import findingsCsv, { exceptionsCsv, exceptionsCsvRecords, findingsCsvRecords } from '../writers/csv.js';
import findingsJson, { FINDINGS_KEY, FINDINGS_LAYOUT, findingLine, findingsAround } from '../writers/json.js';
import { sortResultSet, sortWaivers } from '../writers/sorted.js';
import { isListed, SummaryFold, tallyFindings, type FindingsTally } from '../writers/summary.js';
import type { ResultSet } from '../writers/types.js';
import { DigestingWriter, type FileDigest } from './seal.js';

export interface WrittenFindings {
  /** The results with only the findings the summary lists, and the summary of them all. */
  results: ResultSet;
  /** The evaluation's account: the waivers' use and the population left out. */
  account: Omit<Evaluation, 'findings'>;
  /** findings.json, findings.csv and exceptions.csv, as the seal lists them. */
  digests: FileDigest[];
}

/**
 * One unit of the evaluation (a control over a slice of the population) as another thread rendered it: its
 * findings' lines of findings.json joined by the list's separator and its findings.csv records, as bytes; the
 * findings the summary lists; and a tally of the rest.
 */
export interface RenderedFindings {
  count: number;
  json: Uint8Array[];
  csv: Uint8Array[];
  listed: Finding[];
  /** Absent when only the lines were rendered (re-performing a pack compares them and writes nothing). */
  tally?: FindingsTally;
}

/** The evaluation in the order the files hold it: a unit's findings judged here, or one rendered elsewhere. */
export type FindingsPiece = Iterable<Finding> | RenderedFindings;

/** What a thread needs to render findings as writeFindingsFiles writes them; without `record`, the lines alone. */
export interface FindingsRendering {
  /** The CSV record of a finding, given its evidence as canonical JSON (`findingsCsvRecords`). */
  record?(finding: Finding, evidence: string): string;
  /** Between two lines of findings.json (`StableJsonList.separator`). */
  separator: string;
  /** The systems an identity reaches, by name. */
  systemsOf(identityId: string): readonly string[] | undefined;
}

/** Bytes built in blocks of their own, each handed over whole (transferred) once full. */
class ByteBlocks {
  static readonly SIZE = 256 * 1024;
  private block = Buffer.allocUnsafeSlow(ByteBlocks.SIZE);
  private used = 0;
  readonly blocks: Uint8Array[] = [];

  write(text: string): void {
    if (text.length * 3 > ByteBlocks.SIZE - this.used) this.flush();
    if (text.length * 3 > ByteBlocks.SIZE) this.blocks.push(new TextEncoder().encode(text));
    else this.used += this.block.write(text, this.used, 'utf8');
  }

  done(): Uint8Array[] {
    this.flush();
    return this.blocks;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.blocks.push(this.block.subarray(0, this.used));
    this.block = Buffer.allocUnsafeSlow(ByteBlocks.SIZE);
    this.used = 0;
  }
}

/** One unit's findings (one control's, in order) rendered for writeFindingsFiles on another thread. */
export function renderFindings(findings: readonly Finding[], rendering: FindingsRendering): RenderedFindings {
  const json = new ByteBlocks();
  const csv = new ByteBlocks();
  const listed: Finding[] = [];
  const rest: Finding[] = [];
  const { record } = rendering;
  findings.forEach((finding, i) => {
    const evidence = stableStringify(finding.evidence);
    if (i > 0) json.write(rendering.separator);
    json.write(findingLine(finding, evidence));
    if (!record) return;
    csv.write(record(finding, evidence));
    (isListed(finding) ? listed : rest).push(finding);
  });
  const first = findings[0];
  return {
    count: findings.length,
    json: json.done(),
    csv: csv.done(),
    listed,
    ...(record ? { tally: tallyFindings(first?.controlId ?? '', first?.severity ?? 'info', rest, rendering.systemsOf) } : {}),
  };
}

/** The pack's files writeFindingsFiles writes: a run renders the others from what it holds. */
export const FINDINGS_FILES: readonly string[] = [findingsJson.fileName, findingsCsv.fileName, exceptionsCsv.fileName];

/**
 * Writes findings.json, findings.csv and exceptions.csv into the staging folder in one walk of the evaluation, as
 * each control is evaluated: every finding is folded into the summary, serialized (its evidence once, for both
 * findings files) and encoded into the files' write blocks at once, so it dies young; only the first failing and
 * excepted findings of each control are kept (a bounded summary, LISTED_PER_CONTROL). The bytes are those the
 * three writers render from every finding held. `pieces`, when given, is the evaluation's walk with some units
 * rendered on another thread, joining lines with `separator` (the evaluation's `findings` is then not walked).
 */
export async function writeFindingsFiles(
  staging: string,
  base: Omit<ResultSet, 'findings' | 'waivers' | 'summary'>,
  evaluation: EvaluationStream,
  pieces: (separator: string) => AsyncIterable<FindingsPiece> | Iterable<FindingsPiece> = () => [evaluation.findings],
): Promise<WrittenFindings> {
  const fold = new SummaryFold(base, true);
  const files: DigestingWriter[] = [];
  try {
    for (const name of FINDINGS_FILES) files.push(await DigestingWriter.open(path.join(staging, name), name));
    const [json, csv, exceptions] = files as [DigestingWriter, DigestingWriter, DigestingWriter];
    const list = new StableJsonList(FINDINGS_KEY, FINDINGS_LAYOUT);
    // What comes before the list in findings.json is what the findings cannot change: the run and its collection.
    const opening = findingsAround(base, fold.summary(undefined));
    const { header, record } = findingsCsvRecords(base);
    const exception = exceptionsCsvRecords(base);
    await csv.write(header);
    await exceptions.write(exception.header);
    // A listed finding's line of exceptions.csv, when it has one: a promise only when a block went to the file.
    const listed = (finding: Finding) => {
      fold.add(finding);
      const line = exception.record(finding);
      return line === undefined ? undefined : exceptions.write(line);
    };
    for await (const piece of pieces(list.separator(opening))) {
      if (!('json' in piece)) {
        for (const finding of piece) {
          const block = isListed(finding) ? listed(finding) : fold.add(finding);
          if (block) await block;
          const evidence = stableStringify(finding.evidence);
          const jsonBlock = json.write(list.itemText(opening, findingLine(finding, evidence)));
          if (jsonBlock) await jsonBlock;
          const csvBlock = csv.write(record(finding, evidence));
          if (csvBlock) await csvBlock;
        }
        continue;
      }
      if (piece.count === 0) continue;
      if (!piece.tally) throw new Error('internal: findings rendered without their tally cannot be written');
      for (const finding of piece.listed) {
        const block = listed(finding);
        if (block) await block;
      }
      fold.addTally(piece.tally);
      await json.write(list.itemText(opening, ''));
      for (const bytes of piece.json) await json.writeBytes(bytes);
      for (const bytes of piece.csv) await csv.writeBytes(bytes);
    }
    const account = evaluation.account();
    const waivers = sortWaivers(account.waivers);
    const summary = fold.summary(waivers);
    await json.write(list.end(findingsAround(base, summary)));
    const digests: FileDigest[] = [];
    for (const file of files) digests.push(await file.close());
    return { results: sortResultSet({ ...base, findings: fold.listed, waivers, summary }), account, digests };
  } catch (error) {
    await Promise.all(files.map((file) => file.abandon()));
    throw error;
  }
}
