import {
  FindingSchema,
  SourceCompletenessSchema,
  WaiverSchema,
  type Finding,
  type Identity,
  type SourceCompleteness,
  type Waiver,
} from '../../src/sdk/index.js';
import type { WaiverUse } from '../../src/engine/evaluate.js';
import type { ControlInForce, ResultSet } from '../../src/writers/types.js';
import { aCredential, anIdentity, daysAgo } from './identity-builder.js';

export const AS_OF = new Date('2026-11-20T00:00:00Z');

/**
 * A value that breaks naive CSV, XML, Markdown and spreadsheet output at once: a leading `=` (a formula),
 * commas, quotes, a newline, `<&>` and a table pipe.
 */
export const HOSTILE_NAME = '=HYPERLINK("http://x.test/?a=1&b=<2>", "click | me"),\nsecond line';

function aControl(overrides: Partial<ControlInForce> & Pick<ControlInForce, 'id' | 'severity'>): ControlInForce {
  return {
    title: `Title of ${overrides.id}`,
    appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'ci-secret', 'api-key'],
    rationale: `Why ${overrides.id} matters`,
    remediation: `How to fix ${overrides.id}`,
    options: {},
    mappings: [],
    ...overrides,
  };
}

const controls: ControlInForce[] = [
  aControl({
    id: 'credential-rotated',
    severity: 'high',
    title: 'Every active credential was created or rotated within the allowed age',
    options: { maxAgeDays: 90 },
    mappings: [
      { framework: 'CIS AWS Foundations', version: '3.0', ids: ['1.14'] },
      { framework: 'OWASP NHI Top 10', version: '2025', ids: ['NHI7'] },
    ],
  }),
  aControl({ id: 'credential-expiry-set', severity: 'low' }),
  aControl({ id: 'identity-described', severity: 'info' }),
  aControl({ id: 'no-admin-privilege', severity: 'critical', mappings: [{ framework: 'SOC 2', ids: ['CC6.3'] }] }),
  aControl({ id: 'owner-assigned', severity: 'medium', mappings: [{ framework: 'SOX ITGC', ids: ['APD-03'] }] }),
];

const deployer = anIdentity({
  name: 'ci-deployer',
  credentials: [
    aCredential({ id: 'AKIAOLDKEY0000000001', createdAt: daysAgo(AS_OF, 200) }),
    aCredential({ id: 'AKIANEWKEY0000000002', createdAt: daysAgo(AS_OF, 10), lastUsed: { at: daysAgo(AS_OF, 1) } }),
    aCredential({ id: 'AKIADEADKEY000000003', status: 'inactive', createdAt: daysAgo(AS_OF, 400), lastUsed: 'never' }),
  ],
  lastUsed: { at: daysAgo(AS_OF, 1) },
  owner: { id: '@acme/platform', source: 'tag:owner', status: 'active' },
  approval: { ticket: 'CHG-1001', approver: 'jane.doe', approvedAt: '2026-01-02T00:00:00.000Z' },
  environment: 'production',
});

const breakGlass = anIdentity({
  id: 'aws-iam:111111111111:role/admin-breakglass',
  kind: 'role',
  name: 'admin-breakglass',
  nativeId: 'arn:aws:iam::111111111111:role/admin-breakglass',
  lastUsed: { notSince: '2025-10-16T00:00:00.000Z' },
  privilege: { level: 'admin', grants: [], flags: ['admin', 'wildcard-action'] },
});

const reportingBot = anIdentity({
  id: 'github:acme:app/reporting-bot',
  connector: 'github',
  source: 'github-acme',
  scope: 'acme',
  kind: 'app',
  name: 'reporting-bot',
  nativeId: '42',
  lastUsed: 'never',
  vendor: 'Reporting Vendor, Inc.',
  owner: { id: 'finance-ops', source: 'registry:owners.csv', status: 'terminated' },
  rawRef: 'raw/github-acme/acme/apps-0001.json',
});

