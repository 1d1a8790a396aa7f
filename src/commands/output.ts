import { createWriteStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CHUNK_BYTES } from '../evidence/file-chunks.js';
import { ExitError, EXIT, type Severity } from '../sdk/index.js';
import { collectionCsv } from '../writers/csv.js';
import { OUTPUT_FORMATS, writers, type OutputFormat } from '../writers/index.js';
import type { RenderOptions, ResultSet, Writer } from '../writers/types.js';

export type FailOn = Severity | 'none';

export interface ReportOptions {
  failOn: FailOn;
  /** `FORMAT` or `FORMAT=PATH`, repeatable; none means the table on stdout. */
  format?: string[];
  /** Where the one format without a path goes, instead of stdout. */
  output?: string;
  onlyFailed?: boolean;
  /** `sox` or system names, comma-separated: evaluation is restricted to identities reaching them. */
  systems?: string;
}

/** One output of a run: a format and the file it goes to, or stdout. */
export interface OutputTarget {
  format: OutputFormat;
  file?: string;
}

function usage(message: string): never {
  throw new ExitError(EXIT.usage, message);
}

/**
 * The outputs asked for, checked before anything is collected: known formats, at most one on stdout, no file
 * named twice, and every file's folder in place (a collection that ends in "cannot write" is an hour lost).
 */
export async function resolveOutputs(options: Pick<ReportOptions, 'format' | 'output'>): Promise<OutputTarget[]> {
  const specs = options.format && options.format.length > 0 ? options.format : ['table'];
  const targets = specs.map((spec): OutputTarget => {
    const [name, ...rest] = spec.split('=');
    const file = rest.join('=');
    if (!(OUTPUT_FORMATS as readonly string[]).includes(name!)) usage(`--format: "${name}" is not a format; choose from ${OUTPUT_FORMATS.join(', ')} (FORMAT or FORMAT=PATH)`);
    if (rest.length > 0 && file.length === 0) usage(`--format ${spec}: name a file after "=", or leave "=" out to write to stdout`);
    return { format: name as OutputFormat, ...(file ? { file } : {}) };
  });
  const onStdout = targets.filter((t) => !t.file);
  if (options.output) {
    if (onStdout.length !== 1) usage('--output names the file of the one --format given without =PATH; with several formats, write FORMAT=PATH for each');
    onStdout[0]!.file = options.output;
  } else if (onStdout.length > 1) {
    usage(`--format: only one output can go to stdout (${onStdout.map((t) => t.format).join(', ')}); write FORMAT=PATH for the others`);
  }
  const files = targets.flatMap((t) => (t.file ? [path.resolve(t.file)] : []));
  const twice = files.find((f, i) => files.indexOf(f) !== i);
  if (twice) usage(`--format: ${twice} is named by two outputs`);
  for (const file of files) {
    const folder = path.dirname(file);
    const isFolder = await stat(folder).then((s) => s.isDirectory(), () => false);
    if (!isFolder) usage(`--format: the folder ${folder} does not exist; create it first (nothing was collected)`);
  }
  return targets;
}

/** `findings.csv` → `findings.collection.csv`: where a CSV output's collection verdicts go. */
export function collectionSibling(file: string): string {
  const parsed = path.parse(file);
  return path.join(parsed.dir, `${parsed.name}.collection.csv`);
}

/**
 * Renders the results in each chosen format to its file or stdout (logs go to stderr, so stdout stays
 * parseable). `pack` is the sealed pack's folder when one was written, so references can point into it.
 */
export async function emit(results: ResultSet, targets: readonly OutputTarget[], options: { onlyFailed?: boolean; pack?: string; config?: string }): Promise<void> {
  const shown = options.onlyFailed
    ? { ...results, findings: results.findings.filter((f) => f.status === 'fail' || f.status === 'excepted') }
    : results;
  for (const target of targets) {
    const toTerminal = !target.file && process.stdout.isTTY === true;
    const from = target.file ? path.dirname(path.resolve(target.file)) : process.cwd();
    const render: RenderOptions = {
      color: toTerminal,
      ...(toTerminal && process.stdout.columns ? { width: process.stdout.columns } : {}),
      ...(options.pack ? { pack: path.relative(from, options.pack).split(path.sep).join('/') || '.' } : {}),
      ...(options.config ? { config: path.relative(from, options.config).split(path.sep).join('/') } : {}),
    };
    await writeOutput(writers[target.format], shown, render, target.file);
    if (target.file && target.format === 'csv') await writeFile(collectionSibling(target.file), collectionCsv.render(shown));
  }
}

/**
 * A writer's output into a file, or onto standard output: a writer whose output grows with the population is
 * written piece by piece in blocks, waiting whenever the reader is slower, so no string of it is built whole.
 */
export async function writeOutput(writer: Writer, results: ResultSet, options: RenderOptions, file: string | undefined): Promise<void> {
  await streamOutput(Readable.from(writer.chunks ? inBlocks(writer.chunks(results, options)) : [writer.render(results, options)]), file);
}

/**
 * An output written as it comes, to its file or onto standard output: a writer's blocks, a sealed file's bytes, or
 * text made as findings stream past.
 */
export async function streamOutput(source: Readable, file: string | undefined): Promise<void> {
  // A mebibyte may wait for the disk while the next blocks are made: with the default 16 KiB, every block did.
  if (file) await pipeline(source, createWriteStream(file, { highWaterMark: 1 << 20 }));
  else await pipeline(source, process.stdout, { end: false });
}

/** Pieces joined into blocks of 64 KiB: a larger string is a large object in V8, given fresh pages each time. */
function* inBlocks(pieces: Iterable<string>, size = CHUNK_BYTES): Generator<string> {
  let pending: string[] = [];
  let length = 0;
  for (const piece of pieces) {
    pending.push(piece);
    length += piece.length;
    if (length < size) continue;
    yield pending.join('');
    pending = [];
    length = 0;
  }
  if (pending.length > 0) yield pending.join('');
}

/** An output file's folder must exist: checked before anything is collected, so a typo costs nothing. */
export async function checkOutputFile(file: string | undefined, option = '--output'): Promise<void> {
  if (file === undefined) return;
  const folder = path.dirname(path.resolve(file));
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new ExitError(EXIT.usage, `${option}: ${file}: the folder ${path.dirname(file)} does not exist; create it first or choose another path`);
}
