import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coverageOf, lastUseOf, pacificDayStart } from '../../../connectors/gcp-iam/last-authentication.js';
import { defaultAccountKind, keyExpiry, normalizeProject, type ProjectSnapshot } from '../../../connectors/gcp-iam/normalize.js';
import type { Activity } from '../../../connectors/gcp-iam/rest.js';
import { roleMeaning } from '../../../connectors/gcp-iam/roles.js';
import { activityAnalyzerTimestamp } from '../../../connectors/gcp-iam/sandbox/dataset.js';
import { IdentitySchema } from '../../../src/sdk/index.js';

describe('Policy Analyzer dates (US Pacific Standard Time all year)', () => {
  it.each([
    ['midnight PST written as 08:00Z', '2026-11-18T08:00:00Z', '2026-11-18T08:00:00.000Z'],
    ['midnight Pacific under daylight time written as 07:00Z', '2026-07-14T07:00:00Z', '2026-07-14T08:00:00.000Z'],
    ['an explicit -08:00 offset', '2026-11-18T00:00:00-08:00', '2026-11-18T08:00:00.000Z'],
    ['the day daylight time starts (midnight is still PST)', '2026-03-08T08:00:00Z', '2026-03-08T08:00:00.000Z'],
    ['the day after daylight time starts', '2026-03-09T07:00:00Z', '2026-03-09T08:00:00.000Z'],
    ['the day daylight time ends (midnight is still PDT)', '2026-11-01T07:00:00Z', '2026-11-01T08:00:00.000Z'],
  ])('%s', (_case, stamp, expected) => {
    expect(pacificDayStart(stamp)).toBe(expected);
  });

  it('an authentication just before and just after midnight PST land on different days', () => {
    // 23:30 PST on Nov 18 and 00:30 PST on Nov 19, as the sandbox (like Google) writes them.
    expect(pacificDayStart(activityAnalyzerTimestamp(new Date('2026-11-19T07:30:00Z')))).toBe('2026-11-18T08:00:00.000Z');
    expect(pacificDayStart(activityAnalyzerTimestamp(new Date('2026-11-19T08:30:00Z')))).toBe('2026-11-19T08:00:00.000Z');
  });

  it('under daylight time, 00:30 PDT is still the previous PST day', () => {
    const stamp = activityAnalyzerTimestamp(new Date('2026-07-15T07:30:00Z'));
    expect(stamp).toBe('2026-07-14T07:00:00Z');
    expect(pacificDayStart(stamp)).toBe('2026-07-14T08:00:00.000Z');
  });

  it('any instant converts to the start of its PST day: never after it, less than a day before', () => {
    const DAY = 86_400_000;
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2031-01-01') }), (t) => {
        const start = Date.parse(pacificDayStart(activityAnalyzerTimestamp(new Date(t)))!);
        expect(start).toBeLessThanOrEqual(t);
        expect(t - start).toBeLessThan(DAY);
        expect(new Date(start).toISOString().slice(11)).toBe('08:00:00.000Z');
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects what is not a date', () => {
    expect(pacificDayStart('yesterday')).toBeUndefined();
  });
});

describe('last use: a date, never, not since, unknown', () => {
  const coverage = coverageOf([
    { observationPeriod: { startTime: '2025-06-01T07:00:00Z', endTime: '2026-11-19T08:00:00Z' } },
  ]);
  const seen: Activity = { activity: { lastAuthenticatedTime: '2026-11-18T08:00:00Z' } };

  it.each([
    ['a record gives its day', seen, coverage, '2026-01-01T00:00:00Z', { at: '2026-11-18T08:00:00.000Z' }],
    ['created inside the window and unseen: never', undefined, coverage, '2026-03-01T12:00:00Z', 'never'],
    ['older than the window and unseen: not since the window opened', undefined, coverage, '2024-01-10T09:00:00Z', { notSince: '2025-06-01T07:00:00.000Z' }],
    ['creation unknown and unseen: not since the window opened', undefined, coverage, null, { notSince: '2025-06-01T07:00:00.000Z' }],
    ['created after the last observed day: unknown', undefined, coverage, '2026-11-19T10:00:00Z', 'unknown'],
    ['no observation window: unknown', undefined, undefined, '2026-03-01T12:00:00Z', 'unknown'],
  ] as const)('%s', (_case, activity, window, createdAt, expected) => {
    expect(lastUseOf(activity, window, createdAt)).toEqual(expected);
  });
});

