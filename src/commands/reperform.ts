import type { Config } from '../config.js';
import { findingKey, ListComparison, reperformRun, type Comparison } from '../engine/reperform.js';
import type { UnitEvaluation } from '../engine/evaluate.js';
import { renderFindings, type FindingsPiece, type FindingsRendering } from '../evidence/findings-files.js';
import path from 'node:path';
import { displayPath, forEachJsonItem, readEnrichment, readIdentitiesDigested, readSealedInputs, type ItemConsumer, type PackData, type PackHead } from '../evidence/read-pack.js';
import { ExitError, EXIT, FindingSchema, type Finding } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { safeLines } from '../terminal.js';
import { FINDINGS_KEY, findingLine } from '../writers/json.js';
import { fileChunks } from '../evidence/file-chunks.js';
import { DigestingWriter } from '../evidence/seal.js';
import { controls } from '../controls/index.js';
import { evaluationPieces } from './evaluation-thread.js';
import { openPackArgument, optionalConfig, trustedKeys, type GlobalOptions } from './context.js';

const FINDINGS_FILE = 'findings.json';

/** Re-performs a verified pack's join and evaluation; a pack sealed before inputs were kept cannot be. */
export async function reperformPack(pack: PackData<'identities'> & { identitiesDigest?: string }) {
  if (!pack.manifest.ipe) {
    throw new ExitError(EXIT.usage, `${displayPath(pack.dir)}: pack format ${pack.manifest.packFormat} keeps no inputs/, so its join cannot be re-performed; seal a new pack`);
  }
  const run = { asOf: pack.manifest.asOf, config: pack.config as unknown as Config, identities: pack.identities, ...(pack.identitiesDigest ? { identitiesDigest: pack.identitiesDigest } : {}) };
  return reperformRun(run, await readSealedInputs(pack), await readEnrichment(pack), { controls });
}

/**
 * The re-performed findings in order, as judged here (items) or rendered by the evaluation thread (their lines):
 * filled ahead of the comparison, which takes them one at a time and never waits.
 */
class ReperformedFindings implements Iterable<Finding | string> {
  private queue: Array<Finding | string> = [];
  private at = 0;
  private ended = false;

  constructor(private readonly pieces: AsyncIterator<FindingsPiece>) {}

  get buffered(): number {
    return this.queue.length - this.at;
  }

  /** Until `count` are ready, or the evaluation ended. */
  async fill(count: number): Promise<void> {
    while (this.buffered < count && !this.ended) {
      const step = await this.pieces.next();
      if (step.done) this.ended = true;
      else this.add(step.value);
    }
  }

  [Symbol.iterator](): Iterator<Finding | string> {
    return {
      next: () => {
        if (this.at < this.queue.length) return { done: false, value: this.queue[this.at++]! };
        if (this.ended) return { done: true, value: undefined };
        throw new Error('internal: a re-performed finding was compared before it was ready');
      },
    };
  }

  private add(piece: FindingsPiece): void {
    if (this.at > 0) {
      this.queue = this.queue.slice(this.at);
      this.at = 0;
    }
    if (!('json' in piece)) for (const finding of piece) this.queue.push(finding);
    else if (piece.count > 0) for (const line of Buffer.concat(piece.json).toString('utf8').split('\n')) this.queue.push(line);
  }
}

/** How many items a piece of findings.json can finish, one a line at most. */
function linesIn(chunk: string): number {
  let lines = 1;
  for (let at = chunk.indexOf('\n'); at >= 0; at = chunk.indexOf('\n', at + 1)) lines++;
  return lines;
}

const againKey = (item: Finding | string) => findingKey(typeof item === 'string' ? (JSON.parse(item) as Finding) : item);
const againText = (item: Finding | string) => (typeof item === 'string' ? item : findingLine(item, stableStringify(item.evidence)));

/**
 * The re-performed findings against the pack's findings.json as it streams past: the sealed ones are never all
 * held. Half of each control's slices are judged on the evaluation thread meanwhile. A findings.json laid out
 * otherwise than packs write it (read again from its start) is compared with a walk on this thread alone.
 */
