import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { SigningKey } from '../evidence/keys.js';
import { byWorksheet, campaignItems, campaignOf, DECISION_COLUMNS, WORKSHEET_COLUMNS, worksheetRow } from '../evidence/recert-campaign.js';
import { parseWorksheet, validateWorksheets, writeRecertAddendum } from '../evidence/recert-close.js';
import { openPack } from '../evidence/read-pack.js';
import { ConfigError, type RecertCampaign } from '../sdk/index.js';
import { toCsv } from '../writers/csv.js';

/** The demo's Q3 campaign: opened the day after the Q3 pack, closed a week later with the owners' bundled answers. */
export const DEMO_CAMPAIGN = { openedAt: '2026-10-01', closedAt: '2026-10-09', scope: 'sox', decisions: 'recertification/2026-Q3-sox.csv' } as const;

type Decision = Record<(typeof DECISION_COLUMNS)[number], string>;

async function bundledDecisions(file: string): Promise<Map<string, Decision>> {
  const rows = parse(await readFile(file), { columns: true, skip_empty_lines: true }) as Array<Decision & { identity_id: string }>;
  return new Map(rows.map((row) => [row.identity_id, row]));
}

/**
 * Runs the demo's recertification on its previous-quarter pack as the owners would: `recert open`'s worksheets,
 * filled from the bundled answers, then validated and sealed by `recert close`'s own code.
 */
export async function closeDemoCampaign(packDir: string, demoDir: string, key: SigningKey, graceDays: number): Promise<{ campaign: RecertCampaign; dir: string }> {
  const pack = await openPack(packDir, [key.publicKey]);
  const campaign = campaignOf(pack, DEMO_CAMPAIGN.scope, DEMO_CAMPAIGN.openedAt);
  const decisionsFile = path.join(demoDir, DEMO_CAMPAIGN.decisions);
  const answers = await bundledDecisions(decisionsFile);
  const worksheets = [];
  for (const [name, items] of byWorksheet(await campaignItems(pack, DEMO_CAMPAIGN.scope))) {
    const rows = items.map((item) => {
      const answer = answers.get(item.identity.id);
      if (!answer) {
        throw new ConfigError(decisionsFile, [{ path: item.identity.id, message: 'the demo campaign reviews this identity and no decision is bundled for it; add a row' }]);
      }
      const row = worksheetRow(campaign, item);
      for (const column of DECISION_COLUMNS) row[WORKSHEET_COLUMNS.indexOf(column)] = answer[column];
      return row;
    });
    worksheets.push(await parseWorksheet(`${name}.csv`, Buffer.from(toCsv(WORKSHEET_COLUMNS, rows))));
  }
  const closed = await validateWorksheets(pack, worksheets, { today: DEMO_CAMPAIGN.closedAt, graceDays });
  const { dir } = await writeRecertAddendum(pack, closed, worksheets, key);
  return { campaign: closed, dir };
}
