import { describe, expect, it } from 'vitest';
import { sortResultSet } from '../../src/writers/sorted.js';
import { summarize } from '../../src/writers/summary.js';
import { aResultSet, EXPIRED_WAIVER, ROTATION_WAIVER, UNUSED_WAIVER } from '../helpers/result-set-builder.js';

describe('summarize', () => {
  const summary = summarize(sortResultSet(aResultSet()));

  it('counts every status, per control and per severity', () => {
    expect(summary.counts).toEqual({ pass: 4, fail: 7, excepted: 1, 'not-applicable': 1 });
    const rotated = summary.controls.find((c) => c.control.id === 'credential-rotated');
    expect(rotated?.counts).toEqual({ pass: 1, fail: 2, excepted: 1, 'not-applicable': 1 });
    expect(summary.severities.critical).toEqual({ pass: 1, fail: 1, excepted: 0, 'not-applicable': 0 });
    expect(summary.severities.info).toEqual({ pass: 0, fail: 0, excepted: 0, 'not-applicable': 0 });
  });

  it("keeps the evaluation's account of each waiver and tells whether it is in force at the as-of instant", () => {
    const byTicket = Object.fromEntries(summary.waivers.map((w) => [w.waiver.ticket, [w.state, w.findings, w.inForce]]));
    expect(byTicket).toEqual({
      [ROTATION_WAIVER.ticket]: ['applied', 1, true],
      [UNUSED_WAIVER.ticket]: ['unused', 0, true],
      [EXPIRED_WAIVER.ticket]: ['expired', 1, false],
    });
  });

  it('ends a date-only expiry after that whole UTC day', () => {
    const use = (expires: string) => ({ waiver: { ...ROTATION_WAIVER, expires }, state: 'applied' as const, findings: 1 });
    const inForce = (asOf: string, expires: string) => summarize(aResultSet({ asOf, waivers: [use(expires)] })).waivers[0]!.inForce;
    expect(inForce('2026-11-20T23:59:59.999Z', '2026-11-20')).toBe(true);
    expect(inForce('2026-11-21T00:00:00.000Z', '2026-11-20')).toBe(false);
    expect(inForce('2026-11-20T12:00:00.000Z', '2026-11-20T12:00:00Z')).toBe(false);
  });

  it('without the evaluation, knows the waivers the excepted findings carry', () => {
    const known = summarize(sortResultSet(aResultSet({ waivers: undefined }))).waivers;
    expect(known).toEqual([{ waiver: ROTATION_WAIVER, state: 'applied', findings: 1, inForce: true }]);
  });

  it('lists the incomplete sources', () => {
    expect(summary.incompleteSources.map((s) => s.source)).toEqual(['github-acme']);
  });
});
