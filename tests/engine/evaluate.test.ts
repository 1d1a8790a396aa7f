import { describe, expect, it } from 'vitest';
import credentialRotated from '../../src/controls/credential-rotated.js';
import ownerAssigned from '../../src/controls/owner-assigned.js';
import { evaluate, type ActiveControl } from '../../src/engine/evaluate.js';
import type { Waiver } from '../../src/sdk/index.js';
import { aCredential, anIdentity, daysAgo } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T12:00:00Z');
const controls: ActiveControl[] = [
  { control: ownerAssigned, severity: 'low', options: {} },
  { control: credentialRotated, severity: 'high', options: { maxAgeDays: 90 } },
];
const legacy = anIdentity({ name: 'legacy-batch', credentials: [aCredential({ id: 'OLD', createdAt: daysAgo(now, 400) })] });
const owned = anIdentity({ name: 'reporting', owner: { id: 'bi', source: 'tag:owner', status: 'unknown' } });
const person = anIdentity({ name: 'jane', classification: { value: 'human', reason: 'console password with MFA' } });
const waiver = (overrides: Partial<Waiver>): Waiver => ({
  control: 'credential-rotated',
  identity: 'aws-iam:111111111111:user/legacy-*',
  reason: 'vendor cannot rotate until migration',
  ticket: 'RISK-7',
  approver: 'cfo@corvid.example',
  expires: '2026-12-31',
  ...overrides,
});

describe('evaluate', () => {
  it('sorts findings by control, identity and credential and applies configured severity', () => {
    const { findings } = evaluate([owned, legacy], controls, { now, waivers: [], includeHumans: false });
    expect(findings.map((f) => [f.controlId, f.identityId, f.credentialId ?? '', f.status, f.severity])).toEqual([
      ['credential-rotated', legacy.id, 'OLD', 'fail', 'high'],
      ['credential-rotated', owned.id, '', 'not-applicable', 'high'],
      ['owner-assigned', legacy.id, '', 'fail', 'low'],
      ['owner-assigned', owned.id, '', 'pass', 'low'],
    ]);
  });

  it('a valid waiver matching by glob turns a failure into an exception that carries it', () => {
    const { findings, waivers } = evaluate([legacy], controls, { now, waivers: [waiver({})], includeHumans: false });
    const rotated = findings.find((f) => f.controlId === 'credential-rotated')!;
    expect(rotated.status).toBe('excepted');
    expect(rotated.waiver?.ticket).toBe('RISK-7');
    expect(waivers).toEqual([{ waiver: waiver({}), state: 'applied', findings: 1 }]);
  });

  it('a waiver applies through its expiry day and not after', () => {
    const lastDay = evaluate([legacy], controls, { now: new Date('2026-12-31T23:59:59Z'), waivers: [waiver({})], includeHumans: false });
    expect(lastDay.findings.find((f) => f.controlId === 'credential-rotated')!.status).toBe('excepted');
    const after = evaluate([legacy], controls, { now: new Date('2027-01-01T00:00:00Z'), waivers: [waiver({})], includeHumans: false });
    const finding = after.findings.find((f) => f.controlId === 'credential-rotated')!;
    expect(finding.status).toBe('fail');
    expect(finding.message).toMatch(/waiver RISK-7 expired 2026-12-31/);
    expect(after.waivers[0]!.state).toBe('expired');
  });

  it('reports a waiver that matched no failure as unused', () => {
    const { waivers } = evaluate([owned], controls, { now, waivers: [waiver({ identity: 'aws-iam:*:user/gone' })], includeHumans: false });
    expect(waivers[0]).toMatchObject({ state: 'unused', findings: 0 });
  });

  it('a waiver never excepts a passing finding or another control', () => {
    const { findings } = evaluate([legacy], controls, { now, waivers: [waiver({ control: 'credential-rotated' })], includeHumans: false });
    expect(findings.find((f) => f.controlId === 'owner-assigned')!.status).toBe('fail');
  });

  it('leaves people out unless asked, and says how many', () => {
    const without = evaluate([person, owned], controls, { now, waivers: [], includeHumans: false });
    expect(without.findings.some((f) => f.identityId === person.id)).toBe(false);
    expect(without.excluded).toEqual([{ reason: expect.stringContaining('person'), identities: 1 }]);
    const withHumans = evaluate([person, owned], controls, { now, waivers: [], includeHumans: true });
    expect(withHumans.findings.some((f) => f.identityId === person.id)).toBe(true);
  });
});
