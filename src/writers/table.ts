import { driftLines, type Drift } from '../evidence/drift.js';
import { safeText } from '../terminal.js';
import { describeIncompleteness, describeUnreconciled, findingSubject } from './describe.js';
import { sortResultSet } from './sorted.js';
import { summarize, type StatusCounts, type Summary } from './summary.js';
import type { RenderOptions, ResultSet, Writer } from './types.js';

/** Widths count code points: close enough for the ids and messages this prints, with no width table to ship. */
function width(text: string): number {
  return [...text].length;
}

/** Pads or cuts to `size`. Ids are cut in the middle, keeping the connector in front and the name and credential at the end. */
function fit(text: string, size: number, cut: 'end' | 'middle'): string {
  const chars = [...text];
  if (chars.length <= size) return text + ' '.repeat(size - chars.length);
  if (cut === 'end') return `${chars.slice(0, Math.max(0, size - 1)).join('')}…`;
  const head = Math.floor((size - 1) / 2);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (size - 1 - head)).join('')}`;
}

type Paint = (code: string, text: string) => string;

function painter(color: boolean): Paint {
  return color ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_code, text) => text;
}

const RED = '31';
const GREEN = '32';
const YELLOW = '33';
const BOLD_RED = '1;31';
const DIM = '2';

interface Column {
  title: string;
  size: number;
  align: 'left' | 'right';
  cut?: 'middle';
}

function row(columns: readonly Column[], cells: readonly string[], paints: readonly (string | undefined)[], paint: Paint): string {
  return columns
    .map((column, i) => {
      const cell = cells[i]!;
      const text = column.align === 'right' ? cell.padStart(column.size) : fit(cell, column.size, column.cut ?? 'end');
      const code = paints[i];
      return code ? paint(code, text) : text;
    })
    .join('  ')
    .trimEnd();
}

function header(columns: readonly Column[], paint: Paint): string {
  return paint(DIM, row(columns, columns.map((c) => c.title), [], paint));
}

function controlTable({ controls }: Summary, maxWidth: number, paint: Paint): string[] {
  const counts = (c: StatusCounts) => [c.pass, c.fail, c.excepted, c['not-applicable']].map(String);
  const numeric: Column[] = ['PASS', 'FAIL', 'EXCEPTED', 'N/A'].map((title) => ({ title, size: title.length, align: 'right' }));
  for (const { counts: c } of controls) counts(c).forEach((n, i) => (numeric[i]!.size = Math.max(numeric[i]!.size, n.length)));
  const severity: Column = { title: 'SEVERITY', size: 8, align: 'left' };
  const fixed = severity.size + numeric.reduce((sum, c) => sum + c.size + 2, 2);
  const idWidth = controls.reduce((most, { control }) => Math.max(most, width(control.id)), 7);
  const id: Column = { title: 'CONTROL', size: Math.max(10, Math.min(idWidth, maxWidth - fixed)), align: 'left' };
  const columns = [id, severity, ...numeric];
  const lines = [header(columns, paint)];
  for (const { control, counts: c } of controls) {
    const cells = [control.id, control.severity, ...counts(c)];
    lines.push(row(columns, cells, [undefined, undefined, c.pass ? GREEN : undefined, c.fail ? RED : undefined, c.excepted ? YELLOW : undefined], paint));
  }
  return lines;
}

/** When the row does not fit, identity and message share the room, neither narrower than this. */
const MIN_CELL = 20;

/** The widest cell of one column, at least `least`: a loop, since spreading 100 000 rows into Math.max overflows the stack. */
function widest(cells: readonly string[][], column: number, least: number): number {
  let most = least;
  for (const cell of cells) most = Math.max(most, width(cell[column]!));
  return most;
}

function failingTable({ failing, counts }: Summary, maxWidth: number, paint: Paint, maxFindings: number): string[] {
  if (counts.fail === 0) return [];
  const shown = failing.slice(0, maxFindings);
  const cells = shown.map((f) => [f.controlId, safeText(findingSubject(f)), safeText(f.message)]);
  const control: Column = { title: 'CONTROL', size: widest(cells, 0, 7), align: 'left' };
  const identityWidth = widest(cells, 1, 8);
  const messageWidth = widest(cells, 2, 7);
  const room = maxWidth - control.size - 4;
  const identitySize =
    identityWidth + messageWidth <= room ? identityWidth : Math.max(MIN_CELL, Math.min(identityWidth, Math.floor(room * 0.45)));
  const identity: Column = { title: 'IDENTITY', size: identitySize, align: 'left', cut: 'middle' };
  const message: Column = { title: 'MESSAGE', size: Math.max(MIN_CELL, Math.min(messageWidth, room - identitySize)), align: 'left' };
  const columns = [control, identity, message];
  return [
    paint(BOLD_RED, `Failing findings (${counts.fail})`),
    header(columns, paint),
    ...cells.map((c) => row(columns, c, [RED], paint)),
    ...(counts.fail > shown.length ? [`… and ${counts.fail - shown.length} more (findings.csv, or --format csv)`] : []),
  ];
}

function headline(results: ResultSet): string {
  const parts = [`${results.tool.name} ${results.tool.version}`, `as of ${results.asOf}`];
  if (results.cycle) parts.push(`cycle ${results.cycle}`);
  if (results.organization) parts.push(safeText(results.organization));
  return parts.join(' · ');
}

function verdict({ counts, controls, incompleteSources }: Summary, paint: Paint): string {
  const failingControls = controls.filter((c) => c.counts.fail > 0).length;
  const excepted = counts.excepted > 0 ? ` (${counts.excepted} excepted by waiver)` : '';
  if (incompleteSources.length > 0) {
    const names = incompleteSources.map((s) => s.source).join(', ');
    return paint(BOLD_RED, `INCOMPLETE: collection from ${names} is partial; these results cannot be relied on (${counts.fail} failing finding${counts.fail === 1 ? '' : 's'})`);
  }
  return counts.fail > 0
    ? paint(BOLD_RED, `FAIL: ${counts.fail} failing finding${counts.fail === 1 ? '' : 's'} in ${failingControls} control${failingControls === 1 ? '' : 's'}${excepted}`)
    : paint(GREEN, `PASS: no failing findings${excepted}`);
}

function driftSection(drift: Drift): string[] {
  const since = `since ${drift.baseline.cycle} (${drift.baseline.runId}, as of ${drift.baseline.asOf})`;
  return drift.events.length === 0 ? [`DRIFT: nothing ${since}`] : [`DRIFT: ${drift.events.length} changes ${since}`, ...driftLines(drift).map((line) => `  ${safeText(line)}`)];
}

/** What `check` prints: incomplete sources first, then one row per control, the failing findings and a verdict. */
export function renderTable(results: ResultSet, options: RenderOptions = {}): string {
  const sorted = sortResultSet(results);
  const paint = painter(options.color ?? false);
  const maxWidth = options.width ?? Number.POSITIVE_INFINITY;
  const summary = summarize(sorted);
  const warnings = [
    ...summary.incompleteSources.map((s) => paint(BOLD_RED, safeText(`INCOMPLETE: source ${s.source} (${s.connector}): ${describeIncompleteness(s)}`))),
    ...summary.unreconciledSources.map((s) => paint(YELLOW, safeText(`UNRECONCILED: source ${s.source} (${s.connector}): ${describeUnreconciled(s)}`))),
  ];
  const sections = [
    [headline(sorted)],
    warnings,
    controlTable(summary, maxWidth, paint),
    failingTable(summary, maxWidth, paint, options.maxFindings ?? Number.POSITIVE_INFINITY),
    sorted.drift ? driftSection(sorted.drift) : [],
    [verdict(summary, paint)],
  ];
  return `${sections.filter((lines) => lines.length > 0).map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

const table: Writer = { id: 'table', fileName: 'summary.txt', render: renderTable };

export default table;
