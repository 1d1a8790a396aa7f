import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { ExitError, EXIT, RECERT_DECISIONS, type RecertCampaign, type RecertDecision, type RecertDecisionRecord } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { toCsv } from '../writers/csv.js';
import type { SigningKey } from './keys.js';
import { campaignItems, parseCampaignId, type CampaignItem } from './recert-campaign.js';
import { displayPath, type PackData, type PackHead } from './read-pack.js';
import { digestFiles, listPackFiles, MANIFEST_FILE, seal, sha256 } from './seal.js';

/** A filled worksheet as read: each row's cells by column, with the row number a spreadsheet shows (header = 1). */
export interface Worksheet {
  file: string;
  bytes: Buffer;
  columns: string[];
  rows: { row: number; cells: Record<string, string> }[];
}

const REQUIRED = ['campaign_id', 'pack_attestation_digest', 'owner', 'identity_id', 'decision', 'reason', 'reviewer', 'date'] as const;

/** A cell as text: a date a spreadsheet typed as a date becomes YYYY-MM-DD. */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((r) => r.text).join('');
    if ('text' in value) return String(value.text);
    if ('result' in value) return value.result instanceof Date ? value.result.toISOString().slice(0, 10) : String(value.result ?? '');
    return '';
  }
  return String(value);
}

async function readXlsx(file: string, bytes: Buffer): Promise<Pick<Worksheet, 'columns' | 'rows'>> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (error) {
    throw new ExitError(EXIT.usage, `${file}: not a readable XLSX workbook (${(error as Error).message}); give the worksheet \`recert open\` wrote, as XLSX or CSV`);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new ExitError(EXIT.usage, `${file}: the workbook has no sheet; give the worksheet \`recert open\` wrote`);
  const columns = ((sheet.getRow(1).values as ExcelJS.CellValue[]) ?? []).slice(1).map((v) => cellText(v).trim());
  const rows: Worksheet['rows'] = [];
  sheet.eachRow((row, number) => {
    if (number === 1) return;
    const values = (row.values as ExcelJS.CellValue[]).slice(1);
    const cells = Object.fromEntries(columns.map((c, i) => [c, cellText(values[i]).trim()]));
    if (Object.values(cells).some(Boolean)) rows.push({ row: number, cells });
  });
  return { columns, rows };
}

function readCsv(file: string, bytes: Buffer): Pick<Worksheet, 'columns' | 'rows'> {
  let columns: string[] = [];
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(bytes, {
      columns: (header: string[]) => (columns = header.map((h) => h.trim())),
      skip_empty_lines: true,
      trim: true,
      info: true,
      bom: true,
      relax_column_count: true,
    });
  } catch (error) {
    throw new ExitError(EXIT.usage, `${file}: not a readable CSV worksheet (${(error as Error).message})`);
  }
  // A spreadsheet's formula guard (a leading ') was written by `recert open`; the value is what follows it.
  const unguard = (text: string) => (/^'[=+\-@]/.test(text) ? text.slice(1) : text);
  return { columns, rows: records.map(({ record, info }) => ({ row: info.lines, cells: Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unguard(v ?? '')])) })) };
}

export async function readWorksheet(file: string): Promise<Worksheet> {
  const bytes = await readFile(file).catch(() => {
    throw new ExitError(EXIT.usage, `${file}: cannot read the worksheet; check the path`);
  });
  return parseWorksheet(file, bytes);
}

/** A worksheet's bytes as `file` names them (.csv or .xlsx), read as `recert close` reads a filled one. */
export async function parseWorksheet(file: string, bytes: Buffer): Promise<Worksheet> {
  if (/\.xlsx$/i.test(file)) return { file, bytes, ...(await readXlsx(file, bytes)) };
  if (/\.csv$/i.test(file)) return { file, bytes, ...readCsv(file, bytes) };
  throw new ExitError(EXIT.usage, `${file}: a worksheet is a .csv or .xlsx file, as \`recert open\` wrote it`);
}