const hostileToken = anIdentity({
  id: 'github:acme:token/hostile',
  connector: 'github',
  source: 'github-acme',
  scope: 'acme',
  kind: 'token',
  name: HOSTILE_NAME,
  nativeId: 'hostile',
  credentials: [aCredential({ id: 'ghp-token-1', type: 'token', createdAt: null })],
  tags: { note: '-1+1' },
  rawRef: 'raw/github-acme/acme/tokens-0001.json',
});

const etl = anIdentity({
  id: 'gcp:fin-prod:sa/etl@fin-prod.iam.gserviceaccount.com',
  connector: 'gcp',
  source: 'gcp-fin',
  scope: 'fin-prod',
  name: 'etl@fin-prod.iam.gserviceaccount.com',
  nativeId: '1234567890',
  credentials: [aCredential({ id: 'key-etl-1', type: 'service-account-key', createdAt: daysAgo(AS_OF, 150) })],
  owner: { id: 'data-eng', source: 'label:owner', status: 'active' },
  rawRef: 'raw/gcp-fin/fin-prod/serviceAccounts-0001.json',
});

const identities: Identity[] = [breakGlass, deployer, etl, reportingBot, hostileToken];

/** In force and used (by the ETL key's rotation finding). */
export const ROTATION_WAIVER: Waiver = WaiverSchema.parse({
  control: 'credential-rotated',
  identity: 'gcp:fin-prod:sa/*',
  reason: 'ETL vendor migration; key replaced by workload identity, "phase 2"',
  ticket: 'RISK-77',
  approver: 'cfo@acme.test',
  expires: '2026-12-31',
});

/** In force but matches nothing. */
export const UNUSED_WAIVER: Waiver = WaiverSchema.parse({
  control: 'owner-assigned',
  identity: 'aws-iam:111111111111:user/legacy-*',
  reason: 'legacy users being retired',
  ticket: 'RISK-12',
  approver: 'ciso@acme.test',
  expires: '2027-03-31',
});

/** Expired before the as-of date, so the break-glass role's admin finding fails again. */
export const EXPIRED_WAIVER: Waiver = WaiverSchema.parse({
  control: 'no-admin-privilege',
  identity: 'aws-iam:111111111111:role/admin-breakglass',
  reason: 'incident INC-9 fix window',
  ticket: 'RISK-9',
  approver: 'ciso@acme.test',
  expires: '2026-06-30T00:00:00Z',
});

export const HOSTILE_MESSAGE = `${HOSTILE_NAME} has no owner`;

function finding(
  controlId: string,
  identity: Identity,
  status: Finding['status'],
  message: string,
  extra: Partial<Finding> = {},
): Finding {
  const severity = controls.find((c) => c.id === controlId)!.severity;
  return FindingSchema.parse({ controlId, identityId: identity.id, status, severity, message, evidence: { status }, ...extra });
}

const findings: Finding[] = [
  finding('credential-expiry-set', hostileToken, 'fail', 'Token ghp-token-1 never expires', { credentialId: 'ghp-token-1' }),
  finding('credential-rotated', deployer, 'fail', 'Credential AKIAOLDKEY0000000001 is 200 days old (limit 90)', {
    credentialId: 'AKIAOLDKEY0000000001',
    evidence: { ageDays: 200, maxAgeDays: 90 },
  }),
  finding('credential-rotated', deployer, 'pass', 'Credential AKIANEWKEY0000000002 is 10 days old', { credentialId: 'AKIANEWKEY0000000002' }),
  finding('credential-rotated', etl, 'excepted', 'Credential key-etl-1 is 150 days old (limit 90)', {
    credentialId: 'key-etl-1',
    waiver: ROTATION_WAIVER,
  }),
  finding('credential-rotated', hostileToken, 'fail', 'Credential ghp-token-1 has no creation or rotation date, so its age cannot be shown', {
    credentialId: 'ghp-token-1',
  }),
  finding('credential-rotated', reportingBot, 'not-applicable', 'No active credential'),
  finding('no-admin-privilege', breakGlass, 'fail', 'Role admin-breakglass holds admin (wildcard-action) (waiver RISK-9 expired 2026-06-30T00:00:00Z)'),
  finding('no-admin-privilege', deployer, 'pass', 'Highest privilege is read'),
  finding('owner-assigned', breakGlass, 'fail', 'No owner recorded'),
  finding('owner-assigned', deployer, 'pass', 'Owned by @acme/platform'),
  finding('owner-assigned', etl, 'pass', 'Owned by data-eng'),
  finding('owner-assigned', hostileToken, 'fail', HOSTILE_MESSAGE),
  finding('owner-assigned', reportingBot, 'fail', 'Owner finance-ops has left (terminated)'),
];

