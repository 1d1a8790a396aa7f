import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import findingsCsv, { exceptionsCsv, inventoryCsv } from '../../src/writers/csv.js';
import { anIdentity } from '../helpers/identity-builder.js';
import { aResultSet, HOSTILE_MESSAGE, HOSTILE_NAME, ROTATION_WAIVER } from '../helpers/result-set-builder.js';

type Row = Record<string, string>;

const results = aResultSet();
/** Reads the way a spreadsheet does: any line break outside quotes ends a record. */
const rowsOf = (text: string): Row[] => parse(text, { columns: true, record_delimiter: ['\r\n', '\n', '\r'] });

/** What a spreadsheet-safe cell looks like: the same text, with a `'` before a leading formula character. */
const defused = (text: string) => (/^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(text) ? `'${text}` : text);

describe('inventory.csv', () => {
  const rows = rowsOf(inventoryCsv.render(results));

  it('has one row per identity, sorted by id', () => {
    expect(rows.map((r) => r.id)).toEqual(results.identities.map((i) => i.id).sort());
  });

  it('reports credentials, privilege, owner and provenance per identity', () => {
    const deployer = rows.find((r) => r.name === 'ci-deployer')!;
    expect(deployer).toMatchObject({
      kind: 'service-account',
      credentials: '3',
      active_credentials: '2',
      oldest_active_credential_since: '2026-05-04T00:00:00.000Z',
      last_used: '2026-11-19T00:00:00.000Z',
      owner_status: 'active',
      approval_ticket: 'CHG-1001',
      environment: 'production',
    });
    const breakGlass = rows.find((r) => r.name === 'admin-breakglass')!;
    expect(breakGlass).toMatchObject({ privilege_level: 'admin', privilege_flags: 'admin wildcard-action', last_used: 'not since 2025-10-16T00:00:00.000Z' });
    expect(rows.find((r) => r.id === 'github:acme:token/hostile')!.oldest_active_credential_since).toBe('unknown');
    expect(rows.find((r) => r.id === 'github:acme:app/reporting-bot')!).toMatchObject({ last_used: 'never', vendor: 'Reporting Vendor, Inc.' });
  });

  it('quotes commas, quotes and newlines so cells parse back whole', () => {
    expect(rows.find((r) => r.id === 'github:acme:token/hostile')!.name).toBe(defused(HOSTILE_NAME));
  });

  it('parses back any name as the same text, defused only where a spreadsheet would run it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (name) => {
        const text = inventoryCsv.render(aResultSet({ identities: [anIdentity({ id: 'aws-iam:111111111111:user/any', name })], findings: [] }));
        expect(rowsOf(text)[0]!.name).toBe(defused(name));
      }),
      { numRuns: 300 },
    );
  });
});

describe('formula injection', () => {
  it('prefixes every cell starting with = + - or @ with a single quote', () => {
    const inventory = rowsOf(inventoryCsv.render(results));
    expect(inventory.find((r) => r.name === 'ci-deployer')!.owner).toBe("'@acme/platform");
    for (const text of [inventoryCsv.render(results), findingsCsv.render(results), exceptionsCsv.render(results)]) {
      const cells = rowsOf(text).flatMap((row) => Object.values(row));
      expect(cells.filter((cell) => /^[=+\-@]/.test(cell))).toEqual([]);
    }
  });
});

describe('findings.csv', () => {
  const rows = rowsOf(findingsCsv.render(results));

  it('has one row per finding with its control title and severity', () => {
    expect(rows).toHaveLength(results.findings.length);
    expect(rows.find((r) => r.credential_id === 'AKIAOLDKEY0000000001')).toMatchObject({
      control_id: 'credential-rotated',
      control_title: 'Every active credential was created or rotated within the allowed age',
      severity: 'high',
      status: 'fail',
      message: 'Credential AKIAOLDKEY0000000001 is 200 days old (limit 90)',
    });
    expect(JSON.parse(rows.find((r) => r.credential_id === 'AKIAOLDKEY0000000001')!.evidence!)).toEqual({ ageDays: 200, maxAgeDays: 90 });
  });

  it('ends every record with CRLF; line breaks inside cells stay inside quotes', () => {
    const text = findingsCsv.render(results);
    const outsideQuotes = text.replace(/"(?:[^"]|"")*"/g, '');
    expect(outsideQuotes).not.toMatch(/[^\r]\n/);
    expect(outsideQuotes.split('\r\n')).toHaveLength(results.findings.length + 2);
    expect(text.endsWith('\r\n')).toBe(true);
  });
});

describe('exceptions.csv', () => {
  const rows = rowsOf(exceptionsCsv.render(results));

  it('holds only failed and excepted findings', () => {
    expect(rows).toHaveLength(8);
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['fail', 'excepted']));
  });

  it('gives the auditor owner, remediation and the waiver behind an exception', () => {
    expect(rows.find((r) => r.status === 'excepted')).toMatchObject({
      identity_id: 'gcp:fin-prod:sa/etl@fin-prod.iam.gserviceaccount.com',
      owner: 'data-eng',
      remediation: 'How to fix credential-rotated',
      waiver_reason: ROTATION_WAIVER.reason,
      waiver_ticket: 'RISK-77',
      waiver_approver: 'cfo@acme.test',
      waiver_expires: '2026-12-31',
    });
    expect(rows.find((r) => r.message === defused(HOSTILE_MESSAGE))).toMatchObject({ control_id: 'owner-assigned', waiver_ticket: '' });
    expect(rows.find((r) => r.identity_id === 'github:acme:app/reporting-bot')).toMatchObject({ owner: 'finance-ops', owner_status: 'terminated' });
  });
});
