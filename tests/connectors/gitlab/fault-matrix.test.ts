import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTION_KINDS } from '../../../connectors/gitlab/config.js';
import { loadDataset } from '../../../connectors/gitlab/sandbox/dataset.js';
import { FAULT_KINDS } from '../../../src/sdk/index.js';
import { casesFor, judge, operationsOf, startMatrix, type MatrixHarness, type Outcome } from '../../helpers/fault-matrix.js';
import { collect, DEMO_DIR, sandboxOver } from './harness.js';

/*
 * Issue 9's fault matrix for GitLab (issue 14): every operation the demo organization's collection calls × every
 * fault kind × once and always. Each case ends with the fault-free population or incomplete naming the operation.
 * A case reads only the kind that calls its operation most cheaply (the group tree, and the instance where the
 * operation is an administrator's, included), against the fault-free run of that kind: the same code paths at a
 * fraction of the calls.
 */

// Retries wait a millisecond; one retry cures a fault met once, and every project is read at once, so a request
// that always hangs costs two 400 ms attempts per case.
const SETTINGS = { retry: { retries: 1, baseDelayMs: 1, maxWaitSeconds: 120 }, concurrency: 16 };

let matrix: MatrixHarness;
/** The source settings each operation is tried with. */
const narrowing = new Map<string, Record<string, unknown>>();
const outcomes = new Map<Outcome, number>();
let cases = 0;

beforeAll(async () => {
  // One run first, so the fault-free baseline is not the one that pays for loading and compiling the modules.
  const warm = await sandboxOver(await loadDataset(DEMO_DIR));
  await collect(warm, { groups: ['corvid-finance'], admin: true }).finally(() => warm.close());
  matrix = await startMatrix({ connector: 'gitlab', settings: SETTINGS });
  // One at a time: several collections at once on a busy machine would meet the test's 400 ms request limit.
  const byCost = [];
  for (const kind of COLLECTION_KINDS) {
    for (const admin of [false, true]) {
      const overrides = { kinds: [kind], admin };
      const baseline = await matrix.baselineWith(overrides);
      const calls = baseline.completeness.scopes.flatMap((scope) => scope.operations).reduce((sum, stats) => sum + stats.pages, 0);
      byCost.push({ overrides, calls, operations: operationsOf(baseline) });
    }
  }
  for (const { overrides, operations } of byCost.sort((a, b) => a.calls - b.calls)) {
    for (const operation of operations) if (!narrowing.has(operation)) narrowing.set(operation, overrides);
  }
}, 60_000);

afterAll(async () => {
  const counts = [...outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
  console.log(`gitlab fault matrix: ${matrix?.operations.length} operations × ${FAULT_KINDS.length} fault kinds × {once, always} = ${cases} cases; ${counts}`);
  await matrix?.close();
});

describe('the gitlab fault matrix', () => {
  it('starts from a complete fault-free run, and tries each of its operations with a kind that calls it', async () => {
    expect(matrix.baseline.completeness.verdict).toBe('complete');
    expect(matrix.operations).toEqual(
      expect.arrayContaining(['user', 'groups', 'groups/projects', 'projects/access-tokens', 'projects/variables', 'admin/ci/variables', 'personal-access-tokens']),
    );
    expect(matrix.operations.filter((operation) => !narrowing.has(operation))).toEqual([]);
    for (const overrides of new Set(narrowing.values())) expect((await matrix.baselineWith(overrides)).completeness.verdict).toBe('complete');
  });

  it('ends every case with the fault-free population or incomplete naming the operation', async () => {
    const failures: string[] = [];
    for (const operation of matrix.operations) {
      const narrowed = narrowing.get(operation)!;
      const baseline = await matrix.baselineWith(narrowed);
      for (const spec of casesFor('gitlab', operation)) {
        cases += 1;
        const result = await matrix.run([spec], narrowed);
        const name = `${operation} ${spec.kind} ${spec.times ? 'once' : 'always'}`;
        try {
          const outcome = judge(baseline, result, operation);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          // A fault met once is transient and retried; only a paging fault is never a transient one.
          if (spec.times === 1 && outcome !== 'identical' && spec.kind !== 'repeat-cursor' && spec.kind !== 'self-link') {
            failures.push(`${name}: ${outcome}`);
          }
        } catch (error) {
          failures.push(`${name}: ${(error as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