export interface CloseSettings {
  /** The day of closing (UTC date): no decision may be dated after it. */
  today: string;
  graceDays: number;
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const worksheetOf = (file: string) => path.basename(file).replace(/\.(csv|xlsx)$/i, '');

/**
 * Checks every worksheet against the campaign they name and the pack it was opened on, and returns the campaign
 * with its decisions; any problem (file, row, field, fix) stops the close with exit 2 and nothing written.
 */
export async function validateWorksheets(pack: PackData, worksheets: readonly Worksheet[], settings: CloseSettings): Promise<RecertCampaign> {
  const problems: string[] = [];
  const at = (sheet: Worksheet, row: number | 'header', field: string, message: string) =>
    problems.push(`${displayPath(sheet.file)}: ${row === 'header' ? 'header' : `row ${row}`}, ${field}: ${message}`);
  const fail = () => new ExitError(EXIT.usage, `recert close: nothing sealed; fix these and close again:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  for (const sheet of worksheets) {
    for (const column of REQUIRED) if (!sheet.columns.includes(column)) at(sheet, 'header', column, 'the column is missing; fill the worksheet `recert open` wrote, keeping its columns');
  }
  if (problems.length > 0) throw fail();

  const first = worksheets.flatMap((s) => s.rows.map((r) => r.cells.campaign_id ?? '')).find(Boolean) ?? '';
  const named = parseCampaignId(first);
  for (const sheet of worksheets) {
    if (sheet.rows.length === 0) at(sheet, 'header', 'rows', 'the worksheet has no rows; give a worksheet `recert open` wrote');
    for (const { row, cells } of sheet.rows) {
      if (cells.campaign_id !== first) at(sheet, row, 'campaign_id', `"${cells.campaign_id}" is another campaign than ${first}; close each campaign with its own worksheets`);
      else if (!named) at(sheet, row, 'campaign_id', `"${first}" is not a campaign id of \`recert open\`; keep the column as it was written`);
      else if (named.digestPrefix !== pack.attestationDigest.slice(0, 12) || cells.pack_attestation_digest !== pack.attestationDigest) {
        at(sheet, row, 'pack_attestation_digest', `the worksheet belongs to a campaign on another pack (sha256:${cells.pack_attestation_digest}), not ${displayPath(pack.dir)}; close it against the pack it was opened on`);
      }
    }
  }
  if (problems.length > 0 || !named) throw fail();
  if (named.cycle !== pack.manifest.cycle.id) problems.push(`campaign ${first}: names cycle ${named.cycle}, but the pack is of ${pack.manifest.cycle.id}`);

  const items = new Map((await campaignItems(pack, named.scope)).map((item) => [item.identity.id, item]));
  const latest = [addDays(pack.manifest.cycle.end, settings.graceDays), settings.today].sort()[0]!;
  const decided = new Map<string, { decision: RecertDecisionRecord; where: string }>();
  for (const sheet of worksheets) {
    for (const { row, cells } of sheet.rows) {
      const item = items.get(cells.identity_id ?? '');
      if (!item) {
        at(sheet, row, 'identity_id', `"${cells.identity_id}" is not an identity of campaign ${first}; remove the row`);
        continue;
      }
      const where = `${displayPath(sheet.file)} row ${row}`;
      const earlier = decided.get(item.identity.id);
      if (earlier) {
        at(sheet, row, 'identity_id', `${item.identity.id} is decided twice (also in ${earlier.where}); keep one row`);
        continue;
      }
      const decision = checkRow(item, cells, { openedAt: named.openedAt, latest, graceDays: settings.graceDays, worksheet: worksheetOf(sheet.file) }, (field, message) => at(sheet, row, field, message));
      if (decision) decided.set(item.identity.id, { decision, where });
    }
  }
  const given = new Set(worksheets.map((s) => worksheetOf(s.file)));
  const missingSheets = new Map<string, CampaignItem[]>();
  for (const item of items.values()) {
    if (decided.has(item.identity.id) || problems.some((p) => p.includes(item.identity.id))) continue;
    if (given.has(item.worksheet)) {
      const sheet = worksheets.find((s) => worksheetOf(s.file) === item.worksheet)!;
      problems.push(`${displayPath(sheet.file)}: identity_id ${item.identity.id}: has no row; every identity of the worksheet needs a decision (restore its row from \`recert open\`)`);
    } else {
      missingSheets.set(item.worksheet, [...(missingSheets.get(item.worksheet) ?? []), item]);
    }
  }
  for (const [name, list] of missingSheets) {
    problems.push(`${name}.csv (or .xlsx): not given: ${list.length} identities of ${list[0]!.owner ?? 'no recorded owner'} are undecided; give the filled worksheet`);
  }
  if (problems.length > 0) throw fail();
  return {
    id: first,
    cycle: named.cycle,
    scope: named.scope,
    openedAt: named.openedAt,
    closedAt: settings.today,
    decisions: [...decided.values()].map((d) => d.decision).sort((a, b) => (a.identityId < b.identityId ? -1 : 1)),
  };
}

