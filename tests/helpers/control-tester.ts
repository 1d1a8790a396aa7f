import { describe, expect, it } from 'vitest';
import type { Control, ControlResult, Identity } from '../../src/sdk/index.js';

export interface ExpectedResult {
  status: ControlResult['status'];
  credentialId?: string;
  /** A fragment the message must contain: messages are for people, so tests pin only what matters. */
  message?: string | RegExp;
  evidence?: Record<string, unknown>;
}

export interface ControlCase {
  name: string;
  identities: Identity[];
  options?: Record<string, unknown>;
  /** The results in the order the control returns them; `[]` when the control must say nothing. */
  expect: ExpectedResult[];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Runs a control over a table of cases, the way ESLint's RuleTester runs rules: identities and options are
 * deep-frozen (a control that mutates its input fails), options go through the control's own schema (so
 * defaults apply and a bad option in a case is caught), and each case checks status, credential, message and
 * evidence of every result.
 */
export class ControlTester {
  constructor(
    private readonly control: Control,
    private readonly now: Date,
  ) {}

  run(cases: ControlCase[]): void {
    const names = cases.map((c) => c.name);
    describe(this.control.meta.id, () => {
      it('has unique case names', () => {
        expect(new Set(names).size).toBe(names.length);
      });
      for (const testCase of cases) {
        it(testCase.name, () => {
          const options = deepFreeze(this.control.options.parse(testCase.options ?? {}));
          const identities = deepFreeze(structuredClone(testCase.identities));
          const results = this.control.evaluate(identities, { options, now: this.now });
          expect(results.map((r) => r.status)).toEqual(testCase.expect.map((e) => e.status));
          testCase.expect.forEach((expected, i) => {
            const result = results[i]!;
            expect(result.credentialId).toBe(expected.credentialId);
            if (expected.message !== undefined) expect(result.message).toMatch(expected.message);
            if (expected.evidence) expect(result.evidence).toMatchObject(expected.evidence);
            expect(identities.some((identity) => identity.id === result.identityId)).toBe(true);
          });
        });
      }
    });
  }
}
