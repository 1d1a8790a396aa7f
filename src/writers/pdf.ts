import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { RecertCampaignSchema, type RecertCampaign, type SourceCompleteness, type Verdict } from '../sdk/index.js';
import { describeWaiver, findingSubject } from './describe.js';
import { sortResultSet } from './sorted.js';
import { STATUSES, summarize, type ControlSummary } from './summary.js';
import type { ResultSet } from './types.js';

/** The wording of the report, from evidence-templates/report.json. */
export interface ReportText {
  title: string;
  subtitle: string;
  intro: string;
  methodology: string[];
  exceptionsNote: string;
  waiversNote: string;
  changesNote: string;
  samplesNote: string;
  noSamples: string;
  signOff: { title: string; text: string; roles: string[] };
  appendixNote: string;
}

export interface ReportSample {
  id: string;
  seed: string;
  filter: { controlId?: string; status?: string };
  populationSize: number;
  populationSha256: string;
  selected: { controlId: string; identityId: string; credentialId?: string; status: string }[];
}

export interface ReportChanges {
  fromCycle: string;
  fromRunId: string;
  counts: { label: string; count: number }[];
  lines: string[];
}

/** Everything the PDF shows beyond the ResultSet: who ran it, the seal, the cycle, changes and samples. */
export interface ReportModel {
  results: ResultSet;
  text: ReportText;
  run: {
    runId: string;
    cycle: { id: string; start: string; end: string };
    asOf: string;
    finishedAt: string;
    keyId: string;
    operator: string;
    toolCommit?: string;
    verdict: Verdict;
  };
  population: { identities: number; evaluated: number; excluded: { reason: string; identities: number }[] };
  changes?: ReportChanges;
  samples: ReportSample[];
  /** Rows beyond which lists stop and point to the CSVs, so 100 000 identities still make a readable report. */
  limits?: { exceptions?: number; appendix?: number; changes?: number };
}

const FONT = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');
const MARGIN = 50;

type Doc = PDFKit.PDFDocument;

function heading(doc: Doc, text: string, size = 15): void {
  if (doc.y > doc.page.height - MARGIN - 80) doc.addPage();
  doc.moveDown(0.6).font('bold').fontSize(size).fillColor('#1f2937').text(text).moveDown(0.3).font('regular').fontSize(9).fillColor('black');
}

function paragraph(doc: Doc, text: string): void {
  doc.font('regular').fontSize(9).fillColor('black').text(text, { align: 'left' }).moveDown(0.4);
}

const CELL_PAD = 3;
const CELL_FONT_SIZE = 7.5;
/** Where a token too long for its cell may break: after these, so ids, e-mail addresses and paths wrap readably. */
const BREAK_AFTER = new Set(['@', '.', '/', ':', '-']);

function cellFont(doc: Doc, bold: boolean): void {
  doc.font(bold ? 'bold' : 'regular').fontSize(CELL_FONT_SIZE);
}

/** Where a token wider than `width` is cut: after its last break character that fits, else as late as fits. */
function cutPoint(doc: Doc, chars: readonly string[], width: number): number {
  let fit = 1;
  while (fit < chars.length && doc.widthOfString(chars.slice(0, fit + 1).join('')) <= width) fit++;
  for (let i = fit; i > 0; i--) if (BREAK_AFTER.has(chars[i - 1]!)) return i;
  return fit;
}

/**
 * Lines of `text` that each fit `width` in the current font: broken at spaces, and a token longer than a line
 * after `@ . / : -` (never in the middle of a word when one of those fits). pdfkit's own wrapping would cut
 * such tokens at any character.
 */
function wrap(doc: Doc, text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      const candidate = line ? `${line} ${word}` : word;
      if (doc.widthOfString(candidate) <= width) {
        line = candidate;
        continue;
      }
      if (line) lines.push(line);
      let rest = [...word];
      while (rest.length > 1 && doc.widthOfString(rest.join('')) > width) {
        const cut = cutPoint(doc, rest, width);
        lines.push(rest.slice(0, cut).join(''));
        rest = rest.slice(cut);
      }
      line = rest.join('');
    }
    lines.push(line);
  }
  return lines;
}