function checkRow(
  item: CampaignItem,
  cells: Record<string, string>,
  window: { openedAt: string; latest: string; graceDays: number; worksheet: string },
  problem: (field: string, message: string) => void,
): RecertDecisionRecord | undefined {
  let ok = true;
  const report = (field: string, message: string) => {
    ok = false;
    problem(field, message);
  };
  if (cells.owner !== (item.owner ?? '') || window.worksheet !== item.worksheet) {
    report('owner', `${item.identity.id} belongs to the worksheet of ${item.owner ?? 'unowned identities'} (${item.worksheet}); decide it there`);
  }
  const decision = (cells.decision ?? '').toLowerCase();
  if (!(RECERT_DECISIONS as readonly string[]).includes(decision)) {
    report('decision', cells.decision ? `"${cells.decision}" is not a decision; write keep, revoke or modify` : 'empty; write keep, revoke or modify');
  }
  const reason = cells.reason ?? '';
  if ((decision === 'revoke' || decision === 'modify') && !reason) report('reason', `a ${decision} decision needs a reason (what to remove or change, and why)`);
  const reviewer = (cells.reviewer ?? '').trim();
  if (!reviewer) report('reviewer', `empty; the owner or a delegate signs each decision (${item.reviewers.join(', ') || 'none recorded'})`);
  else if (item.reviewers.length === 0) {
    report('reviewer', 'no owner or delegate is recorded for this identity; name an owner (and delegates) in the owners registry, or reach it through a system with an owner, then open a new campaign');
  } else if (!item.reviewers.includes(reviewer.toLowerCase())) {
    report('reviewer', `${reviewer} is not the owner or a delegate of this identity; one of ${item.reviewers.join(', ')} decides`);
  } else if (item.requester && item.requester.toLowerCase() === reviewer.toLowerCase()) {
    const others = item.reviewers.filter((r) => r !== reviewer.toLowerCase());
    report('reviewer', `${reviewer} requested this identity (approval ${item.identity.approval?.ticket ?? ''}) and may not review it; ${others.length > 0 ? `one of ${others.join(', ')} decides` : 'name another delegate in the owners registry'}`);
  }
  const date = cells.date ?? '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
    report('date', date ? `"${date}" is not a date; write YYYY-MM-DD` : 'empty; write the day of the decision as YYYY-MM-DD');
  } else if (date < window.openedAt) {
    report('date', `${date} is before the campaign opened (${window.openedAt}); a decision is dated on or after the opening day`);
  } else if (date > window.latest) {
    report('date', `${date} is after ${window.latest}, the last day a decision counts (the cycle's end plus ${window.graceDays} days of grace, and not after today)`);
  }
  if (!ok) return undefined;
  return { identityId: item.identity.id, owner: item.owner, decision: decision as RecertDecision, reason, reviewer, date };
}

/** The addendum's folder: `<pack>.recert/<campaign id>/`, beside the pack, never inside it. */
export function recertAddendumDir(pack: PackHead, campaignId: string): string {
  return path.join(`${pack.dir}.recert`, campaignId);
}

/**
 * Seals a closed campaign as a signed addendum beside the pack, as `sample` seals a sample: decisions.csv, the
 * filled worksheets as given, and a manifest naming the pack by run id and attestation digest.
 */
export async function writeRecertAddendum(pack: PackHead, campaign: RecertCampaign, worksheets: readonly Worksheet[], key: SigningKey): Promise<{ dir: string; existed: boolean }> {
  const dir = recertAddendumDir(pack, campaign.id);
  const existing = await readFile(path.join(dir, MANIFEST_FILE), 'utf8').catch(() => undefined);
  if (existing !== undefined) {
    const sealed = (JSON.parse(existing) as { campaign: RecertCampaign }).campaign;
    if (stableStringify(sealed.decisions) === stableStringify(campaign.decisions)) return { dir, existed: true };
    throw new ExitError(EXIT.usage, `${displayPath(dir)}: campaign ${campaign.id} was closed before with other decisions; a sealed campaign is not changed (open a new campaign)`);
  }
  const names = worksheets.map((s) => path.basename(s.file));
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new ExitError(EXIT.usage, `recert close: two worksheets are named ${duplicate}; give each owner's worksheet once`);
  const staging = `${dir}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.join(staging, 'worksheets'), { recursive: true });
  try {
    const rows = campaign.decisions.map((d) => [d.identityId, d.owner ?? '', d.decision, d.reason, d.reviewer, d.date]);
    await writeFile(path.join(staging, 'decisions.csv'), toCsv(['identity_id', 'owner', 'decision', 'reason', 'reviewer', 'date'], rows));
    for (const sheet of worksheets) await writeFile(path.join(staging, 'worksheets', path.basename(sheet.file)), sheet.bytes);
    const files = await digestFiles(staging, await listPackFiles(staging));
    const manifest = {
      kind: 'recertification-addendum',
      pack: { runId: pack.manifest.runId, cycle: pack.manifest.cycle.id, asOf: pack.manifest.asOf, attestationDigest: pack.attestationDigest },
      campaign,
      worksheets: worksheets.map((s) => ({ file: `worksheets/${path.basename(s.file)}`, sha256: sha256(s.bytes) })).sort((a, b) => (a.file < b.file ? -1 : 1)),
      files,
      signing: { algorithm: 'Ed25519', keyId: key.keyId },
    };
    await writeFile(path.join(staging, MANIFEST_FILE), `${stableStringify(manifest, 2)}\n`);
    await seal(staging, key, { kind: 'recertification-addendum', packAttestationDigest: pack.attestationDigest, campaignId: campaign.id });
    await rm(dir, { recursive: true, force: true });
    await mkdir(path.dirname(dir), { recursive: true });
    await rename(staging, dir);
    return { dir, existed: false };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
