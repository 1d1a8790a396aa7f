import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byNativeId, collectFile, inputProblems, PROVENANCE, removeRun } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-file-rows-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sap = (file: string, extra: Record<string, unknown> = {}) => ({
  preset: 'sap',
  system: 'SAP PRD',
  directory: dir,
  export: { path: file, report: 'SE16N USR02', ...PROVENANCE },
  ...extra,
});

async function csv(name: string, lines: string[]): Promise<string> {
  await writeFile(path.join(dir, name), `${lines.join('\n')}\n`);
  return name;
}

const HEADER = 'BNAME,USTYP,UFLAG,GLTGB,ERDAT,TRDAT,LTIME,PWDCHGDATE';

describe('file: every row is checked before anything is collected, each problem with file, line, column and fix', () => {
  it('names a bad date and an unknown code by line and column, all at once', async () => {
    const file = await csv('bad-rows.csv', [HEADER, 'SVC_A,B,0,00000000,20240101,20261119,010000,20240101', 'SVC_B,X,0,00000000,2024-13-45,20261119,010000,20240101', 'SVC_C,B,0,00000000,20240101,20261119,250000,20240101']);
    const message = await inputProblems(sap(file));
    const lines = message.split('\n');
    expect(lines).toContain(`${path.join(dir, file)}: line 3, column USTYP: "X" is not in columns.classification.values (A, B, C, S, L); add what it means there, or "*" for every other value`);
    expect(lines.some((l) => l.startsWith(`${path.join(dir, file)}: line 3, column ERDAT: "2024-13-45" is not a date written as 20261119; fix the cell, or set dateFormat`))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${path.join(dir, file)}: line 4, column LTIME: "250000" is not a time of day`))).toBe(true);
  });

  it('names a column the export lacks, with the ones it has', async () => {
    const file = await csv('no-type.csv', ['BNAME,UFLAG,GLTGB,ERDAT,TRDAT,LTIME,PWDCHGDATE', 'SVC_A,0,00000000,20240101,20261119,010000,20240101']);
    expect(await inputProblems(sap(file))).toContain(`${path.join(dir, file)}: line 1 (the header): no column "USTYP" (it has: BNAME, UFLAG, GLTGB, ERDAT, TRDAT, LTIME, PWDCHGDATE); export it, or map another column in the config`);
  });

  it('refuses two rows of one identity that disagree, and an empty id', async () => {
    const file = await csv('dupes.csv', [HEADER, 'SVC_A,B,0,00000000,20240101,20261119,010000,20240101', 'SVC_A,A,0,00000000,20240101,20261119,010000,20240101', ',B,0,00000000,20240101,20261119,010000,20240101']);
    const message = await inputProblems(sap(file));
    expect(message).toContain('line 3, column USTYP: "A" differs from "B" on line 2 for the same BNAME SVC_A');
    expect(message).toContain('line 4, column BNAME: is empty: every row names the identity it describes');
  });

  it('names problems in a related export by its own file', async () => {
    const users = await csv('users.csv', [HEADER, 'SVC_A,B,0,00000000,20240101,20261119,010000,20240101']);
    const roles = await csv('roles.csv', ['UNAME,AGR_NAME,TO_DAT', 'SVC_A,,99991231']);
    const message = await inputProblems(sap(users, { related: [{ adds: 'entitlements', path: roles, report: 'SE16N AGR_USERS' }] }));
    expect(message).toBe(`${path.join(dir, roles)}: line 2, column AGR_NAME: is empty: every row names the entitlement`);
  });

  it('says which file cannot be read, and which format it could not tell', async () => {
    expect(await inputProblems(sap('missing.csv'))).toBe(`${path.join(dir, 'missing.csv')}: cannot read the export; check its path (relative paths start at the config file's folder)`);
    expect(await inputProblems(sap('users.dat'))).toContain('cannot tell the format from the file name; set format: csv, json or xlsx');
  });

  it('reports a malformed CSV by line', async () => {
    const file = await csv('ragged.csv', [HEADER, 'SVC_A,B,0,00000000,20240101,20261119,010000']);
    expect(await inputProblems(sap(file))).toMatch(/ragged\.csv: line 2: Invalid Record Length.*export the report again as CSV with one header row/);
  });
});

describe('file: XLSX exports', () => {
  async function workbook(name: string, rows: unknown[][]): Promise<string> {
    const book = new ExcelJS.Workbook();
    book.addWorksheet('Cover').addRow(['SE16N export, client 100']);
    const sheet = book.addWorksheet('USR02');
    for (const row of rows) sheet.addRow(row);
    await book.xlsx.writeFile(path.join(dir, name));
    return name;
  }

  it('reads the named sheet, numbers as codes and real date cells as dates', async () => {
    const file = await workbook('usr02.xlsx', [
      ['BNAME', 'USTYP', 'UFLAG', 'GLTGB', 'ERDAT', 'TRDAT', 'LTIME', 'PWDCHGDATE'],
      ['SVC_XL', 'B', 0, '00000000', new Date('2024-02-03T00:00:00Z'), 20261119, '013000', 20250101],
    ]);
    const run = await collectFile(sap(file, { export: { path: file, sheet: 'USR02', report: 'SE16N USR02 to Excel', ...PROVENANCE, expectedRows: 1 } }));
    try {
      expect(run.completeness.verdict).toBe('complete');
      expect(byNativeId(run.identities, 'SVC_XL')).toMatchObject({ createdAt: '2024-02-03T00:00:00.000Z', status: 'active', lastUsed: { at: '2026-11-19T01:30:00.000Z' } });
      expect(run.completeness.scopes[0]!.operations[0]!.parameters).toMatchObject({ format: 'xlsx', sheet: 'USR02', rows: 1 });
    } finally {
      await removeRun(run);
    }
  });

  it('names a bad cell by sheet, row and column', async () => {
    const file = await workbook('bad.xlsx', [
      ['BNAME', 'USTYP', 'UFLAG', 'GLTGB', 'ERDAT', 'TRDAT', 'LTIME', 'PWDCHGDATE'],
      ['SVC_XL', 'B', 0, '00000000', '31.12.2024', 20261119, '013000', 20250101],
    ]);
    const message = await inputProblems(sap(file, { export: { path: file, sheet: 'USR02', report: 'SE16N USR02 to Excel', ...PROVENANCE } }));
    expect(message).toContain(`${path.join(dir, file)}: sheet USR02, row 2, column ERDAT: "31.12.2024" is not a date written as 20261119`);
  });
});
