import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { byWorksheet, campaignItems, campaignOf, type CampaignScope, worksheetCsv, worksheetXlsx } from '../evidence/recert-campaign.js';
import { displayPath } from '../evidence/read-pack.js';
import { sha256 } from '../evidence/seal.js';
import { ExitError, EXIT } from '../sdk/index.js';
import { safeText } from '../terminal.js';
import { toCsv } from '../writers/csv.js';
import { openPackArgument, optionalConfig, resolveAsOf, trustedKeys, type GlobalOptions } from './context.js';

interface OpenOptions {
  systems?: string;
  out?: string;
  publicKey: string[];
}

export function campaignScope(systems: string | undefined): CampaignScope {
  if (systems === undefined) return 'all';
  if (systems.trim().toLowerCase() === 'sox') return 'sox';
  throw new ExitError(EXIT.usage, `--systems: "${systems}" is not supported here; give sox (identities reaching a SOX key system) or leave it out for every identity`);
}

/** Opens a recertification campaign on a sealed pack: one worksheet per owner (CSV and XLSX) and an index. */
export default async function recertOpen(packDir: string, options: OpenOptions, globals: GlobalOptions): Promise<number> {
  const scope = campaignScope(options.systems);
  const openedAt = resolveAsOf(globals).toISOString().slice(0, 10);
  const pack = await openPackArgument(packDir, await trustedKeys(options.publicKey, await optionalConfig(globals)));
  if (openedAt < pack.manifest.asOf.slice(0, 10)) {
    throw new ExitError(EXIT.usage, `--as-of: a campaign cannot open (${openedAt}) before the pack it reviews was taken (${pack.manifest.asOf.slice(0, 10)})`);
  }
  const campaign = campaignOf(pack, scope, openedAt);
  const items = await campaignItems(pack, scope);
  const out = path.resolve(options.out ?? campaign.id);
  if (existsSync(out)) throw new ExitError(EXIT.usage, `--out: ${displayPath(out)} already exists; a campaign's worksheets are never overwritten (owners may be filling them): choose another folder`);
  const staging = `${out}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const index: string[][] = [];
    for (const [name, group] of byWorksheet(items)) {
      const csv = worksheetCsv(campaign, group);
      const xlsx = await worksheetXlsx(campaign, group);
      await writeFile(path.join(staging, `${name}.csv`), csv);
      await writeFile(path.join(staging, `${name}.xlsx`), xlsx);
      index.push([`${name}.csv`, `${name}.xlsx`, group[0]!.owner ?? '(none recorded)', String(group.length), sha256(csv), sha256(xlsx)]);
    }
    await writeFile(path.join(staging, 'index.csv'), toCsv(['worksheet_csv', 'worksheet_xlsx', 'owner', 'identities', 'csv_sha256', 'xlsx_sha256'], index));
    await writeFile(path.join(staging, 'index.md'), indexMarkdown(campaign, index, items.length));
    await rename(staging, out);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  process.stdout.write(
    `Campaign ${campaign.id}: ${items.length} identities in ${worksheetCount(items)} worksheets, in ${safeText(displayPath(out))}\n` +
      `Each owner fills decision (keep, revoke or modify), reason, reviewer and date in one copy (CSV or XLSX); then:\n` +
      `  nhi-audit recert close ${safeText(displayPath(pack.dir))} ${safeText(displayPath(out))}/<worksheet>.csv …\n`,
  );
  return EXIT.ok;
}

const worksheetCount = (items: readonly { worksheet: string }[]) => new Set(items.map((i) => i.worksheet)).size;

const cell = (text: string) => text.replace(/\|/g, '\\|');

function indexMarkdown(campaign: ReturnType<typeof campaignOf>, rows: string[][], total: number): string {
  return [
    `# Recertification campaign ${campaign.id}`,
    '',
    `- Pack: run ${campaign.pack.runId}, as of ${campaign.pack.asOf}, attestation sha256:${campaign.pack.attestationDigest}`,
    `- Cycle: ${campaign.cycle.id} (${campaign.cycle.start} to ${campaign.cycle.end})`,
    `- Scope: ${campaign.scope === 'sox' ? 'identities reaching a SOX key system' : 'every identity the run judged'}`,
    `- Opened: ${campaign.openedAt}`,
    `- Identities: ${total}`,
    '',
    'Each owner decides every row of their worksheet: `decision` keep, revoke or modify; a `reason` (required for revoke',
    'and modify); `reviewer`, the owner or one of the `eligible_reviewers` (never the identity\'s `requester`); `date`, the',
    'day of the decision (YYYY-MM-DD), on or after the opening day.',
    '',
    '| Worksheet | Owner | Identities | CSV sha256 | XLSX sha256 |',
    '|---|---|---:|---|---|',
    ...rows.map(([csv, xlsx, owner, count, csvSum, xlsxSum]) => `| ${cell(csv!)} / ${cell(xlsx!)} | ${cell(owner!)} | ${count} | ${csvSum} | ${xlsxSum} |`),
    '',
  ].join('\n');
}
