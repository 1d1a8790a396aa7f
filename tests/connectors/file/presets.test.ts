import { afterAll, describe, expect, it } from 'vitest';
import { byNativeId, collectFile, PROVENANCE, removeRun, type FileRun } from './helpers.js';

const runs: FileRun[] = [];
const collect = async (settings: Record<string, unknown>) => {
  const run = await collectFile(settings);
  runs.push(run);
  return run;
};
afterAll(() => Promise.all(runs.map(removeRun)));

describe('file: the sap preset over USR02, AGR_USERS and TBTCP', () => {
  const settings = {
    preset: 'sap',
    system: 'SAP ECC QA2 client 200',
    scope: 'QA2-200',
    export: { path: 'sap/usr02.csv', report: 'SE16N USR02', ...PROVENANCE, expectedRows: 5 },
    related: [
      { adds: 'entitlements', path: 'sap/agr_users.csv', report: 'SE16N AGR_USERS', expectedRows: 6 },
      { adds: 'usedBy', path: 'sap/tbtcp.csv', report: 'SE16N TBTCP' },
    ],
    rules: [{ match: 'Z_FI_*', level: 'write' }],
  };

  it('reads users B, C and S as technical, A as a person, and the dialog user a job runs as as a machine', async () => {
    const { identities } = await collect(settings);
    const classes = Object.fromEntries(identities.map((i) => [i.nativeId, i.classification.value]));
    expect(classes).toEqual({ ALE_REMOTE: 'machine', BATCH_FI: 'machine', DDIC: 'machine', HSCHMIDT: 'machine', 'WF-BATCH': 'machine' });
    const dialog = byNativeId(identities, 'HSCHMIDT');
    expect(dialog.classification.reason).toBe("USTYP A in SAP ECC QA2 client 200 marks a person's account, but programs run as it: batch job Z_FI_CLEARING");
    expect(dialog.interactiveLogin).toEqual({ enabled: true, mfa: false, lastUsed: { at: '2026-11-18T08:15:00.000Z' }, method: 'SAP GUI dialog logon' });
    expect(dialog.usedBy).toEqual([{ type: 'batch job', name: 'Z_FI_CLEARING' }]);
    expect(dialog.expiresAt).toBe('2027-12-31T00:00:00.000Z');
    expect(byNativeId(identities, 'BATCH_FI').interactiveLogin?.enabled).toBe(false);
  });

  it('judges SAP_ALL admin and user administration an escalation; an ended assignment no longer counts', async () => {
    const { identities } = await collect(settings);
    const wf = byNativeId(identities, 'WF-BATCH');
    expect(wf.privilege.level).toBe('admin');
    expect(wf.privilege.grants[0]).toMatchObject({ name: 'SAP_ALL', ref: 'sap/agr_users.csv, line 3', flags: ['admin'] });
    const dialog = byNativeId(identities, 'HSCHMIDT');
    expect(dialog.privilege.grants.map((g) => g.name)).toEqual(['SAP_BC_USER_ADMIN']);
    expect(dialog.privilege.flags).toEqual(['credential-creation', 'iam-write']);
    expect(byNativeId(identities, 'ALE_REMOTE').privilege.level).toBe('unknown');
  });

  it('reads SAP dates and times, a lock flag, and 00000000 as no date', async () => {
    const { identities } = await collect(settings);
    const ddic = byNativeId(identities, 'DDIC');
    expect(ddic.status).toBe('disabled');
    expect(ddic.lastUsed).toBe('never');
    expect(ddic.credentials).toEqual([
      { id: 'DDIC/password', type: 'secret', status: 'inactive', createdAt: '2015-01-01T00:00:00.000Z', rotatedAt: '2015-01-01T00:00:00.000Z', lastUsed: 'never', expiresAt: null },
    ]);
    expect(byNativeId(identities, 'BATCH_FI').lastUsed).toEqual({ at: '2026-11-19T02:00:00.000Z' });
  });

  it('records each export with its digest, rows and provenance, reconciles the control totals, and says how the joins went', async () => {
    const run = await collect(settings);
    const [scope] = run.completeness.scopes;
    expect(run.completeness.verdict).toBe('complete');
    expect([run.completeness.collector, scope!.collector]).toEqual([PROVENANCE.producedBy, PROVENANCE.producedBy]);
    expect(scope!.reconciliations.map((r) => [r.name, r.expected, r.observed, r.matches])).toEqual([
      ['rows of sap/usr02.csv against the control total its report states', 5, 5, true],
      ['rows of sap/agr_users.csv against the control total its report states', 6, 6, true],
    ]);
    const reads = scope!.operations.filter((o) => o.operation === 'ReadExport').map((o) => o.parameters);
    expect(reads[0]).toMatchObject({ file: 'sap/usr02.csv', role: 'main', format: 'csv', rows: 5, system: 'SAP ECC QA2 client 200', report: 'SE16N USR02', ...PROVENANCE });
    expect(reads[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(reads.map((r) => r.file)).toEqual(['sap/usr02.csv', 'sap/agr_users.csv', 'sap/tbtcp.csv']);
    const mapped = (await run.rawText()).split('\n').filter((line) => line.includes('"operation":"MapExport"')).map((line) => JSON.parse(line));
    expect(mapped.flatMap((page) => page.body.joins)).toContainEqual({ ended: 1, file: 'sap/agr_users.csv', joined: 4, outside: 1 });
  });

  it('keeps only the columns the mapping reads: the password hash column never reaches the pack', async () => {
    const run = await collect(settings);
    const kept = run.completeness.scopes[0]!.operations.find((o) => o.parameters.file === 'sap/usr02.csv')!.parameters.columnsKept;
    expect(kept).not.toContain('BCODE');
    expect(await run.rawText()).not.toContain('BCODE');
  });

  it('re-reads its raw pages into the same identities', async () => {
    const run = await collect(settings);
    const again = await run.reread();
    expect(again.completeness.errors).toEqual([]);
    expect(again.identities).toEqual(run.identities);
  });

  it('is unreconciled without a control total, and incomplete when the rows fall short of it', async () => {
    const bare = await collect({ ...settings, export: { ...settings.export, expectedRows: undefined }, related: [] });
    expect(bare.completeness.verdict).toBe('unreconciled');
    const short = await collect({ ...settings, export: { ...settings.export, expectedRows: 6 }, related: [] });
    expect(short.completeness.verdict).toBe('incomplete');
    expect(short.completeness.scopes[0]!.reconciliations[0]).toMatchObject({ expected: 6, observed: 5, matches: false });
  });
});

describe('file: the netsuite preset over an access-token saved search', () => {
  it('reads tokens with their role, user and US dates; a role that is not web-services-only can sign in to the UI', async () => {
    const { identities, completeness } = await collect({
      preset: 'netsuite',
      system: 'NetSuite 1234567',
      export: { path: 'netsuite-access-tokens.csv', report: 'saved search customsearch_nhi_tokens', ...PROVENANCE, expectedRows: 3 },
    });
    expect(completeness.verdict).toBe('complete');
    expect(identities.map((i) => [i.id, i.kind, i.status])).toEqual([
      ['file:exports:101', 'token', 'active'],
      ['file:exports:102', 'token', 'active'],
      ['file:exports:103', 'token', 'disabled'],
    ]);
    const blackline = byNativeId(identities, '102');
    expect(blackline).toMatchObject({
      name: 'BlackLine - GL extract',
      createdAt: '2023-11-02T16:05:00.000Z',
      owner: { id: 'gl-integration@corvid.example', source: 'column:User', status: 'unknown' },
      classification: { value: 'machine', reason: 'an access token of an integration record' },
      interactiveLogin: { enabled: true, method: "NetSuite UI login with the token's role" },
    });
    expect(blackline.privilege.level).toBe('admin');
    expect(blackline.credentials[0]).toMatchObject({ id: 'BlackLine - GL extract', type: 'token', createdAt: '2023-11-02T16:05:00.000Z' });
    expect(byNativeId(identities, '101')).toMatchObject({ createdAt: '2025-03-14T09:42:00.000Z', interactiveLogin: { enabled: false } });
    expect(byNativeId(identities, '103').createdAt).toBe('2022-01-09T00:00:00.000Z');
  });
});

describe('file: the salesforce presets', () => {
  it('salesforce-users: integration-licensed users are machines; permission sets join; Modify All Data is admin', async () => {
    const { identities } = await collect({
      preset: 'salesforce-users',
      system: 'Salesforce org 00D5g000004AbCd',
      export: { path: 'salesforce-users.csv', report: 'Data Loader: SELECT ... FROM User', ...PROVENANCE },
      related: [{ adds: 'entitlements', path: 'salesforce-permission-set-assignments.csv', report: 'Data Loader: SELECT AssigneeId, PermissionSet.Name FROM PermissionSetAssignment' }],
    });
    const integration = byNativeId(identities, '0055g00000AbCdEAAV');
    expect(integration).toMatchObject({ name: 'integration@corvid.example.prod', classification: { value: 'machine' }, interactiveLogin: { enabled: false } });
    expect(integration.privilege.grants.map((g) => [g.name, g.level])).toEqual([
      ['Minimum Access - API Only Integrations', 'read'],
      ['Opportunity_Modify_All_Data', 'admin'],
      ['Revenue_Read_API', 'unknown'],
    ]);
    expect(integration.privilege.level).toBe('admin');
    expect(byNativeId(identities, '0055g00000AbCdFAAV')).toMatchObject({ classification: { value: 'human' }, privilege: { level: 'admin' } });
    expect(byNativeId(identities, '0055g00000AbCdHAAV')).toMatchObject({ status: 'disabled', lastUsed: 'never' });
  });

  it('salesforce-connected-apps: a JSON query result, scopes as grants, +0000 offsets', async () => {
    const { identities } = await collect({
      preset: 'salesforce-connected-apps',
      system: 'Salesforce org 00D5g000004AbCd',
      export: { path: 'salesforce-connected-apps.json', records: 'records', report: 'REST query of ConnectedApplication with OAuth scopes', ...PROVENANCE, expectedRows: 3 },
    });
    const bot = byNativeId(identities, '0H45g000000AbCeCAK');
    expect(bot).toMatchObject({ kind: 'app', name: 'Revenue Close Bot', createdAt: '2025-01-20T14:00:00.000Z', lastUsed: 'never', owner: { id: 'priya.natarajan@corvid.example' } });
    expect(bot.privilege.grants.map((g) => [g.via, g.name, g.level])).toEqual([
      ['scope', 'Full', 'admin'],
      ['scope', 'OfflineAccess', 'none'],
      ['scope', 'RefreshToken', 'none'],
    ]);
    expect(byNativeId(identities, '0H45g000000AbCdCAK').privilege.level).toBe('write');
    expect(byNativeId(identities, '0H45g000000AbCfCAK')).toMatchObject({ privilege: { level: 'unknown' } });
    expect(byNativeId(identities, '0H45g000000AbCfCAK').owner).toBeUndefined();
  });
});