export async function compareSealedFindings(
  pack: Pick<PackHead, 'dir'>,
  evaluation: UnitEvaluation,
  // Lines apart, as the thread renders them: the items' texts never hold a line break.
  pieces: AsyncGenerator<FindingsPiece> = evaluationPieces(evaluation, { separator: '\n' }),
): Promise<Comparison> {
  const again = new ReperformedFindings(pieces);
  let comparison: ListComparison<Finding | string> | undefined;
  let threaded = true;
  try {
    await forEachJsonItem(pack.dir, FINDINGS_FILE, FINDINGS_KEY, FindingSchema, () => {
      const consumer: ItemConsumer<Finding> = { item: (finding) => comparison!.value(finding), line: (text, read) => comparison!.text(text, read) };
      if (comparison) {
        threaded = false;
        comparison = new ListComparison<Finding | string>(evaluation.findings, againKey, againText);
        return consumer;
      }
      comparison = new ListComparison(again, againKey, againText);
      return { ...consumer, ready: (chunk) => again.fill(linesIn(chunk)) };
    });
    if (threaded) {
      for (await again.fill(1); again.buffered > 0; await again.fill(1)) comparison!.extra(again.buffered);
    }
    return comparison!.finish();
  } finally {
    await pieces.return(undefined);
  }
}

/** Past this, findings.json is not laid out as packs write it: what comes before its list is the run and a summary. */
const OPENING_LIMIT = 64 << 20;

/**
 * findings.json up to its list's first item, as packs lay it out (the list a top-level member, an item a line),
 * and what parts two items there; undefined for a file laid out otherwise, or with no findings.
 */
async function findingsOpening(file: string): Promise<{ opening: Buffer; separator: string } | undefined> {
  const marker = Buffer.from(`\n  ${JSON.stringify(FINDINGS_KEY)}: [\n`);
  const pieces: Buffer[] = [];
  let read = 0;
  let found = -1;
  // The end of what was read: the marker may straddle two pieces.
  let tail = Buffer.alloc(0);
  for await (const chunk of fileChunks(file)) {
    if (found < 0) {
      const window = Buffer.concat([tail, chunk]);
      const at = window.indexOf(marker);
      if (at >= 0) found = read - tail.length + at;
      tail = window.subarray(Math.max(0, window.length - marker.length + 1));
    }
    pieces.push(Buffer.from(chunk));
    read += chunk.length;
    if (found >= 0) {
      const head = Buffer.concat(pieces, read);
      let end = found + marker.length;
      while (head[end] === 0x20) end++;
      // The indent may run on into the next piece.
      if (end < head.length) return head[end] === 0x7b ? { opening: head.subarray(0, end), separator: `,\n${' '.repeat(end - found - marker.length)}` } : undefined;
    }
    if (read > OPENING_LIMIT) return undefined;
  }
  return undefined;
}

/**
 * The re-performed findings against the sealed findings.json by digest, without reading the sealed list: they are
 * rendered as a run writes them, between the file's own text before and after its list, and digested. Equal to the
 * digest SHA256SUMS seals (verified before the pack was read), the file's list is exactly them, byte for byte. When
 * it is not, or the file is laid out otherwise, undefined: only the item-by-item comparison can say which differ.
 * Half of each control's slices are rendered on the evaluation thread meanwhile.
 */