function source(name: string, connector: string, scopes: SourceCompleteness['scopes'], identityCount: number): SourceCompleteness {
  const incomplete = scopes.some((s) => s.verdict === 'incomplete');
  return SourceCompletenessSchema.parse({
    source: name,
    connector,
    verdict: incomplete ? 'incomplete' : 'complete',
    startedAt: '2026-11-20T00:00:01.000Z',
    finishedAt: '2026-11-20T00:00:09.000Z',
    scopes,
    identities: identityCount,
    errors: [],
  });
}

function scope(name: string, problems: Partial<SourceCompleteness['scopes'][number]> = {}): SourceCompleteness['scopes'][number] {
  const incomplete = (problems.errors?.length ?? 0) + (problems.unreadable?.length ?? 0) > 0;
  return {
    scope: name,
    verdict: incomplete ? 'incomplete' : 'complete',
    operations: [{ operation: 'List', parameters: {}, pages: 1, records: 2, retries: 0, errors: problems.errors?.length ?? 0 }],
    identities: 2,
    reconciliations: [],
    errors: [],
    unreadable: [],
    ...problems,
  };
}

const sources: SourceCompleteness[] = [
  source('aws-test', 'aws-iam', [scope('111111111111'), scope('222222222222')], 2),
  source('gcp-fin', 'gcp', [scope('fin-prod')], 1),
  source(
    'github-acme',
    'github',
    [
      scope('acme', {
        errors: [{ operation: 'actions.listOrgSecrets', code: 'Forbidden', message: 'Resource not accessible by integration' }],
        unreadable: [{ kind: 'ci-secret', reason: 'the app lacks organization secrets: read' }],
      }),
    ],
    2,
  ),
];

/** As the evaluation reports them, in configuration order. */
const waivers: WaiverUse[] = [
  { waiver: UNUSED_WAIVER, state: 'unused', findings: 0 },
  { waiver: EXPIRED_WAIVER, state: 'expired', findings: 1 },
  { waiver: ROTATION_WAIVER, state: 'applied', findings: 1 },
];

/**
 * One run with every shape the writers must handle: identities of several kinds and connectors, findings of
 * every status and of several severities (identity-level and per credential), a waiver that applied, one that
 * matched nothing and one that expired, an incomplete source, a control with no findings, and a value full of
 * CSV/XML/Markdown/formula special characters.
 */
export function aResultSet(overrides: Partial<ResultSet> = {}): ResultSet {
  return structuredClone({
    tool: { name: 'nhi-audit', version: '0.1.0', informationUri: 'https://example.test/nhi-audit' },
    organization: 'Acme <Finance> & "Co" | Ltd',
    asOf: AS_OF.toISOString(),
    cycle: '2026-Q4',
    controls,
    identities,
    findings,
    sources,
    waivers,
    ...overrides,
  });
}

/** The same run with every collection in reverse order and every object's keys reversed, as another engine run might hand it over. */
export function reordered(results: ResultSet): ResultSet {
  const reverseKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(reverseKeys);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
    }
    return value;
  };
  const reversed = reverseKeys(results) as ResultSet;
  return {
    ...reversed,
    controls: [...reversed.controls].reverse(),
    identities: [...reversed.identities].reverse(),
    findings: [...reversed.findings].reverse(),
    sources: [...reversed.sources].reverse().map((s) => ({ ...s, scopes: [...s.scopes].reverse() })),
    waivers: [...reversed.waivers!].reverse(),
  };
}