/** Column widths: fixed numbers as given, '*' columns share what is left; no column narrower than its header's longest word. */
function columnWidths(doc: Doc, header: readonly string[], widths?: (number | '*')[]): number[] {
  const spec = widths ?? header.map(() => '*' as const);
  const available = doc.page.width - 2 * MARGIN;
  cellFont(doc, true);
  const least = header.map((title) => Math.max(...title.split(/\s+/).map((word) => doc.widthOfString(word))) + 2 * CELL_PAD + 1);
  const fixed = spec.map((w, i) => (w === '*' ? 0 : Math.max(w, least[i]!)));
  const flexible = spec.filter((w) => w === '*').length;
  const share = (available - fixed.reduce((sum, w) => sum + w, 0)) / Math.max(1, flexible);
  return spec.map((w, i) => (w === '*' ? Math.max(40, least[i]!, share) : fixed[i]!));
}

interface RowLayout {
  /** Each cell's lines, already fitted to its column. */
  cells: string[][];
  lineHeight: number;
  height: number;
}

/** A row's cells wrapped to their columns, and its height. */
function layoutRow(doc: Doc, cells: readonly string[], widths: readonly number[], bold: boolean): RowLayout {
  cellFont(doc, bold);
  const wrapped = cells.map((cell, i) => wrap(doc, cell, widths[i]! - 2 * CELL_PAD));
  const lineHeight = doc.currentLineHeight(true);
  return { cells: wrapped, lineHeight, height: Math.max(...wrapped.map((lines) => lines.length)) * lineHeight + 2 * CELL_PAD };
}

/** Draws each line where the layout put it (pdfkit is not asked to wrap again, so it cannot disagree). */
function drawRow(doc: Doc, row: RowLayout, widths: readonly number[], bold: boolean): void {
  cellFont(doc, bold);
  const top = doc.y;
  let x = MARGIN;
  row.cells.forEach((lines, i) => {
    const width = widths[i]!;
    if (bold) doc.rect(x, top, width, row.height).fillAndStroke('#e5e7eb', '#9ca3af').fillColor('black');
    else doc.rect(x, top, width, row.height).lineWidth(0.3).stroke('#9ca3af');
    lines.forEach((line, n) => doc.text(line, x + CELL_PAD, top + CELL_PAD + n * row.lineHeight, { lineBreak: false }));
    x += width;
  });
  doc.x = MARGIN;
  doc.y = top + row.height;
}

/**
 * A table with a bold header row repeated on every page it spans. Drawn cell by cell with doc.text: pdfkit's
 * own table re-lays out embedded fonts per cell and takes seconds for a few hundred rows.
 */
function table(doc: Doc, header: string[], rows: string[][], widths?: (number | '*')[]): void {
  if (rows.length === 0) {
    paragraph(doc, 'None.');
    return;
  }
  const columns = columnWidths(doc, header, widths);
  const bottom = () => doc.page.height - MARGIN;
  const head = layoutRow(doc, header, columns, true);
  const body = rows.map((row) => layoutRow(doc, row, columns, false));
  if (doc.y + head.height + body[0]!.height > bottom()) doc.addPage();
  drawRow(doc, head, columns, true);
  for (const row of body) {
    if (doc.y + row.height > bottom()) {
      doc.addPage();
      drawRow(doc, head, columns, true);
    }
    drawRow(doc, row, columns, false);
  }
  doc.moveDown(0.6).font('regular').fontSize(9);
}

function bounded<T>(items: readonly T[], limit: number): { shown: readonly T[]; more: number } {
  return { shown: items.slice(0, limit), more: Math.max(0, items.length - limit) };
}

function moreNote(doc: Doc, more: number, file: string): void {
  if (more > 0) paragraph(doc, `… and ${more} more, in ${file}.`);
}

