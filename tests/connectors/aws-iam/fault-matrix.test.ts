import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FAULT_KINDS } from '../../../src/sdk/index.js';
import { casesFor, judge, startMatrix, type MatrixHarness, type Outcome } from '../../helpers/fault-matrix.js';

/**
 * Every AWS call of the demo run × every fault kind, once and always: each case ends with the fault-free
 * inventory, or incomplete naming the operation. AssumeRole, GetCallerIdentity, GenerateCredentialReport and
 * GenerateServiceLastAccessedDetails leave no raw page (a session's secrets, who the collector is, a job started), so
 * the manifest does not list them; faults reach them all the same.
 */
const OPERATIONS = [
  'AssumeRole',
  'DescribePolicy',
  'GenerateCredentialReport',
  'GenerateServiceLastAccessedDetails',
  'GetAccountAuthorizationDetails',
  'GetAccountSummary',
  'GetCallerIdentity',
  'GetCredentialReport',
  'GetFindingV2',
  'GetPolicy',
  'GetPolicyVersion',
  'GetServiceLastAccessedDetails',
  'ListAccessKeys',
  'ListAccounts',
  'ListAnalyzers',
  'ListFindingsV2',
  'ListPolicies',
  'ListTargetsForPolicy',
];

let harness: MatrixHarness;
const outcomes: Record<Outcome, number> = { identical: 0, 'incomplete-named': 0 };
const started = performance.now();

beforeAll(async () => {
  harness = await startMatrix({
    connector: 'aws-iam',
    settings: { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, credentialReport: { pollIntervalMs: 1 }, serviceLastAccessed: { enabled: true, pollIntervalMs: 1 } },
    parallel: 4,
    reread: true,
  });
});
afterAll(async () => {
  await harness?.close();
  const cases = outcomes.identical + outcomes['incomplete-named'];
  console.log(
    `aws-iam fault matrix: ${OPERATIONS.length} operations × ${FAULT_KINDS.length} kinds × {once, always} = ${cases} cases; ` +
      `${outcomes.identical} identical, ${outcomes['incomplete-named']} incomplete naming the operation; ${Math.round((performance.now() - started) / 1000)} s`,
  );
});

test('the fault-free run is complete and calls every operation of the matrix', () => {
  expect(harness.baseline.completeness.verdict).toBe('complete');
  expect(harness.called).toEqual(OPERATIONS);
  expect(harness.operations.every((operation) => OPERATIONS.includes(operation))).toBe(true);
});

/**
 * Service last accessed data costs a job and its polls per principal: only the cases of its two operations read
 * it; every other case runs (and is judged against a baseline) without it, which halves the matrix's time.
 */
const SERVICE_LAST_ACCESSED = ['GenerateServiceLastAccessedDetails', 'GetServiceLastAccessedDetails'];
const WITHOUT_SERVICE_LAST_ACCESSED = { serviceLastAccessed: { enabled: false } };

describe.concurrent.each(OPERATIONS)('%s', (operation) => {
  test.each(casesFor('aws-iam', operation).map((spec) => [`${spec.kind}${spec.times ? ' once' : ' always'}`, spec] as const))(
    '%s',
    async (_name, spec) => {
      const overrides = SERVICE_LAST_ACCESSED.includes(operation) ? undefined : WITHOUT_SERVICE_LAST_ACCESSED;
      const result = await harness.run([spec], overrides);
      const outcome = judge(overrides ? await harness.baselineWith(overrides) : harness.baseline, result, operation);
      outcomes[outcome] += 1;
      // Whatever the fault did, the raw pages re-read give exactly what the collection gave.
      expect(result.reread).toEqual(result.identities);
      // A fault the collection can ride out once must not cost the population.
      if (spec.times && ['throttle', '5xx', 'reset', 'hang', 'truncate', 'html', 'empty-object', 'drop-field', 'empty-page-more'].includes(spec.kind)) {
        expect(outcome).toBe('identical');
      }
    },
  );
});
