import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { GlobIndex } from '../engine/glob.js';
import { parseOwners, type OwnerRow } from '../engine/inputs.js';
import { parseSystems } from '../engine/systems.js';
import { daysBetween, grantLabel, type Identity, type LastUsed } from '../sdk/index.js';
import { toCsv } from '../writers/csv.js';
import { readSealedInputs, type PackData } from './read-pack.js';

export type CampaignScope = 'all' | 'sox';

/** A recertification campaign over one sealed pack: which identities, since when, for which cycle. */
export interface Campaign {
  id: string;
  scope: CampaignScope;
  /** The day it opened (UTC date): decisions dated before it are refused. */
  openedAt: string;
  cycle: { id: string; start: string; end: string };
  pack: { runId: string; asOf: string; attestationDigest: string };
}

/** What the reviewer decides on, per identity, and who may decide. */
export interface CampaignItem {
  identity: Identity;
  /** The recorded owner, or null: the identity goes to the `unowned` worksheet. */
  owner: string | null;
  worksheet: string;
  openFindings: string[];
  /** The owner, the owners registry's delegates for it, and the owners of the systems it reaches. */
  reviewers: string[];
  requester: string | null;
}

export const UNOWNED = 'unowned';

export const DECISION_COLUMNS = ['decision', 'reason', 'reviewer', 'date'] as const;
export const WORKSHEET_COLUMNS = [
  'campaign_id',
  'pack_attestation_digest',
  'owner',
  'identity_id',
  'kind',
  'source',
  'name',
  'status',
  'privilege',
  'grants',
  'systems',
  'credentials',
  'open_findings',
  'requester',
  'eligible_reviewers',
  ...DECISION_COLUMNS,
] as const;

/**
 * `recert_2026-Q3_sox_opened-2026-10-05_3f9a2c1b2d4e`: the campaign's facts in its name, so a worksheet names the
 * pack (by its attestation digest), scope and opening day it was opened with, and `close` can check them.
 */
export function campaignId(pack: PackData, scope: CampaignScope, openedAt: string): string {
  return `recert_${pack.manifest.cycle.id}_${scope}_opened-${openedAt}_${pack.attestationDigest.slice(0, 12)}`;
}

const CAMPAIGN_ID = /^recert_(.+)_(all|sox)_opened-(\d{4}-\d{2}-\d{2})_([0-9a-f]{12})$/;

export function parseCampaignId(id: string): { cycle: string; scope: CampaignScope; openedAt: string; digestPrefix: string } | undefined {
  const match = CAMPAIGN_ID.exec(id);
  return match ? { cycle: match[1]!, scope: match[2] as CampaignScope, openedAt: match[3]!, digestPrefix: match[4]! } : undefined;
}

export function campaignOf(pack: PackData, scope: CampaignScope, openedAt: string): Campaign {
  const { manifest } = pack;
  return {
    id: campaignId(pack, scope, openedAt),
    scope,
    openedAt,
    cycle: manifest.cycle,
    pack: { runId: manifest.runId, asOf: manifest.asOf, attestationDigest: pack.attestationDigest },
  };
}

/** A worksheet's file name (without extension) for an owner: the address, kept to characters every file system takes. */
export function worksheetName(owner: string | null): string {
  return owner === null ? UNOWNED : owner.toLowerCase().replace(/@/g, '-at-').replace(/[^a-z0-9._-]+/g, '-');
}

const lower = (s: string) => s.toLowerCase();

/** Who may decide for which identity: the owners registry's delegates and the systems registry's owners, as sealed. */
async function reviewerDirectory(pack: PackData): Promise<(identity: Identity) => string[]> {
  let owners: GlobIndex<OwnerRow> | undefined;
  const systemOwners = new Map<string, string>();
  for (const file of await readSealedInputs(pack)) {
    const text = file.bytes.toString('utf8');
    if (file.kind === 'owners') owners = new GlobIndex(parseOwners(file.originalPath, text), (r) => r.identity);
    if (file.kind === 'systems') for (const system of parseSystems(file.originalPath, text).systems) systemOwners.set(system.name, system.owner);
  }
  return (identity) => {
    const row = owners?.first(identity.id);
    const delegates = row && identity.owner && lower(row.owner) === lower(identity.owner.id) ? (row.delegates ?? '').split(';') : [];
    const fromSystems = (identity.systems ?? []).map((s) => systemOwners.get(s.name) ?? '');
    const all = [identity.owner?.id ?? '', ...delegates, ...fromSystems].map((r) => r.trim()).filter(Boolean);
    return [...new Set(all.map(lower))].sort();
  };
}

/**
 * The identities a campaign reviews, sorted by id: those the run judged (people only when it judged them), less
 * those the provider manages (nobody can revoke them), and with scope `sox` only those reaching a SOX key system.
 */
