import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OP } from '../../../connectors/gcp-iam/client.js';
import type { SourceResult } from '../../../src/engine/collect.js';
import { FAULT_KINDS, formatFaultSpec, type FaultKind } from '../../../src/sdk/index.js';
import { casesFor, judge, outcomesByKind, startMatrix, type MatrixHarness, type Outcome } from '../../helpers/fault-matrix.js';

/**
 * Every operation the demo's GCP source calls × every fault kind, once and always: each case ends with the
 * fault-free population, or incomplete with the operation named (issue 9).
 */

const SETTINGS = {
  retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
  // Small pages, so that the demo's listings take several and the paging faults have pages to break.
  pageSize: { serviceAccounts: 2, activities: 2, assets: 5, projects: 1 },
  recommender: { pageSize: 1 },
};

/** Faults a second attempt cures: met once, they must leave the population as it was, and be counted as retries. */
const TRANSIENT: ReadonlySet<FaultKind> = new Set(['throttle', '5xx', 'reset', 'hang', 'html', 'truncate', 'drop-field']);

const OPERATIONS = Object.values(OP).sort();

const retriesOf = (result: SourceResult, operation: string) =>
  result.completeness.scopes.flatMap((s) => s.operations).filter((o) => o.operation === operation).reduce((n, o) => n + o.retries, 0);

describe('gcp-iam fault matrix', () => {
  let harness: MatrixHarness;
  const outcomes = new Map<string, Outcome>();
  const started = Date.now();

  beforeAll(async () => {
    harness = await startMatrix({ connector: 'gcp-iam', settings: SETTINGS });
  });
  afterAll(async () => {
    await harness?.close();
    const all = [...outcomes.values()];
    const count = (outcome: Outcome) => [...outcomes.values()].filter((o) => o === outcome).length;
    console.log(
      [
        `gcp-iam fault matrix: ${OPERATIONS.length} operations × ${FAULT_KINDS.length} kinds × {once, always} = ${OPERATIONS.length * FAULT_KINDS.length * 2} cases, ${all.length} run: ` +
          `${count('identical')} identical, ${count('incomplete-named')} incomplete naming the operation, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        ...outcomesByKind(outcomes),
      ].join('\n'),
    );
  });

  it('reads the whole demo organization without a fault, every operation called and every scope reconciled', () => {
    expect(harness.operations).toEqual(OPERATIONS);
    expect(harness.baseline.completeness.verdict).toBe('complete');
    expect(harness.baseline.identities).toHaveLength(11);
    expect(harness.baseline.completeness.scopes.every((s) => s.reconciliations.length > 0)).toBe(true);
  });

  describe.each(OPERATIONS)('%s', (operation) => {
    it.each(casesFor('gcp-iam', operation).map((spec) => [formatFaultSpec(spec), spec] as const))('%s', async (_name, spec) => {
      const result = await harness.run([spec]);
      const outcome = judge(harness.baseline, result, operation);
      outcomes.set(formatFaultSpec(spec), outcome);
      if (spec.times === 1 && TRANSIENT.has(spec.kind)) {
        expect(outcome).toBe('identical');
        expect(retriesOf(result, operation)).toBeGreaterThan(0);
      }
      if (spec.times === undefined && TRANSIENT.has(spec.kind)) expect(outcome).toBe('incomplete-named');
      // A request that always hangs costs every attempt's time limit on each project's calls: on a busy two-core
      // machine that came within a second of the 60 s default, so these cases get a bound of their own.
    }, 180_000);
  });
});