function cover(doc: Doc, model: ReportModel): void {
  const { results, run, text } = model;
  doc.font('bold').fontSize(24).fillColor('#111827').text(text.title, { align: 'left' });
  doc.font('regular').fontSize(13).fillColor('#374151').text(`${text.subtitle} ${run.cycle.id}`).moveDown(1.5);
  const facts: [string, string][] = [
    ['Organization', results.organization ?? '(not named in the configuration)'],
    ['Audit cycle', `${run.cycle.id}: ${run.cycle.start} to ${run.cycle.end}`],
    ['As of', run.asOf],
    ['Pack (run id)', run.runId],
    ['Collection', COLLECTION_VERDICTS[run.verdict]],
    ['Signer key id', run.keyId],
    ['Produced by', `${results.tool.name} ${results.tool.version}${run.toolCommit ? ` (commit ${run.toolCommit.slice(0, 12)})` : ''}, run by ${run.operator}, finished ${run.finishedAt}`],
  ];
  doc.fontSize(10).fillColor('black');
  for (const [label, value] of facts) {
    doc.font('bold').text(`${label}: `, { continued: true }).font('regular').fillColor(label === 'Collection' && run.verdict === 'incomplete' ? '#b91c1c' : 'black').text(value).fillColor('black');
  }
  doc.moveDown(1.5);
  paragraph(doc, text.intro);
}

const COLLECTION_VERDICTS: Record<Verdict, string> = {
  complete: 'complete: every scope read without error and reconciled with an independent count',
  unreconciled: 'read without error, but some scopes had no independent count to reconcile with (unreconciled)',
  incomplete: 'INCOMPLETE: do not rely on this pack as complete',
};

function sourceRows(sources: readonly SourceCompleteness[]): string[][] {
  return sources.map((s) => {
    const operations = s.scopes.flatMap((scope) => scope.operations);
    const reconciliations = s.scopes.flatMap((scope) => scope.reconciliations);
    return [
      `${s.source} (${s.connector})`,
      String(s.scopes.length),
      String(s.identities),
      `${operations.reduce((n, o) => n + o.pages, 0)} pages, ${operations.reduce((n, o) => n + o.records, 0)} records, ${operations.reduce((n, o) => n + o.retries, 0)} retries, ${operations.reduce((n, o) => n + o.errors, 0)} errors`,
      `${reconciliations.filter((r) => r.matches).length} of ${reconciliations.length} match`,
      s.verdict,
    ];
  });
}

function scope(doc: Doc, model: ReportModel): void {
  const { results, population, text } = model;
  heading(doc, '1. Scope, population and methodology');
  for (const p of text.methodology) paragraph(doc, p);
  heading(doc, 'Sources and completeness', 11);
  table(doc, ['Source', 'Scopes', 'Identities', 'Reads', 'Independent counts', 'Verdict'], sourceRows(results.sources), ['*', 40, 50, 170, 80, 55]);
  for (const source of results.sources.filter((s) => s.verdict === 'unreconciled')) {
    const scopes = source.scopes.filter((s) => s.verdict === 'unreconciled').map((s) => s.scope);
    paragraph(doc, `${source.source} is unreconciled: it was read without error, but ${scopes.length > 0 ? scopes.join(', ') : 'it'} offered no independent count to check the listing against.`);
  }
  for (const source of results.sources.filter((s) => s.verdict === 'incomplete')) {
    const reasons = [...source.errors, ...source.scopes.flatMap((s) => [...s.errors.map((e) => `${s.scope}: ${e.operation}: ${e.message}`), ...s.unreadable.map((u) => `${s.scope}: ${u.kind}: ${u.reason}`)])];
    paragraph(doc, `${source.source} is incomplete: ${reasons.slice(0, 5).join('; ') || 'an independent count did not reconcile'}.`);
  }
  const kinds = new Map<string, number>();
  for (const identity of results.identities) kinds.set(identity.kind, (kinds.get(identity.kind) ?? 0) + 1);
  paragraph(
    doc,
    `Population: ${population.identities} identities (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}); ${population.evaluated} evaluated.` +
      population.excluded.map((e) => ` Excluded: ${e.identities} ${e.reason}.`).join(''),
  );
  systemsInScope(doc, results);
}