export async function campaignItems(pack: PackData, scope: CampaignScope): Promise<CampaignItem[]> {
  const includeHumans = (pack.config.evaluate as { includeHumans?: boolean } | undefined)?.includeHumans === true;
  const reviewers = await reviewerDirectory(pack);
  const failing = new Map<string, Set<string>>();
  for (const f of pack.findings) {
    if (f.status !== 'fail') continue;
    const set = failing.get(f.identityId) ?? new Set<string>();
    set.add(f.controlId);
    failing.set(f.identityId, set);
  }
  return pack.identities
    .filter((i) => !i.providerManaged && (includeHumans || i.classification.value !== 'human'))
    .filter((i) => scope === 'all' || (i.systems ?? []).some((s) => s.sox))
    .map((identity) => {
      const owner = identity.owner?.id ?? null;
      return {
        identity,
        owner,
        worksheet: worksheetName(owner),
        openFindings: [...(failing.get(identity.id) ?? [])].sort(),
        reviewers: reviewers(identity),
        requester: identity.approval?.requester ?? null,
      };
    });
}

function lastUse(lastUsed: LastUsed): string {
  if (lastUsed === 'never' || lastUsed === 'unknown') return `last used ${lastUsed}`;
  return 'at' in lastUsed ? `last used ${lastUsed.at.slice(0, 10)}` : `not used since ${lastUsed.notSince.slice(0, 10)}`;
}

const SHOWN_GRANTS = 3;

/** One worksheet row: the facts to decide on, then the four empty decision columns. */
export function worksheetRow(campaign: Campaign, item: CampaignItem): string[] {
  const { identity } = item;
  const asOf = new Date(campaign.pack.asOf);
  const { privilege } = identity;
  const grants = privilege.grants.map(grantLabel);
  const credentials = identity.credentials.map((c) => {
    const since = c.rotatedAt ?? c.createdAt;
    return `${c.id} (${c.type}, ${c.status}, ${since ? `${daysBetween(since, asOf)} days old` : 'age unknown'}, ${lastUse(c.lastUsed)})`;
  });
  return [
    campaign.id,
    campaign.pack.attestationDigest,
    item.owner ?? '',
    identity.id,
    identity.kind,
    identity.source,
    identity.name,
    identity.status,
    privilege.flags.length > 0 ? `${privilege.level} (${privilege.flags.join(', ')})` : privilege.level,
    grants.length > SHOWN_GRANTS ? `${grants.slice(0, SHOWN_GRANTS).join('; ')}; +${grants.length - SHOWN_GRANTS} more` : grants.join('; '),
    (identity.systems ?? []).map((s) => (s.sox ? `${s.name} (SOX)` : s.name)).join('; '),
    credentials.join('; '),
    item.openFindings.join('; '),
    item.requester ?? '',
    item.reviewers.join('; '),
    '',
    '',
    '',
    '',
  ];
}

export function worksheetCsv(campaign: Campaign, items: readonly CampaignItem[]): string {
  return toCsv(WORKSHEET_COLUMNS, items.map((item) => worksheetRow(campaign, item)));
}

/**
 * The same worksheet as XLSX. exceljs stamps every zip entry with the current time, so the workbook is re-packed
 * with the opening day as each entry's date: the same campaign gives the same bytes.
 */
export async function worksheetXlsx(campaign: Campaign, items: readonly CampaignItem[]): Promise<Buffer> {
  const opened = new Date(`${campaign.openedAt}T00:00:00Z`);
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'nhi-audit';
  workbook.created = opened;
  workbook.modified = opened;
  const sheet = workbook.addWorksheet('decisions', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow([...WORKSHEET_COLUMNS]).font = { bold: true };
  for (const item of items) sheet.addRow(worksheetRow(campaign, item));
  const decision = WORKSHEET_COLUMNS.indexOf('decision') + 1;
  for (let row = 2; row <= items.length + 1; row++) {
    sheet.getCell(row, decision).dataValidation = { type: 'list', allowBlank: true, formulae: ['"keep,revoke,modify"'] };
  }
  const zip = await JSZip.loadAsync(await workbook.xlsx.writeBuffer());
  const fixed = new JSZip();
  for (const name of Object.keys(zip.files).sort()) {
    const entry = zip.files[name]!;
    if (!entry.dir) fixed.file(name, await entry.async('uint8array'), { date: opened, createFolders: false });
  }
  return fixed.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** The items grouped by worksheet, in name order. */
export function byWorksheet(items: readonly CampaignItem[]): Map<string, CampaignItem[]> {
  const groups = new Map<string, CampaignItem[]>();
  for (const item of [...items].sort((a, b) => (a.worksheet < b.worksheet ? -1 : a.worksheet > b.worksheet ? 1 : 0))) {
    const list = groups.get(item.worksheet) ?? [];
    list.push(item);
    groups.set(item.worksheet, list);
  }
  return groups;
}