describe('roles', () => {
  it.each([
    ['roles/owner', 'admin', ['admin', 'credential-creation', 'iam-write', 'impersonation', 'privilege-escalation']],
    ['roles/editor', 'admin', ['admin', 'credential-creation', 'impersonation', 'privilege-escalation']],
    ['roles/storage.admin', 'admin', ['admin']],
    ['roles/compute.instanceAdmin.v1', 'admin', ['admin']],
    ['roles/iam.serviceAccountKeyAdmin', 'admin', ['admin', 'credential-creation', 'privilege-escalation']],
    ['roles/resourcemanager.projectIamAdmin', 'admin', ['admin', 'iam-write', 'privilege-escalation']],
    ['roles/iam.securityAdmin', 'admin', ['admin', 'iam-write', 'privilege-escalation']],
    ['roles/iam.serviceAccountTokenCreator', 'write', ['impersonation', 'privilege-escalation']],
    ['roles/iam.serviceAccountUser', 'write', ['impersonation', 'privilege-escalation']],
    ['roles/viewer', 'read', []],
    ['roles/bigquery.dataViewer', 'read', []],
    ['roles/iam.securityReviewer', 'read', []],
    ['roles/pubsub.publisher', 'write', []],
    // Without the role read, a custom role's reach is not known.
    ['projects/p/roles/customExporter', 'unknown', []],
    ['organizations/1/roles/billingAdmin', 'admin', ['admin']],
  ])('%s is %s', (role, level, flags) => {
    const meaning = roleMeaning(role);
    expect(meaning.level).toBe(level);
    expect(meaning.flags).toEqual(flags);
    expect(meaning.evidence.length).toBeGreaterThan(0);
  });
});

describe('keys and default accounts', () => {
  it('9999-12-31 means no expiry; any other validBeforeTime is the expiry', () => {
    expect(keyExpiry('9999-12-31T23:59:59Z')).toBeNull();
    expect(keyExpiry('2027-01-01T10:00:00Z')).toBe('2027-01-01T10:00:00.000Z');
  });

  it.each([
    ['123456789012-compute@developer.gserviceaccount.com', 'p-one', 'compute'],
    ['p-one@appspot.gserviceaccount.com', 'p-one', 'appengine'],
    ['p-two@appspot.gserviceaccount.com', 'p-one', undefined],
    ['builder@p-one.iam.gserviceaccount.com', 'p-one', undefined],
  ])('%s in %s', (email, project, kind) => {
    expect(defaultAccountKind(email, project)).toBe(kind);
  });
});

