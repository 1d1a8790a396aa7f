import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTION_KINDS, type CollectionKind } from '../../../connectors/github/config.js';
import { FAULT_KINDS } from '../../../src/sdk/index.js';
import { casesFor, judge, operationsOf, startMatrix, type MatrixHarness, type Outcome } from '../../helpers/fault-matrix.js';

/*
 * Issue 9's fault matrix for GitHub: every operation the demo organization's collection calls × every fault
 * kind × once and always. Each case ends with the fault-free population or incomplete naming the operation.
 * A case reads only the kind that calls its operation most cheaply (organization, repository list and owner
 * hints included), against the fault-free run of that kind: the same code paths at a fraction of the calls.
 */

// Retries wait a millisecond; one retry cures a fault met once, and all repositories are read at once, so a
// request that always hangs costs two 400 ms attempts per case.
const SETTINGS = { retry: { retries: 1, baseDelayMs: 1, graphqlIntervalMs: 0 }, concurrency: 16 };
/** Sandboxes that run cases side by side: while one case waits for a timeout or a file, another runs. */
const LANES = 2;

let lanes: MatrixHarness[];
/** The kind each operation is tried with. */
const kindOf = new Map<string, CollectionKind>();
const outcomes = new Map<Outcome, number>();
let cases = 0;

beforeAll(async () => {
  lanes = await Promise.all(Array.from({ length: LANES }, () => startMatrix({ connector: 'github', settings: SETTINGS })));
  const byCost = await Promise.all(
    COLLECTION_KINDS.map(async (kind) => {
      const baseline = await lanes[0]!.baselineWith({ kinds: [kind] });
      const calls = baseline.completeness.scopes.flatMap((scope) => scope.operations).reduce((sum, stats) => sum + stats.pages, 0);
      return { kind, calls, operations: operationsOf(baseline) };
    }),
  );
  for (const { kind, operations } of byCost.sort((a, b) => a.calls - b.calls)) {
    for (const operation of operations) if (!kindOf.has(operation)) kindOf.set(operation, kind);
  }
}, 120_000);

afterAll(async () => {
  const counts = [...outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
  console.log(`github fault matrix: ${lanes[0]!.operations.length} operations × ${FAULT_KINDS.length} fault kinds × {once, always} = ${cases} cases; ${counts}`);
  await Promise.all(lanes.map((lane) => lane.close()));
});

/** Runs every case of one operation on one lane; returns what went wrong. */
async function tryOperation(lane: MatrixHarness, operation: string): Promise<string[]> {
  const failures: string[] = [];
  const narrowed = { kinds: [kindOf.get(operation)!] };
  const baseline = await lane.baselineWith(narrowed);
  for (const spec of casesFor('github', operation)) {
    cases += 1;
    const result = await lane.run([spec], narrowed);
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
  return failures;
}

describe('the github fault matrix', () => {
  it('starts from a complete fault-free run, and tries each of its operations with a kind that calls it', async () => {
    const [lane] = lanes;
    expect(lane!.baseline.completeness.verdict).toBe('complete');
    expect(lane!.operations).toEqual(expect.arrayContaining(['orgs/get', 'apps/get-by-slug', 'graphql/repository-inventory', 'repos/list-deploy-keys']));
    expect(lane!.operations.filter((operation) => !kindOf.has(operation))).toEqual([]);
    // Token grants and SAML authorizations come with no count of their own: read whole, they are unreconciled.
    for (const kind of new Set(kindOf.values())) expect((await lane!.baselineWith({ kinds: [kind] })).completeness.verdict).not.toBe('incomplete');
  });

  it('ends every case with the fault-free population or incomplete naming the operation', async () => {
    const queue = [...lanes[0]!.operations];
    const failures = (
      await Promise.all(
        lanes.map(async (lane) => {
          const found: string[] = [];
          for (let operation = queue.shift(); operation; operation = queue.shift()) found.push(...(await tryOperation(lane, operation)));
          return found;
        }),
      )
    ).flat();
    expect(failures).toEqual([]);
  }, 480_000);
});