/** The systems registry's systems, each with the identities reaching it and their results. */
function systemsInScope(doc: Doc, results: ReportModel['results']): void {
  const { systems } = summarize(results);
  if (systems.length === 0) return;
  heading(doc, 'Systems in scope', 11);
  paragraph(doc, 'Each identity is in a system\'s scope for the reasons the inventory records (its account, tags, grants, repository or trust); an identity reaching two systems counts in both.');
  const descriptions = new Map((results.systems ?? []).map((s) => [s.name, s.description]));
  table(
    doc,
    ['System', 'SOX key', 'Owner', 'Identities', 'Pass', 'Fail', 'Excepted', 'N/A'],
    systems.map((s) => [
      descriptions.get(s.name) ? `${s.name}\n${descriptions.get(s.name)}` : s.name,
      s.sox ? 'yes' : 'no',
      s.owner ?? '—',
      String(s.identities),
      String(s.counts.pass),
      String(s.counts.fail),
      String(s.counts.excepted),
      String(s.counts['not-applicable']),
    ]),
    ['*', 40, 110, 48, 28, 28, 46, 28],
  );
}

/** What a control's counts are counts of: identities, credentials, or credentials and the identities holding none. */
function countedUnit({ counts, credentialFindings: credentials }: ControlSummary): string {
  const identities = STATUSES.reduce((sum, status) => sum + counts[status], 0) - credentials;
  if (credentials === 0) return `counts ${identities} identities`;
  return identities === 0 ? `counts ${credentials} credentials` : `counts ${credentials} credentials and ${identities} identities with none`;
}

function controls(doc: Doc, model: ReportModel): void {
  const summary = summarize(model.results);
  heading(doc, '2. Control results');
  paragraph(doc, 'A control that judges each credential on its own counts credentials; the others count identities. Each row says which.');
  table(
    doc,
    ['Control', 'Severity', 'Desired state', 'Pass', 'Fail', 'Excepted', 'N/A', 'Frameworks'],
    summary.controls.map((row) => [
      `${row.control.id}\n(${countedUnit(row)})`,
      row.control.severity,
      row.control.title,
      String(row.counts.pass),
      String(row.counts.fail),
      String(row.counts.excepted),
      String(row.counts['not-applicable']),
      row.control.mappings.map((m) => `${m.framework}${m.version ? ` ${m.version}` : ''}: ${m.ids.join(', ')}`).join('; ') || '—',
    ]),
    [85, 42, '*', 28, 28, 46, 28, 110],
  );
}

/** Failing findings grouped by control, the remediation said once per control rather than on every row. */
function exceptions(doc: Doc, model: ReportModel): void {
  // A run's summary holds the first failing findings of each control (LISTED_PER_CONTROL), more than are shown here.
  const { failing, counts, controls } = summarize(model.results);
  const listed = new Set(failing.map((f) => f.identityId));
  const owners = new Map<string, string>();
  for (const i of model.results.identities) if (listed.has(i.id)) owners.set(i.id, i.owner?.id ?? '(no owner)');
  const failingOf = new Map(controls.map((c) => [c.control.id, c.counts.fail]));
  heading(doc, `3. Exceptions (${counts.fail})`);
  paragraph(doc, model.text.exceptionsNote);
  let budget = model.limits?.exceptions ?? 200;
  for (const control of model.results.controls) {
    const total = failingOf.get(control.id) ?? 0;
    if (total === 0) continue;
    const rows = failing.filter((f) => f.controlId === control.id);
    heading(doc, `${control.id} (${control.severity}): ${total} failing`, 10);
    paragraph(doc, `Remediation: ${control.remediation}`);
    const { shown } = bounded(rows, Math.max(budget, 5));
    budget -= shown.length;
    table(doc, ['Identity', 'Finding', 'Owner'], shown.map((f) => [findingSubject(f), f.message, owners.get(f.identityId) ?? '']), [170, '*', 110]);
    moreNote(doc, total - shown.length, 'exceptions.csv');
  }
}

