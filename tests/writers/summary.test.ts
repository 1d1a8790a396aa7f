import { describe, expect, it } from 'vitest';
import { sortResultSet } from '../../src/writers/sorted.js';
import { summarize, waiverInForce } from '../../src/writers/summary.js';
import { aResultSet, EXPIRED_WAIVER, ROTATION_WAIVER, UNUSED_WAIVER } from '../helpers/result-set-builder.js';

describe('waiverInForce', () => {
  it('keeps a date-only expiry in force through that whole UTC day', () => {
    const waiver = { ...ROTATION_WAIVER, expires: '2026-11-20' };
    expect(waiverInForce(waiver, '2026-11-20T23:59:59.999Z')).toBe(true);
    expect(waiverInForce(waiver, '2026-11-21T00:00:00.000Z')).toBe(false);
  });

  it('ends an instant expiry at that instant', () => {
    const waiver = { ...ROTATION_WAIVER, expires: '2026-11-20T12:00:00Z' };
    expect(waiverInForce(waiver, '2026-11-20T11:59:59.999Z')).toBe(true);
    expect(waiverInForce(waiver, '2026-11-20T12:00:00.000Z')).toBe(false);
  });
});

describe('summarize', () => {
  const summary = summarize(sortResultSet(aResultSet()));

  it('counts every status, per control and per severity', () => {
    expect(summary.counts).toEqual({ pass: 4, fail: 7, excepted: 1, 'not-applicable': 1 });
    const rotated = summary.controls.find((c) => c.control.id === 'credential-rotated');
    expect(rotated?.counts).toEqual({ pass: 1, fail: 2, excepted: 1, 'not-applicable': 1 });
    expect(summary.severities.critical).toEqual({ pass: 1, fail: 1, excepted: 0, 'not-applicable': 0 });
    expect(summary.severities.info).toEqual({ pass: 0, fail: 0, excepted: 0, 'not-applicable': 0 });
  });

  it('tells each waiver in force or expired and how many findings carry it', () => {
    const byTicket = Object.fromEntries(summary.waivers.map((w) => [w.waiver.ticket, [w.state, w.matched]]));
    expect(byTicket).toEqual({
      [ROTATION_WAIVER.ticket]: ['in-force', 1],
      [UNUSED_WAIVER.ticket]: ['in-force', 0],
      [EXPIRED_WAIVER.ticket]: ['expired', 0],
    });
  });

  it('lists the incomplete sources', () => {
    expect(summary.incompleteSources.map((s) => s.source)).toEqual(['github-acme']);
  });
});
