import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../../src/writers/csv.js';
import { pdfText } from '../helpers/pdf-text.js';
import { cli, packsIn, tempDir } from './cli.js';

type Row = Record<string, string>;

const readRows = async (file: string): Promise<Row[]> => parse(await readFile(file), { columns: true, bom: true }) as Row[];
const writeRows = (file: string, rows: Row[]) => writeFile(file, toCsv(Object.keys(rows[0]!), rows.map((r) => Object.values(r))));

/** Every worksheet of a campaign folder, by file name, without the index. */
async function worksheets(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.csv') && f !== 'index.csv').sort();
}

/** Decides every row: keep, by the first eligible reviewer who did not request the identity, on the given day. */
function decide(rows: Row[], date: string, revoke: readonly string[]): Row[] {
  return rows.map((row) => {
    const reviewer = row.eligible_reviewers!.split('; ').find((r) => r !== row.requester!.toLowerCase())!;
    const decision = revoke.includes(row.identity_id!) ? 'revoke' : 'keep';
    return { ...row, decision, reason: decision === 'revoke' ? 'no longer needed after the warehouse migration' : '', reviewer, date };
  });
}

const REVOKED = 'aws-iam:333333333333:user/svc-airflow';

describe('recertification campaigns: open, close, and the two controls across two runs', () => {
  let cwd: string;
  let q3: string;
  const key = ['--public-key', 'evidence-demo/nhi-audit.pub'];
  const signer = ['--private-key', 'evidence-demo/.demo-signing-key.pem'];

  beforeAll(async () => {
    cwd = await tempDir('recert');
    expect((await cli(['demo', '--as-of', '2026-09-30'], { cwd })).code).toBe(0);
    [q3] = (await packsIn(path.join(cwd, 'evidence-demo'))) as [string];
  }, 120_000);

  it('opens one worksheet per owner with an index, the same bytes each time', async () => {
    const open = await cli(['recert', 'open', q3, '--as-of', '2026-10-01', '--out', 'all', ...key], { cwd });
    expect(open.code).toBe(0);
    expect(open.stdout).toMatch(/Campaign recert_2026-Q3_all_opened-2026-10-01_[0-9a-f]{12}: \d+ identities in \d+ worksheets/);
    const index = await readRows(path.join(cwd, 'all', 'index.csv'));
    expect(index.map((r) => r.worksheet_csv).sort()).toEqual(await worksheets(path.join(cwd, 'all')));
    expect(index.find((r) => r.worksheet_csv === 'unowned.csv')?.owner).toBe('(none recorded)');
    const poster = index.find((r) => r.owner === 'gl-accounting@corvid.example')!;
    const rows = await readRows(path.join(cwd, 'all', poster.worksheet_csv!));
    expect(rows).toHaveLength(Number(poster.identities));
    expect(rows.every((r) => r.owner === 'gl-accounting@corvid.example' && r.decision === '' && r.reviewer === '')).toBe(true);
    const journal = rows.find((r) => r.identity_id === 'aws-iam:222222222222:user/svc-erp-journal-poster')!;
    expect(journal).toMatchObject({ kind: 'service-account', requester: 'marcus.oyelaran@corvid.example' });
    expect(journal.systems).toContain('ERP (SOX)');
    expect(journal.credentials).toMatch(/days old, last used/);

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(path.join(cwd, 'all', poster.worksheet_xlsx!));
    expect(workbook.worksheets[0]!.getRow(1).getCell(4).value).toBe('identity_id');
    expect(workbook.worksheets[0]!.rowCount).toBe(rows.length + 1);

    expect((await cli(['recert', 'open', q3, '--as-of', '2026-10-01', '--out', 'again', ...key], { cwd })).code).toBe(0);
    for (const file of await readdir(path.join(cwd, 'all'))) {
      expect(await readFile(path.join(cwd, 'again', file)), file).toEqual(await readFile(path.join(cwd, 'all', file)));
    }
    const refused = await cli(['recert', 'open', q3, '--as-of', '2026-10-01', '--out', 'all', ...key], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already exists');
  });

  describe('close', () => {
    let dir: string;
    let files: string[];
    const close = (given: string[], asOf = '2026-10-05') => cli(['recert', 'close', q3, ...given, '--as-of', asOf, ...signer, ...key], { cwd });
    const addenda = () => path.join(`${q3}.recert`);

    beforeAll(async () => {
      expect((await cli(['recert', 'open', q3, '--systems', 'sox', '--as-of', '2026-10-01', '--out', 'sox', ...key], { cwd })).code).toBe(0);
      dir = path.join(cwd, 'sox');
      files = (await worksheets(dir)).map((f) => path.join('sox', f));
      for (const file of files) await writeRows(path.join(cwd, file), decide(await readRows(path.join(cwd, file)), '2026-10-02', [REVOKED]));
    });

    /** Closes with one worksheet altered, expects exit 2 naming file, row and field, and nothing sealed. */
    async function refusedWith(file: string, change: (rows: Row[]) => Row[], expected: RegExp, asOf?: string): Promise<void> {
      const full = path.join(cwd, file);
      const original = await readFile(full);
      await writeRows(full, change(await readRows(full)));
      try {
        const result = await close(files, asOf);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(expected);
        expect(existsSync(addenda())).toBe(false);
      } finally {
        await writeFile(full, original);
      }
    }

    it('refuses a decision that is not keep, revoke or modify', () =>
      refusedWith('sox/gl-accounting-at-corvid.example.csv', (rows) => rows.map((r, i) => (i === 0 ? { ...r, decision: 'maybe' } : r)), /sox\/gl-accounting-at-corvid\.example\.csv: row 2, decision: "maybe" is not a decision; write keep, revoke or modify/));

    it('refuses a reviewer who requested the identity', () =>
      refusedWith(
        'sox/marcus.oyelaran-at-corvid.example.csv',
        (rows) => rows.map((r) => (r.identity_id!.startsWith('gcp-iam:') ? { ...r, reviewer: 'marcus.oyelaran@corvid.example' } : r)),
        /marcus\.oyelaran-at-corvid\.example\.csv: row \d, reviewer: marcus\.oyelaran@corvid\.example requested this identity .* controller@corvid\.example decides/,
      ));

    it('refuses a reviewer who is neither the owner nor a delegate', () =>
      refusedWith('sox/unowned.csv', (rows) => rows.map((r) => ({ ...r, reviewer: 'intern@corvid.example' })), /unowned\.csv: row 2, reviewer: intern@corvid\.example is not the owner or a delegate/));

    it('refuses a date before the campaign opened or after the grace period', async () => {
      await refusedWith('sox/unowned.csv', (rows) => rows.map((r) => ({ ...r, date: '2026-09-15' })), /unowned\.csv: row 2, date: 2026-09-15 is before the campaign opened \(2026-10-01\)/);
      await refusedWith('sox/unowned.csv', (rows) => rows.map((r) => ({ ...r, date: '2026-11-15' })), /unowned\.csv: row 2, date: 2026-11-15 is after 2026-10-30/, '2026-12-01');
    });

    it('refuses an undecided identity, a missing worksheet and a worksheet of another campaign', async () => {
      await refusedWith('sox/unowned.csv', (rows) => rows.map((r) => ({ ...r, decision: '' })), /unowned\.csv: row 2, decision: empty; write keep, revoke or modify/);
      const missing = await close(files.filter((f) => !f.endsWith('unowned.csv')));
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/unowned\.csv \(or \.xlsx\): not given: 3 identities/);
      await refusedWith('sox/unowned.csv', (rows) => rows.map((r) => ({ ...r, campaign_id: r.campaign_id!.replace('2026-10-01', '2026-10-02') })), /unowned\.csv: row 2, campaign_id: ".*" is another campaign/);
    });

    it('seals the decisions beside the pack, where verify checks them, and accepts an XLSX worksheet', async () => {
      // One owner fills the XLSX copy instead of the CSV.
      const xlsxName = 'sox/unowned.xlsx';
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.readFile(path.join(cwd, xlsxName));
      const sheet = workbook.worksheets[0]!;
      const header = (sheet.getRow(1).values as string[]).slice(1);
      const filled = new Map((await readRows(path.join(cwd, 'sox/unowned.csv'))).map((r) => [r.identity_id, r]));
      sheet.eachRow((row, n) => {
        if (n === 1) return;
        const decided = filled.get(String(row.getCell(header.indexOf('identity_id') + 1).value))!;
        for (const column of ['decision', 'reason', 'reviewer'] as const) row.getCell(header.indexOf(column) + 1).value = decided[column]!;
        row.getCell(header.indexOf('date') + 1).value = new Date('2026-10-02T00:00:00Z');
      });
      await workbook.xlsx.writeFile(path.join(cwd, xlsxName));
      const given = [...files.filter((f) => !f.endsWith('unowned.csv')), xlsxName];

      const closed = await close(given);
      expect(closed.code, closed.stderr).toBe(0);
      expect(closed.stdout).toMatch(/: 41 decisions \(keep 40, revoke 1, modify 0\) from 19 worksheets/);
      const [campaignDir] = await readdir(addenda());
      const addendum = path.join(addenda(), campaignDir!);
      const verified = await cli(['verify', addendum, ...key], { cwd });
      expect(verified.code, verified.stdout).toBe(0);
      expect(verified.stdout).toContain('recertification addendum recert_2026-Q3_sox_opened-2026-10-01');
      expect(verified.stdout).toContain('is that pack');
      const decisions = await readRows(path.join(addendum, 'decisions.csv'));
      expect(decisions.find((d) => d.identity_id === REVOKED)).toMatchObject({ decision: 'revoke', reviewer: 'data-engineering@corvid.example', date: '2026-10-02' });
      expect(existsSync(path.join(addendum, 'worksheets', 'unowned.xlsx'))).toBe(true);

      const again = await close(given);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('Closed before with the same decisions');
    });

    it('the next run judges recertification-completed and revocation-executed from the sealed decisions', async () => {
      expect((await cli(['demo', '--as-of', '2026-11-20'], { cwd })).code).toBe(0);
      const q4 = (await packsIn(path.join(cwd, 'evidence-demo'))).find((p) => p.includes('2026-Q4'))!;
      const findings = JSON.parse(await readFile(path.join(q4, 'findings.json'), 'utf8')).findings as { controlId: string; identityId: string; status: string; message: string }[];
      const of = (control: string, id: string) => findings.find((f) => f.controlId === control && f.identityId === id);
      expect(of('revocation-executed', REVOKED)).toMatchObject({ status: 'fail', message: expect.stringMatching(/still active after 2026-10-16/) });
      expect(of('recertification-completed', 'aws-iam:222222222222:user/svc-erp-journal-poster')).toMatchObject({ status: 'pass', message: expect.stringContaining('keep by controller@corvid.example on 2026-10-02') });
      expect(of('recertification-completed', 'aws-iam:111111111111:role/terraform-state-admin')?.status).toBe('not-applicable');
      const manifest = JSON.parse(await readFile(path.join(q4, 'manifest.json'), 'utf8'));
      expect(manifest.ipe.inputs.map((i: { kind: string; path: string }) => `${i.kind} ${i.path}`)).toContain('recertification inputs/recertification/manifest.json');
      const report = await pdfText(await readFile(path.join(q4, 'report.pdf')));
      const section = report.slice(report.indexOf('5. Recertification'), report.indexOf('6. Changes since the previous cycle'));
      expect(section).toContain('recert_2026-Q3_sox_opened-2026-10-01');
      expect(section.replace(/\s+/g, ' ')).toMatch(/svc-airflow .* 2026-10-02 still active past its grace period/);
      const reperformed = await cli(['reperform', q4, ...key], { cwd });
      expect(reperformed.code, reperformed.stdout + reperformed.stderr).toBe(0);
    }, 120_000);
  });
});