describe('normalizeProject', () => {
  const email = 'exporter@p-one.iam.gserviceaccount.com';
  const snapshot = (overrides: Partial<ProjectSnapshot> = {}): ProjectSnapshot => ({
    source: 'gcp',
    projectId: 'p-one',
    accounts: [
      {
        item: { email, uniqueId: '101', displayName: 'Exporter', description: 'Nightly export. Owner: kim@example.test' },
        ref: 'raw/gcp/p-one/iam.projects.serviceAccounts.list-0001.json#/body/accounts/0',
      },
    ],
    keys: new Map([
      [
        email,
        [
          { item: { name: `projects/p-one/serviceAccounts/${email}/keys/k1`, keyType: 'USER_MANAGED', validAfterTime: '2026-01-01T00:00:00Z', validBeforeTime: '9999-12-31T23:59:59Z', disabled: true }, ref: 'x' },
          { item: { name: `projects/p-one/serviceAccounts/${email}/keys/k2`, keyType: 'SYSTEM_MANAGED', validAfterTime: '2026-11-01T00:00:00Z', validBeforeTime: '2026-11-15T00:00:00Z' }, ref: 'y' },
        ],
      ],
    ]),
    policy: {
      item: {
        bindings: [
          { role: 'roles/bigquery.dataViewer', members: [`serviceAccount:${email}`], condition: { title: 'temporary', expression: 'request.time < timestamp("2027-01-01T00:00:00Z")' } },
          { role: 'projects/p-one/roles/exportOnly', members: [`serviceAccount:${email}`] },
          { role: 'roles/owner', members: [`deleted:serviceAccount:${email}?uid=99`] },
          { role: 'roles/iam.serviceAccountUser', members: ['group:ops@example.test', `serviceAccount:${email}`], condition: { expression: 'true' } },
          { role: 'roles/iam.serviceAccountTokenCreator', members: ['group:ops@example.test', 'principalSet://iam.googleapis.com/pool/x'] },
        ],
      },
      ref: 'raw/gcp/p-one/policy.json#/body',
    },
    ancestors: [],
    ...overrides,
  });

  it('maps an account, its user-managed keys, bindings and the people who can act as it', () => {
    const [identity] = normalizeProject(snapshot());
    expect(IdentitySchema.parse(identity)).toEqual(identity);
    expect(identity).toMatchObject({
      id: `gcp-iam:p-one:${email}`,
      scope: 'p-one',
      kind: 'service-account',
      nativeId: '101',
      classification: { value: 'machine' },
      owner: { id: 'kim@example.test', source: 'description', status: 'unknown' },
      rawRef: 'raw/gcp/p-one/iam.projects.serviceAccounts.list-0001.json#/body/accounts/0',
    });
    expect(identity!.credentials).toEqual([
      expect.objectContaining({ id: 'k1', type: 'service-account-key', status: 'inactive', expiresAt: null, createdAt: '2026-01-01T00:00:00.000Z' }),
    ]);
    // A custom role whose permissions are not read leaves the whole level unknown, short of admin.
    expect(identity!.privilege.level).toBe('unknown');
    expect(identity!.privilege.grants.map((g) => g.name)).toEqual([
      'projects/p-one/roles/exportOnly',
      'roles/bigquery.dataViewer',
      'roles/iam.serviceAccountUser',
    ]);
    expect(identity!.privilege.grants[1]!.evidence).toContain('condition: temporary: request.time < timestamp("2027-01-01T00:00:00Z")');
    expect(identity!.trust).toEqual([
      { type: 'account', value: 'group:ops@example.test', conditioned: false },
      { type: 'federated', value: 'principalSet://iam.googleapis.com/pool/x', conditioned: false },
    ]);
  });

  it('without analyzer data every last use is unknown; without a policy the privilege is unknown, and says why', () => {
    const [identity] = normalizeProject(snapshot({ policy: undefined }));
    expect(identity!.lastUsed).toBe('unknown');
    expect(identity!.credentials[0]!.lastUsed).toBe('unknown');
    expect(identity!.privilege).toEqual({
      level: 'unknown',
      grants: [{ via: 'binding', name: 'allow policy', ref: 'projects/p-one', level: 'unknown', flags: [], evidence: ['the allow policy of projects/p-one could not be read'] }],
      flags: [],
    });
    expect(identity!.trust).toBeUndefined();
  });

  const exportOnly = (role: Record<string, unknown>) =>
    new Map([['projects/p-one/roles/exportOnly', { item: { name: 'projects/p-one/roles/exportOnly', etag: 'e', ...role }, ref: 'raw/gcp/p-one/role.json#/body' }]]);

  it('judges a custom role by the permissions it includes', () => {
    const [identity] = normalizeProject(snapshot({ roles: exportOnly({ includedPermissions: ['bigquery.tables.export', 'bigquery.tables.getData', 'iam.serviceAccounts.signJwt'] }) }));
    const grant = identity!.privilege.grants.find((g) => g.name === 'projects/p-one/roles/exportOnly')!;
    expect(grant).toMatchObject({ level: 'write', flags: ['impersonation', 'privilege-escalation'], ref: 'projects/p-one' });
    expect(grant.evidence).toEqual(['bigquery.tables.export', 'custom role: 3 permissions', 'iam.serviceAccounts.signJwt']);
    expect(identity!.privilege).toMatchObject({ level: 'write', flags: ['impersonation', 'privilege-escalation'] });
  });

  it('a deleted or disabled custom role grants nothing, and says so', () => {
    for (const [role, why] of [
      [{ deleted: true, includedPermissions: ['resourcemanager.projects.setIamPolicy'] }, 'custom role deleted: grants nothing'],
      [{ stage: 'DISABLED', includedPermissions: ['resourcemanager.projects.setIamPolicy'] }, 'custom role disabled (stage DISABLED): grants nothing'],
    ] as const) {
      const [identity] = normalizeProject(snapshot({ roles: exportOnly(role) }));
      expect(identity!.privilege.grants.find((g) => g.name === 'projects/p-one/roles/exportOnly')).toMatchObject({ level: 'none', flags: [], evidence: [why] });
      expect(identity!.privilege.level).toBe('write');
    }
  });

  it('keeps bindings inherited from folders and the organization, each naming where it was bound', () => {
    const folder = { resource: 'folders/77', policy: { item: { bindings: [{ role: 'roles/iam.serviceAccountKeyAdmin', members: [`serviceAccount:${email}`] }] }, ref: 'f' } };
    const org = { resource: 'organizations/1', policy: { item: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: ['group:admins@example.test'] }] }, ref: 'o' } };
    const [identity] = normalizeProject(snapshot({ ancestors: [folder, org], roles: exportOnly({ includedPermissions: ['bigquery.tables.getData'] }) }));
    expect(identity!.privilege.grants.find((g) => g.name === 'roles/iam.serviceAccountKeyAdmin')).toMatchObject({ ref: 'folders/77', level: 'admin' });
    expect(identity!.privilege).toMatchObject({ level: 'admin', flags: ['admin', 'credential-creation', 'impersonation', 'privilege-escalation'] });
    // Who can act as the account through the organization's binding, too.
    expect(identity!.trust!.map((t) => t.value)).toContain('group:admins@example.test');
  });

  it('an ancestor policy or the ancestry that could not be read leaves the level unknown, naming what', () => {
    const roles = exportOnly({ includedPermissions: ['bigquery.tables.getData'] });
    const [denied] = normalizeProject(snapshot({ ancestors: [{ resource: 'folders/77' }], roles }));
    expect(denied!.privilege.level).toBe('unknown');
    expect(denied!.privilege.grants).toContainEqual(expect.objectContaining({ ref: 'folders/77', level: 'unknown', evidence: ['the allow policy of folders/77 could not be read'] }));
    const [noAncestry] = normalizeProject(snapshot({ ancestors: undefined, roles }));
    expect(noAncestry!.privilege.level).toBe('unknown');
    expect(noAncestry!.privilege.grants[0]!.evidence[0]).toMatch(/ancestry could not be read/);
  });

  it('matches analyzer records named by email or by unique id', () => {
    const period = { startTime: '2025-06-01T07:00:00Z', endTime: '2026-11-19T08:00:00Z' };
    const [identity] = normalizeProject(
      snapshot({
        accountActivities: [
          { fullResourceName: '//iam.googleapis.com/projects/p-one/serviceAccounts/101', observationPeriod: period, activity: { lastAuthenticatedTime: '2026-11-02T08:00:00Z' } },
        ],
        keyActivities: [{ fullResourceName: `//iam.googleapis.com/projects/p-one/serviceAccounts/other@p-one.iam.gserviceaccount.com/keys/zz`, observationPeriod: period }],
      }),
    );
    expect(identity!.lastUsed).toEqual({ at: '2026-11-02T08:00:00.000Z' });
    expect(identity!.credentials[0]!.lastUsed).toBe('never');
  });

  it("takes the analyzer's window from the other activity type when a query returned no records", () => {
    const period = { startTime: '2025-06-01T07:00:00Z', endTime: '2026-11-19T08:00:00Z' };
    const accountActivities = [{ fullResourceName: '//iam.googleapis.com/projects/p-one/serviceAccounts/101', observationPeriod: period, activity: { lastAuthenticatedTime: '2026-11-02T08:00:00Z' } }];
    const [identity] = normalizeProject(snapshot({ accountActivities, keyActivities: [] }));
    expect(identity!.credentials[0]!.lastUsed).toBe('never');
    // A query that failed is no window at all.
    const [failed] = normalizeProject(snapshot({ accountActivities }));
    expect(failed!.credentials[0]!.lastUsed).toBe('unknown');
  });
});
