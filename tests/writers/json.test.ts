import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stableStringify } from '../../src/stable-json.js';
import findingsJson, { findingLine, inventoryJson, locateIdentities } from '../../src/writers/json.js';
import type { Finding } from '../../src/sdk/index.js';
import { aResultSet, HOSTILE_NAME, ROTATION_WAIVER } from '../helpers/result-set-builder.js';

const results = aResultSet();

describe('inventory.json', () => {
  const text = inventoryJson.render(results);
  const parsed = JSON.parse(text);

  it('holds every identity, sorted by id, as it was given', () => {
    const ids = results.identities.map((i) => i.id).sort();
    expect(parsed.identities.map((i: { id: string }) => i.id)).toEqual(ids);
    const hostile = parsed.identities.find((i: { name: string }) => i.name === HOSTILE_NAME);
    expect(hostile).toEqual(results.identities.find((i) => i.name === HOSTILE_NAME));
  });

  it('says which run it is from', () => {
    expect(parsed).toMatchObject({ asOf: results.asOf, cycle: '2026-Q4', tool: { name: 'nhi-audit', version: '0.1.0' } });
  });

  it('is two-space indented with keys in code-point order and a trailing newline', () => {
    expect(text).toBe(`${stableStringify(parsed, 2)}\n`);
    expect(text.split('\n')[1]).toMatch(/^ {2}"/);
  });

  it('locates each identity object by its lines', () => {
    const lines = text.split('\n');
    const ranges = locateIdentities(text);
    expect([...ranges.keys()].sort()).toEqual(results.identities.map((i) => i.id).sort());
    for (const [id, range] of ranges) {
      const object = JSON.parse(lines.slice(range.startLine - 1, range.endLine).join('\n').replace(/,$/, ''));
      expect(object.id).toBe(id);
    }
  });
});

describe('findings.json', () => {
  const parsed = JSON.parse(findingsJson.render(results));

  it('sorts findings by control, identity, then credential', () => {
    const keys = parsed.findings.map((f: { controlId: string; identityId: string; credentialId?: string }) => [
      f.controlId,
      f.identityId,
      f.credentialId ?? '',
    ]);
    const sorted = [...keys].sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));
    expect(keys).toEqual(sorted);
    expect(parsed.findings).toHaveLength(results.findings.length);
  });

  it('summarises counts per status, control and severity', () => {
    expect(parsed.summary.statuses).toEqual({ pass: 4, fail: 7, excepted: 1, 'not-applicable': 1 });
    expect(parsed.summary.controls['owner-assigned']).toEqual({
      title: 'Title of owner-assigned',
      severity: 'medium',
      pass: 2,
      fail: 3,
      excepted: 0,
      'not-applicable': 0,
    });
    expect(parsed.summary.controls['identity-described']).toMatchObject({ pass: 0, fail: 0 });
    expect(parsed.summary.severities.medium).toEqual({ pass: 2, fail: 3, excepted: 0, 'not-applicable': 0 });
  });

  it('lists the waivers with their state, whether in force, and how many findings each matched', () => {
    expect(parsed.summary.waivers).toContainEqual({ ...ROTATION_WAIVER, state: 'applied', inForce: true, findings: 1 });
    type Row = { ticket: string; state: string; inForce: boolean; findings: number };
    expect(parsed.summary.waivers.map((w: Row) => [w.ticket, w.state, w.inForce, w.findings])).toEqual([
      ['RISK-77', 'applied', true, 1],
      ['RISK-9', 'expired', false, 1],
      ['RISK-12', 'unused', true, 0],
    ]);
  });

  it('records each source verdict', () => {
    expect(parsed.summary.sources).toEqual({ 'aws-test': 'complete', 'gcp-fin': 'complete', 'github-acme': 'incomplete' });
  });
});

describe('a finding written on its line by hand', () => {
  const severities = ['critical', 'high', 'medium', 'low', 'info'] as const;
  const statuses = ['pass', 'fail', 'excepted', 'not-applicable'] as const;
  const finding = fc.record(
    {
      controlId: fc.string(),
      identityId: fc.string({ unit: 'binary' }),
      credentialId: fc.string({ unit: 'binary' }),
      status: fc.constantFrom(...statuses),
      severity: fc.constantFrom(...severities),
      message: fc.string({ unit: 'binary' }),
      evidence: fc.dictionary(fc.string(), fc.jsonValue()),
      waiver: fc.record({ control: fc.string(), identity: fc.string(), ticket: fc.string(), expires: fc.string(), approver: fc.string(), reason: fc.string({ unit: 'binary' }) }),
      __proto__: fc.string(),
      extra: fc.jsonValue(),
    },
    { requiredKeys: ['controlId', 'identityId', 'status', 'severity', 'message', 'evidence'] },
  );

  it('is the text stableStringify writes, whatever the finding holds', () => {
    let unknownMembers = 0;
    fc.assert(
      fc.property(finding, (f) => {
        if ('extra' in f || Object.hasOwn(f, '__proto__')) unknownMembers++;
        const given = f as unknown as Finding;
        expect(findingLine(given, stableStringify(given.evidence))).toBe(stableStringify(given));
      }),
      { numRuns: 500 },
    );
    expect(unknownMembers).toBeGreaterThan(0);
  });
});