export async function findingsFileMatch(
  pack: Pick<PackHead, 'dir' | 'manifest'>,
  evaluation: UnitEvaluation,
  pieces: (separator: string) => AsyncGenerator<FindingsPiece> = (separator) => evaluationPieces(evaluation, { separator }),
): Promise<{ count: number; sha256: string } | undefined> {
  const file = path.join(pack.dir, FINDINGS_FILE);
  const sealed = pack.manifest.files?.find((f) => f.path === FINDINGS_FILE);
  const found = sealed ? await findingsOpening(file) : undefined;
  if (!sealed || !found) return undefined;
  const { opening, separator } = found;
  const out = DigestingWriter.digestOnly(FINDINGS_FILE);
  await out.writeBytes(opening);
  let count = 0;
  const walk = pieces(separator);
  try {
    // The units judged here are rendered as the thread renders its own: lines only, joined by the separator.
    const lines: FindingsRendering = { separator, systemsOf: () => undefined };
    for await (const piece of walk) {
      const rendered = 'json' in piece ? piece : renderFindings(Array.isArray(piece) ? piece : [...piece], lines);
      if (rendered.count === 0) continue;
      if (count > 0) await out.write(separator);
      for (const bytes of rendered.json) await out.writeBytes(bytes);
      count += rendered.count;
    }
  } finally {
    await walk.return(undefined);
  }
  // The rest of the sealed file after as many bytes as the re-performed list takes: the same only if the list is.
  for await (const bytes of fileChunks(file, undefined, out.written)) await out.writeBytes(Buffer.from(bytes));
  const again = await out.close();
  return again.sha256 === sealed.sha256 ? { count, sha256: again.sha256 } : undefined;
}

function differences(what: string, comparison: Comparison): string[] {
  return comparison.differing.slice(0, 50).map((key) => `  ${what} ${key}`);
}

/** The join and evaluation re-performed once: the inventory compared, and the findings by findings.json's digest. */
async function firstPass(pack: Parameters<typeof reperformPack>[0]) {
  const reperformed = await reperformPack(pack);
  return { inputs: reperformed.inputs, inventory: reperformed.compareInventory(), matched: await findingsFileMatch(pack, reperformed.evaluation) };
}

/**
 * Re-runs the join with the sealed registries and the controls over a pack's own inventory, inputs and
 * configuration, as of its as-of instant, and compares the inventory and findings with the sealed ones byte for byte.
 */
export default async function reperform(packDir: string, options: { publicKey: string[] }, globals: GlobalOptions): Promise<number> {
  const head = await openPackArgument(packDir, await trustedKeys(options.publicKey, await optionalConfig(globals)), []);
  const { identities, digest } = await readIdentitiesDigested(head);
  const pack = { ...head, identities, identitiesDigest: digest };
  const first = await firstPass(pack);
  const { matched } = first;
  const result = {
    inputs: first.inputs,
    inventory: first.inventory,
    // The walk is spent when the digests differ: the join is made again for the comparison that names what differs.
    findings: matched
      ? { count: matched.count, sealedDigest: matched.sha256, againDigest: matched.sha256, differing: [] }
      : await compareSealedFindings(pack, (await reperformPack(pack)).evaluation),
  };
  const inputs = result.inputs
    .filter((i) => i.kind !== 'config')
    .map((i) => `${i.kind} ${i.rows ?? '?'} rows`)
    .join(', ');
  const version = `tool ${pack.manifest.tool.version} sealed it; re-performed with ${controls.length} controls of the running tool`;
  const same = result.inventory.differing.length === 0 && result.findings.differing.length === 0 && result.inventory.sealedDigest === result.inventory.againDigest && result.findings.sealedDigest === result.findings.againDigest;
  if (same) {
    const digest = matched ? `${FINDINGS_FILE} sha256 ${matched.sha256}, as SHA256SUMS seals it` : `findings sha256 ${result.findings.againDigest}`;
    process.stdout.write(
      safeLines(
        `IDENTICAL: ${result.findings.count} findings re-performed from ${result.inventory.count} identities match the pack byte for byte (${digest}; ${version})\n` +
          `  join repeated with the sealed inputs (${inputs || 'no registries'}): inventory sha256 ${result.inventory.againDigest}, identical\n`,
      ),
    );
    return EXIT.ok;
  }
  process.stdout.write(
    safeLines(
      `DIFFERENT: ${result.inventory.differing.length} identities and ${result.findings.differing.length} findings differ from the pack ` +
        `(inventory sealed sha256 ${result.inventory.sealedDigest}, re-performed ${result.inventory.againDigest}; ` +
        `findings sealed sha256 ${result.findings.sealedDigest}, re-performed ${result.findings.againDigest}; ${version})\n` +
        [...differences('identity', result.inventory), ...differences('finding', result.findings)].join('\n') +
        '\n',
    ),
  );
  return EXIT.controlFailures;
}
