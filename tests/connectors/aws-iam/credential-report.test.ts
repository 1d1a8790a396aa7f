import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keysFromReport, parseCredentialReport } from '../../../connectors/aws-iam/credential-report.js';
import { matchReportSlots } from '../../../connectors/aws-iam/normalize.js';

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

  it('reads columns in any order, and a quoted name with a comma in it, by header name', () => {
    const csv = read('credential-report-16-columns.csv').trim().split('\n').map((line) => line.split(','));
    // user and arn moved to the end; the report's own fields hold no comma or quote.
    const moved = csv.map((fields) => [...fields.slice(2), fields[0], fields[1]]);
    moved[2]![moved[2]!.length - 2] = '"legacy,batch"';
    const reordered = parseCredentialReport(moved.map((fields) => fields.join(',')).join('\n'));
    const original = parseCredentialReport(csv.map((fields) => fields.join(',')).join('\n'));
    expect(reordered.map((r) => r.user)).toEqual(original.map((r) => (r.user === 'legacy-batch' ? 'legacy,batch' : r.user)));
    expect(reordered[1]).toEqual({ ...original[1], user: 'legacy,batch' });
  });

  it('refuses a report without a user or arn column, and reads one with no rows as no users', () => {
    const text = read('credential-report-16-columns.csv');
    expect(() => parseCredentialReport(text.replace(/^user,/, 'username,'))).toThrow(/no user or arn column/);
    expect(parseCredentialReport(text.split('\n')[0]!)).toEqual([]);
  });

  it('names the line of a row it cannot read', () => {
    const bad = read('credential-report-16-columns.csv').replace('2013-09-05T19:40:00+00:00', 'yesterday');
    expect(() => parseCredentialReport(bad)).toThrow(/line 3 \(legacy-batch\): not a date: yesterday/);
  });

  it('refuses a row cut short or an unclosed quote, naming the line, and reads CRLF line ends as LF', () => {
    const lines = read('credential-report-16-columns.csv').trim().split('\n');
    const cut = [...lines.slice(0, 2), lines[2]!.split(',').slice(0, 10).join(','), ...lines.slice(3)].join('\n');
    expect(() => parseCredentialReport(cut)).toThrow(/credential report line 3: 10 fields where the header has 16/);
    const unclosed = [...lines.slice(0, 2), `"${lines[2]}`, ...lines.slice(3)].join('\n');
    expect(() => parseCredentialReport(unclosed)).toThrow(/credential report line 3: .*[Qq]uote/);
    expect(parseCredentialReport(lines.join('\r\n'))).toEqual(parseCredentialReport(lines.join('\n')));
  });
});

describe('access keys matched to report slots', () => {
  const HEADER = 'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
  /** Bob's two keys as in AWS's ListAccessKeys sample: created in the same second, one active and used, one inactive. */
  const report = parseCredentialReport(
    [
      HEADER,
      'Bob,arn:aws:iam::123456789012:user/Bob,2018-05-08T23:30:00+00:00,false,N/A,N/A,N/A,false,true,2018-05-08T23:34:01+00:00,2026-11-10T08:00:00+00:00,us-east-1,s3,false,2018-05-08T23:34:01+00:00,N/A,N/A,N/A,false,N/A,false,N/A',
    ].join('\n'),
  );
  const bobs = [
    { AccessKeyId: 'AKIA222222222EXAMPLE', Status: 'Inactive', CreateDate: '2018-05-08T23:34:01Z' },
    { AccessKeyId: 'AKIA111111111EXAMPLE', Status: 'Active', CreateDate: '2018-05-08T23:34:01Z' },
  ];

  it('gives two keys created in the same second one slot each, by key id, whatever order they are listed in', () => {
    for (const keys of [bobs, [...bobs].reverse()]) {
      const slots = matchReportSlots(keys, report[0]!.accessKeys);
      expect(keys.map((key) => [key.AccessKeyId, slots.get(key)?.slot])).toEqual(
        keys.map((key) => [key.AccessKeyId, key.AccessKeyId === 'AKIA111111111EXAMPLE' ? 1 : 2]),
      );
    }
  });

  it('never lends a slot to a second key: a third key has no known use', () => {
    const third = { AccessKeyId: 'AKIA333333333EXAMPLE', Status: 'Active', CreateDate: '2026-11-19T00:00:00Z' };
    const slots = matchReportSlots([...bobs, third], report[0]!.accessKeys);
    expect(slots.get(third)).toBeUndefined();
    expect(new Set(slots.values()).size).toBe(slots.size);
  });

  it('an offline export keeps the slot each key was read from', () => {
    const keys = keysFromReport(report).Bob!;
    expect(keys.map((key) => [key.AccessKeyId, key.reportSlot])).toEqual([
      ['Bob/access-key-1', 1],
      ['Bob/access-key-2', 2],
    ]);
    const slots = matchReportSlots([...keys].reverse(), report[0]!.accessKeys);
    expect(keys.map((key) => slots.get(key)?.lastUsedDate ?? null)).toEqual(['2026-11-10T08:00:00.000Z', null]);
  });
});
