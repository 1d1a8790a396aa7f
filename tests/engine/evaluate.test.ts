import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { controls as builtIn } from '../../src/controls/index.js';
import credentialRotated from '../../src/controls/credential-rotated.js';
import ownerAssigned from '../../src/controls/owner-assigned.js';
import { evaluate, evaluationStream, type ActiveControl } from '../../src/engine/evaluate.js';
import { defineControl, judgeEach, type Control, type Identity, type Waiver } from '../../src/sdk/index.js';
import { aCredential, anIdentity, aPopulation, daysAgo } from '../helpers/identity-builder.js';

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

describe('evaluation in slices', () => {
  const population = aPopulation(now);
  const active: ActiveControl[] = builtIn.map((control) => ({
    control,
    severity: control.meta.severity,
    options: control.options.parse({}),
    ...(control.meta.id === 'credential-rotated' ? { systems: [{ system: 'ledger', options: { maxAgeDays: 30 } }] } : {}),
  }));
  const waivers = [waiver({ identity: 'aws-iam:111111111111:user/a*' }), waiver({ control: 'owner-assigned', identity: 'aws-iam:*', expires: '2026-01-01' })];

  it('every built-in control judges each identity alone', () => {
    expect(builtIn.filter((c) => !c.perIdentity).map((c) => c.meta.id)).toEqual([]);
  });

  it('gives the same findings, order and account whatever the slice size', () => {
    fc.assert(
      fc.property(population, fc.integer({ min: 1, max: 7 }), (identities, sliceSize) => {
        const whole = evaluate(identities, active, { now, waivers, includeHumans: false, sliceSize: Infinity });
        expect(evaluate(identities, active, { now, waivers, includeHumans: false, sliceSize })).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('lists its units without cutting a slice: each is cut when read, so a spilled population is decoded a slice at a time', () => {
    const identities = Array.from({ length: 10 }, (_, i) => anIdentity({ name: `svc-${i}` })).sort((a, b) => (a.id < b.id ? -1 : 1));
    let reads = 0;
    const counted = new Proxy(identities, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads += 1;
        return Reflect.get(target, key, receiver);
      },
    });
    const evaluation = evaluationStream(counted, [controls[0]!], { now, waivers: [], includeHumans: true, sliceSize: 3 });
    [...evaluation.units()]; // The first listing checks the ids' order once (a spilled population is ordered by construction).
    reads = 0;
    const units = [...evaluation.units()];
    expect(units.map((u) => u.slice)).toEqual([0, 1, 2, 3]);
    expect(reads).toBe(0);
    expect(units[1]!.identities.map((i) => i.name)).toEqual(['svc-3', 'svc-4', 'svc-5']);
    expect(reads).toBe(3);
  });

  /** A control that records the population each call was handed. */
  function recording(perIdentity: boolean): { control: Control; calls: string[][] } {
    const calls: string[][] = [];
    const control = defineControl({
      meta: { ...ownerAssigned.meta, id: 'recording' },
      options: ownerAssigned.options,
      perIdentity,
      evaluate(identities: readonly Identity[]) {
        calls.push(identities.map((i) => i.name));
        return judgeEach(identities, ownerAssigned.meta.appliesTo, (identity) => ({ identityId: identity.id, status: 'pass', message: 'seen', evidence: {} }));
      },
    });
    return { control, calls };
  }
  const named = (names: string[]) => names.map((name) => anIdentity({ name }));

  it('refuses a control that says it judges each identity alone and judges one it was not handed', () => {
    const { control } = recording(true);
    const first = anIdentity({ name: 'a' });
    const liar = { ...control, evaluate: () => [{ identityId: first.id, status: 'pass' as const, message: 'seen', evidence: {} }] };
    const run = () => evaluate(named(['a', 'b', 'c']), [{ control: liar, severity: 'low', options: {} }], { now, waivers: [], includeHumans: false, sliceSize: 2 });
    expect(run).toThrow(/recording says it judges each identity alone .* judged aws-iam:111111111111:user\/a, which it was not handed/);
  });

  it('hands a control that judges each identity alone the population in slices', () => {
    const { control, calls } = recording(true);
    evaluate(named(['a', 'b', 'c', 'd', 'e']), [{ control, severity: 'low', options: {} }], { now, waivers: [], includeHumans: false, sliceSize: 2 });
    expect(calls).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('hands any other control the whole population, and never cuts a population out of id order', () => {
    const whole = recording(false);
    evaluate(named(['a', 'b', 'c']), [{ control: whole.control, severity: 'low', options: {} }], { now, waivers: [], includeHumans: false, sliceSize: 1 });
    expect(whole.calls).toEqual([['a', 'b', 'c']]);
    const unordered = recording(true);
    const { findings } = evaluate(named(['b', 'a', 'c']), [{ control: unordered.control, severity: 'low', options: {} }], { now, waivers: [], includeHumans: false, sliceSize: 1 });
    expect(unordered.calls).toEqual([['b', 'a', 'c']]);
    expect(findings.map((f) => f.identityId.split('/')[1])).toEqual(['a', 'b', 'c']);
  });
});