function waivers(doc: Doc, model: ReportModel): void {
  const uses = summarize(model.results).waivers;
  heading(doc, '4. Waivers');
  paragraph(doc, model.text.waiversNote);
  table(
    doc,
    ['Control', 'Identity', 'Ticket', 'Approver', 'Expires', 'State', 'Findings'],
    uses.map((u) => [u.waiver.control, u.waiver.identity, u.waiver.ticket, u.waiver.approver, u.waiver.expires, u.state === 'applied' && !u.inForce ? 'expired' : u.state, String(u.findings)]),
    [80, '*', 55, 90, 55, 45, 40],
  );
  for (const use of uses.filter((u) => u.state === 'applied')) paragraph(doc, `${use.waiver.ticket}: ${describeWaiver(use.waiver)}.`);
}

/** The closed campaign the run judged against, as the recertification controls were given it. */
function campaignOf(results: ResultSet): RecertCampaign | undefined {
  for (const control of results.controls) {
    const parsed = RecertCampaignSchema.safeParse(control.options.campaign);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/** What became of each revoke decision: gone, disabled, still active within or past its grace period. */
function revocationStates(results: ResultSet): (identityId: string) => string {
  const present = new Set(results.identities.map((i) => i.id));
  const judged = new Map(results.findings.filter((f) => f.controlId === 'revocation-executed').map((f) => [f.identityId, f]));
  return (identityId) => {
    if (!present.has(identityId)) return 'gone from the population';
    const finding = judged.get(identityId);
    if (!finding) return 'not judged';
    return finding.status === 'pass' ? 'disabled' : finding.status === 'fail' ? 'still active past its grace period' : finding.message.replace(/^.*; /, '');
  };
}

function recertification(doc: Doc, model: ReportModel): void {
  heading(doc, '5. Recertification');
  const campaign = campaignOf(model.results);
  if (!campaign) {
    paragraph(doc, 'No recertification campaign was closed beside an earlier pack of this output folder (`nhi-audit recert open`, then `recert close`).');
    return;
  }
  const count = (decision: string) => campaign.decisions.filter((d) => d.decision === decision).length;
  const completed = summarize(model.results).controls.find((c) => c.control.id === 'recertification-completed')?.counts;
  const decided = completed?.pass ?? 0;
  const undecided = completed?.fail ?? 0;
  paragraph(
    doc,
    `Campaign ${campaign.id}: ${campaign.scope === 'sox' ? 'identities reaching a SOX key system' : 'every identity'} of cycle ${campaign.cycle}, ` +
      `opened ${campaign.openedAt}, closed ${campaign.closedAt}, ${campaign.decisions.length} decisions sealed in its signed addendum. ` +
      `In this pack, ${decided} ${decided === 1 ? 'identity was' : 'identities were'} decided in it, and ${undecided} that existed when it opened ${undecided === 1 ? 'was' : 'were'} not (recertification-completed fails ${undecided === 1 ? 'it' : 'them'}).`,
  );
  table(doc, ['Decision', 'Identities'], [['keep', String(count('keep'))], ['modify', String(count('modify'))], ['revoke', String(count('revoke'))]], ['*', 60]);
  const revoked = campaign.decisions.filter((d) => d.decision === 'revoke');
  if (revoked.length === 0) return;
  heading(doc, 'Revocations', 10);
  const stateOf = revocationStates(model.results);
  table(
    doc,
    ['Identity', 'Reviewer', 'Decided', 'Now'],
    revoked.map((d) => [d.identityId, d.reviewer, d.date, stateOf(d.identityId)]),
    ['*', 110, 55, 110],
  );
}

function changes(doc: Doc, model: ReportModel): void {
  heading(doc, '6. Changes since the previous cycle');
  if (!model.changes) {
    paragraph(doc, 'There is no earlier complete pack to compare with (this is the first pack in the chain, or every earlier one is incomplete or dated later).');
    return;
  }
  paragraph(doc, `${model.text.changesNote} Compared with: ${model.changes.fromCycle}, run ${model.changes.fromRunId}.`);
  table(doc, ['Change', 'Count'], model.changes.counts.map((c) => [c.label, String(c.count)]), ['*', 60]);
  const { shown, more } = bounded(model.changes.lines, model.limits?.changes ?? 150);
  for (const line of shown) doc.font('regular').fontSize(8).text(`• ${line}`);
  moreNote(doc, more, '`nhi-audit diff`');
}

function samples(doc: Doc, model: ReportModel): void {
  heading(doc, '7. Sample selections');
  if (model.samples.length === 0) {
    paragraph(doc, model.text.noSamples);
    return;
  }
  paragraph(doc, model.text.samplesNote);
  for (const sample of model.samples) {
    heading(doc, sample.id, 10);
    paragraph(
      doc,
      `Seed ${sample.seed}; control ${sample.filter.controlId ?? 'any'}; status ${sample.filter.status ?? 'any'}; ` +
        `${sample.selected.length} of ${sample.populationSize} items; population sha256 ${sample.populationSha256}.`,
    );
    table(doc, ['Control', 'Identity', 'Status'], sample.selected.map((s) => [s.controlId, findingSubject(s), s.status]), [100, '*', 60]);
  }
}

function signOff(doc: Doc, model: ReportModel): void {
  heading(doc, `8. ${model.text.signOff.title}`);
  paragraph(doc, model.text.signOff.text);
  for (const role of model.text.signOff.roles) {
    doc.moveDown(0.8).font('bold').fontSize(9).text(role);
    doc.font('regular').moveDown(0.8).text('Name: ____________________________   Signature: ____________________________   Date: ______________');
  }
}

function appendix(doc: Doc, model: ReportModel): void {
  const identities = model.results.identities;
  const { shown } = bounded(identities, model.limits?.appendix ?? 300);
  doc.addPage();
  heading(doc, 'Appendix: population');
  paragraph(doc, model.text.appendixNote.replace('{shown}', String(shown.length)).replace('{total}', String(identities.length)));
  table(
    doc,
    ['Identity', 'Kind', 'Classification', 'Privilege', 'Owner'],
    shown.map((i) => [i.id, i.kind, i.classification.value, i.privilege.level, i.owner?.id ?? '']),
    ['*', 60, 60, 50, 110],
  );
}

function footers(doc: Doc, model: ReportModel): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // The footer sits in the bottom margin; with the margin kept, pdfkit would move it onto a page of its own.
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const y = doc.page.height - MARGIN + 15;
    doc.font('regular').fontSize(7).fillColor('#6b7280');
    doc.text(`${model.results.organization ?? ''} · ${model.run.cycle.id} · run ${model.run.runId} · page ${i + 1} of ${range.count}`, MARGIN, y, {
      width: doc.page.width - 2 * MARGIN,
      align: 'center',
      lineBreak: false,
    });
    doc.page.margins.bottom = margin;
  }
}

/** report.pdf: the human report of a pack, with summary pages and bounded appendices that point to the CSVs. */
export function renderReportPdf(model: ReportModel): Promise<Buffer> {
  const sorted: ReportModel = { ...model, results: sortResultSet(model.results) };
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: {
      Title: `${model.text.title}: ${model.run.cycle.id}`,
      Author: model.results.tool.name,
      Subject: `Evidence pack ${model.run.runId}`,
      CreationDate: new Date(model.run.finishedAt),
      ModDate: new Date(model.run.finishedAt),
    },
  });
  doc.registerFont('regular', FONT);
  doc.registerFont('bold', FONT_BOLD);
  doc.font('regular');
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  cover(doc, sorted);
  doc.addPage();
  scope(doc, sorted);
  controls(doc, sorted);
  exceptions(doc, sorted);
  waivers(doc, sorted);
  recertification(doc, sorted);
  changes(doc, sorted);
  samples(doc, sorted);
  signOff(doc, sorted);
  appendix(doc, sorted);
  footers(doc, sorted);
  doc.end();
  return done;
}
