import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPlainFinding } from '../../src/evidence/finding-guard.js';
import { FindingSchema } from '../../src/sdk/index.js';

const anyValue = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('pass', 'high', '__proto__'));
const valid = fc.record(
  {
    controlId: fc.string(),
    identityId: fc.string(),
    credentialId: fc.string(),
    status: fc.constantFrom('pass', 'fail', 'excepted', 'not-applicable'),
    severity: fc.constantFrom('critical', 'high', 'medium', 'low', 'info'),
    message: fc.string(),
    evidence: fc.dictionary(fc.oneof(fc.string(), fc.constant('__proto__')), fc.jsonValue({ maxDepth: 2 })),
  },
  { requiredKeys: ['controlId', 'identityId', 'status', 'severity', 'message', 'evidence'] },
);
const members = ['controlId', 'identityId', 'credentialId', 'status', 'severity', 'message', 'evidence', 'waiver', 'extra'];
/** A finding as a run writes it, or one member of it wrong, missing or added (a waiver among them). */
const candidate = fc
  .tuple(valid, fc.option(fc.tuple(fc.constantFrom(...members), fc.oneof(fc.constant(undefined), anyValue, fc.constant({ control: 'c', identity: 'i', reason: 'r', ticket: 't', approver: 'a', expires: '2026-12-31' })))))
  .map(([finding, change]) => (change ? { ...finding, [change[0]]: change[1] } : finding))
  // As a pack is read: JSON.parse's objects, where "__proto__" is a member of its own.
  .map((value) => JSON.parse(JSON.stringify(value)) as unknown);

describe('isPlainFinding: the shortcut a pack reader takes before FindingSchema', () => {
  it('passes only what the schema accepts, and as the schema gives it', () => {
    fc.assert(
      fc.property(fc.oneof(candidate, anyValue), (value) => {
        const parsed = FindingSchema.safeParse(value);
        if (isPlainFinding(value)) {
          expect(parsed.success).toBe(true);
          expect(value).toStrictEqual(parsed.data);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('passes the findings a run writes', () => {
    let valid = 0;
    fc.assert(
      fc.property(candidate, (value) => {
        const parsed = FindingSchema.safeParse(value);
        // A "__proto__" member of evidence is left to the schema, which does not keep it as a member.
        if (parsed.success && parsed.data.waiver === undefined && !Object.hasOwn((value as { evidence: object }).evidence, '__proto__')) {
          valid++;
          expect(isPlainFinding(value)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    // Most candidates are findings a run writes: the property is not vacuous.
    expect(valid).toBeGreaterThan(150);
  });
});
