import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTION_KINDS, type CollectionKind } from '../../../connectors/github/config.js';
import { FAULT_KINDS, formatFaultSpec } from '../../../src/sdk/index.js';
import { casesFor, judge, operationsOf, outcomesByKind, startMatrix, type MatrixHarness, type Outcome } from '../../helpers/fault-matrix.js';

/*
 * Issue 9's fault matrix for GitHub: every operation the demo organization's collection calls × every fault
 * kind × once and always. Each case ends with the fault-free population or incomplete naming the operation.
 * A case reads only the kind that calls its operation most cheaply (organization, repository list and owner
 * hints included), against the fault-free run of that kind: the same code paths at a fraction of the calls.
 * The installation token leaves no raw page, so the manifest does not list it; faults reach it all the same.
 */

const INSTALLATION_TOKEN = 'apps/create-installation-access-token';
// Retries wait a millisecond; one retry cures a fault met once, and all repositories are read at once, so a
// request that always hangs costs two attempts of timeouts.requestMs per case; the harness runs cases in lanes
// side by side, so one case\'s timeouts overlap another\'s work.
const SETTINGS = { retry: { retries: 1, baseDelayMs: 1, graphqlIntervalMs: 0 }, concurrency: 16 };

let matrix: MatrixHarness;
/** The kind each operation is tried with. */
const kindOf = new Map<string, CollectionKind>();
/** Each case's outcome, keyed by its fault spec. */
const outcomes = new Map<string, Outcome>();
let cases = 0;

beforeAll(async () => {
  matrix = await startMatrix({ connector: 'github', settings: SETTINGS, parallel: 2 });
  const byCost = await Promise.all(
    COLLECTION_KINDS.map(async (kind) => {
      const baseline = await matrix.baselineWith({ kinds: [kind] });
      const calls = baseline.completeness.scopes.flatMap((scope) => scope.operations).reduce((sum, stats) => sum + stats.pages, 0);
      return { kind, calls, operations: operationsOf(baseline) };
    }),
  );
  byCost.sort((a, b) => a.calls - b.calls);
  for (const { kind, operations } of byCost) {
    for (const operation of operations) if (!kindOf.has(operation)) kindOf.set(operation, kind);
  }
  // Every run asks for the token first.
  kindOf.set(INSTALLATION_TOKEN, byCost[0]!.kind);
}, 120_000);

afterAll(async () => {
  const count = (outcome: Outcome) => [...outcomes.values()].filter((o) => o === outcome).length;
  console.log(
    [
      `github fault matrix: ${matrix.called.length} operations × ${FAULT_KINDS.length} fault kinds × {once, always} = ${cases} cases; ${count('identical')} identical, ${count('incomplete-named')} incomplete naming the operation`,
      ...outcomesByKind(outcomes),
    ].join('\n'),
  );
  await matrix?.close();
});

/** Runs every case of one operation; returns what went wrong. */
async function tryOperation(operation: string): Promise<string[]> {
  const failures: string[] = [];
  const narrowed = { kinds: [kindOf.get(operation)!] };
  const baseline = await matrix.baselineWith(narrowed);
  for (const spec of casesFor('github', operation)) {
    cases += 1;
    const result = await matrix.run([spec], narrowed);
    const name = `${operation} ${spec.kind} ${spec.times ? 'once' : 'always'}`;
    try {
      const outcome = judge(baseline, result, operation);
      outcomes.set(formatFaultSpec(spec), outcome);
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
  it('starts from a complete fault-free run, and tries each operation it called with a kind that calls it', async () => {
    expect(matrix.baseline.completeness.verdict).toBe('complete');
    expect(matrix.called).toEqual([...matrix.operations, INSTALLATION_TOKEN].sort());
    expect(matrix.called).toEqual(expect.arrayContaining(['orgs/get', 'apps/get-by-slug', 'graphql/repository-inventory', 'repos/list-deploy-keys']));
    expect(matrix.called.filter((operation) => !kindOf.has(operation))).toEqual([]);
    // Token grants and SAML authorizations come with no count of their own: read whole, they are unreconciled.
    for (const kind of new Set(kindOf.values())) expect((await matrix.baselineWith({ kinds: [kind] })).completeness.verdict).not.toBe('incomplete');
  });

  it('ends every case with the fault-free population or incomplete naming the operation', async () => {
    // Each operation's cases run one after another; the harness hands each run an idle sandbox.
    const failures = (await Promise.all(matrix.called.map(tryOperation))).flat();
    expect(failures).toEqual([]);
  }, 480_000);
});
