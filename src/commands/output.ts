import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ExitError, EXIT } from '../sdk/index.js';
import type { Severity } from '../sdk/index.js';
import { writers, type OutputFormat } from '../writers/index.js';
import type { ResultSet } from '../writers/types.js';

export interface ReportOptions {
  failOn: Severity;
  format: OutputFormat;
  output?: string;
  onlyFailed?: boolean;
}

/** Renders the results in the chosen format to a file or stdout (logs go to stderr, so stdout stays parseable). */
export async function emit(results: ResultSet, options: ReportOptions): Promise<void> {
  const shown = options.onlyFailed
    ? { ...results, findings: results.findings.filter((f) => f.status === 'fail' || f.status === 'excepted') }
    : results;
  const toTerminal = !options.output && process.stdout.isTTY === true;
  const text = writers[options.format].render(shown, {
    color: toTerminal,
    ...(toTerminal && process.stdout.columns ? { width: process.stdout.columns } : {}),
  });
  if (options.output) await writeFile(options.output, text);
  else process.stdout.write(text);
}

/** An output file's folder must exist: checked before anything is collected, so a typo costs nothing. */
export async function checkOutputFile(file: string | undefined, option = '--output'): Promise<void> {
  if (file === undefined) return;
  const folder = path.dirname(path.resolve(file));
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new ExitError(EXIT.usage, `${option}: ${file}: the folder ${path.dirname(file)} does not exist; create it first or choose another path`);
}
