import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCredentialReport } from '../../../connectors/aws-iam/credential-report.js';

const read = (name: string) => readFileSync(new URL(`../../../fixtures/aws-iam/${name}`, import.meta.url), 'utf8');

describe('credential report', () => {
  const rows = parseCredentialReport(read('credential-report-012345678901.csv'));
  const row = (user: string) => rows.find((r) => r.user === user)!;

  it('keeps the root row with its not_supported password fields as unknown', () => {
    expect(row('<root_account>')).toMatchObject({ passwordEnabled: null, passwordLastChanged: null, mfaActive: true });
  });

  it('reads lowercase and uppercase booleans alike', () => {
    expect(row('obama').passwordEnabled).toBe(true);
    expect(row('biden').passwordEnabled).toBe(true);
    expect(row('biden').mfaActive).toBe(false);
    expect(row('biden').accessKeys[0]!.active).toBe(true);
    expect(row('biden').accessKeys[1]!.active).toBe(false);
  });

  it('turns no_information into never and N/A into no value', () => {
    expect(row('biden').passwordLastUsed).toBe('never');
    expect(row('userwithlotsofpermissions').passwordLastUsed).toBeNull();
    expect(row('userwithlotsofpermissions').accessKeys[1]).toMatchObject({ active: true, lastUsedDate: null, lastUsedService: null });
  });

  it('normalizes timestamps to UTC instants and keeps service and region of the last use', () => {
    expect(row('userwithlotsofpermissions').accessKeys[0]).toEqual({
      slot: 1,
      active: true,
      lastRotated: '2026-06-01T10:00:00.000Z',
      lastUsedDate: '2026-11-19T12:00:00.000Z',
      lastUsedRegion: 'us-east-1',
      lastUsedService: 's3',
    });
    expect(row('biden').certificates[0]).toEqual({ slot: 1, active: true, lastRotated: '2021-03-04T05:06:07.000Z' });
  });

  it('reads the older 16-column report by header name', () => {
    const old = parseCredentialReport(read('credential-report-16-columns.csv'));
    expect(old.find((r) => r.user === 'legacy-batch')!.accessKeys[0]).toMatchObject({
      active: true,
      lastRotated: '2013-09-05T19:40:00.000Z',
      lastUsedDate: null,
    });
  });

  it('names the line of a row it cannot read', () => {
    const bad = read('credential-report-16-columns.csv').replace('2013-09-05T19:40:00+00:00', 'yesterday');
    expect(() => parseCredentialReport(bad)).toThrow(/line 3 \(legacy-batch\): not a date: yesterday/);
  });
});
