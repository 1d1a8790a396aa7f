import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import connector from '../../../connectors/gcp-iam/index.js';
import { startDemo } from '../../../connectors/gcp-iam/sandbox/index.js';
import { controls } from '../../../src/controls/index.js';
import { collectSource, type SourceResult } from '../../../src/engine/collect.js';
import { evaluate } from '../../../src/engine/evaluate.js';
import { silentLogger, type Finding, type Identity } from '../../../src/sdk/index.js';
import { byId, DEMO } from './helpers.js';

const ORG = 'organizations/418303000001';
const F = 'corvid-finance-prod';
const N = 'corvid-analytics';
const id = (project: string, account: string) =>
  `gcp-iam:${project}:${account.includes('@') ? account : `${account}@${project}.iam.gserviceaccount.com`}`;

/** The demo as `nhi-audit demo` runs it: startDemo's overrides merged into the demo source. */
async function demoRun(asOf: string): Promise<SourceResult> {
  const now = new Date(asOf);
  const demo = await startDemo(DEMO, { now });
  const rawDir = await mkdtemp(path.join(os.tmpdir(), 'nhi-gcp-demo-'));
  try {
    return await collectSource(
      connector,
      { name: 'gcp', connector: 'gcp-iam', organization: ORG, assetInventory: { scope: ORG }, ...demo.sourceOverrides },
      { now, log: silentLogger, env: demo.env, baseDir: DEMO, rawDir },
    );
  } finally {
    await demo.close();
    await rm(rawDir, { recursive: true, force: true });
  }
}

/** Every registered control, unchanged, with its default options. */
function findings(identities: Identity[], asOf: string): Finding[] {
  const active = controls.map((control) => ({ control, severity: control.meta.severity, options: control.options.parse({}) }));
  return evaluate(identities, active, { now: new Date(asOf), waivers: [], includeHumans: false }).findings;
}

function outcome(all: Finding[], control: string, identity: string): string[] {
  return all.filter((f) => f.controlId === control && f.identityId === identity).map((f) => f.status);
}

const DAY = 86_400_000;
const ageDays = (instant: string | null, asOf: string) => (Date.parse(asOf) - Date.parse(instant!)) / DAY;

describe('Corvid Systems on 2026-11-20', () => {
  const asOf = '2026-11-20T00:00:00Z';
  let identities: Identity[];
  let result: SourceResult;
  beforeAll(async () => {
    result = await demoRun(asOf);
    identities = result.identities;
  });

  it('collects both projects completely', () => {
    expect(result.completeness.verdict).toBe('complete');
    expect(identities.filter((i) => i.scope === F)).toHaveLength(6);
    expect(identities.filter((i) => i.scope === N)).toHaveLength(5);
  });

  it('holds the clean account: a recent key with an expiry, used yesterday', () => {
    const gl = byId(identities, id(F, 'gl-posting'));
    expect(gl.credentials).toHaveLength(1);
    expect(ageDays(gl.credentials[0]!.createdAt, asOf)).toBeLessThan(90);
    expect(gl.credentials[0]!.expiresAt).not.toBeNull();
    expect(gl.lastUsed).toEqual({ at: '2026-11-18T08:00:00.000Z' });
    expect(gl.privilege.level).toBe('write');
    expect(gl.owner).toEqual({ id: 'marcus.oyelaran@corvid.example', source: 'description', status: 'unknown' });
  });

  it('plants an account with roles/owner', () => {
    const close = byId(identities, id(F, 'close-automation'));
    expect(close.privilege.grants.map((g) => g.name)).toEqual(['roles/owner']);
    expect(close.privilege).toMatchObject({ level: 'admin', flags: expect.arrayContaining(['admin', 'iam-write']) });
  });

  it('plants an old user-managed key (over 90 days)', () => {
    const feed = byId(identities, id(F, 'ar-vendor-feed'));
    expect(ageDays(feed.credentials[0]!.createdAt, asOf)).toBeGreaterThan(90);
  });

  it('plants a key never used and a key with no expiry', () => {
    expect(byId(identities, id(N, 'dbt-runner')).credentials[0]!.lastUsed).toBe('never');
    expect(byId(identities, id(N, 'looker-export')).credentials[0]!.expiresAt).toBeNull();
  });

  it('flags the default compute account holding roles/editor, and the App Engine default', () => {
    const compute = byId(identities, id(F, '804113500201-compute@developer.gserviceaccount.com'));
    expect(compute.tags['gcp:default-service-account']).toBe('compute');
    expect(compute.privilege.grants.map((g) => g.name)).toEqual(['roles/editor']);
    expect(byId(identities, id(N, 'corvid-analytics@appspot.gserviceaccount.com')).tags['gcp:default-service-account']).toBe('appengine');
  });

  it('holds a disabled account and an escalation through serviceAccountTokenCreator', () => {
    expect(byId(identities, id(F, 'legacy-recon')).status).toBe('disabled');
    expect(byId(identities, id(N, 'pipeline-orchestrator')).privilege.flags).toEqual(['impersonation', 'privilege-escalation']);
  });

  it('finds an administrator through a binding on the Analytics folder, and an escalation through a custom role', () => {
    const all = findings(identities, asOf);
    const dbt = byId(identities, id(N, 'dbt-runner'));
    expect(dbt.privilege.grants.find((g) => g.name === 'roles/bigquery.admin')).toMatchObject({ ref: 'folders/551200980003', level: 'admin' });
    const admin = all.find((f) => f.controlId === 'no-admin-privilege' && f.identityId === dbt.id)!;
    expect(admin).toMatchObject({ status: 'fail', message: 'Administrator privilege through roles/bigquery.admin (folders/551200980003)' });

    const vendor = byId(identities, id(F, 'ar-vendor-feed'));
    expect(vendor.privilege.grants.find((g) => g.name === 'projects/corvid-finance-prod/roles/ledgerlineFeed')).toMatchObject({
      ref: `projects/${F}`,
      level: 'write',
      flags: ['credential-creation', 'privilege-escalation'],
    });
    expect(outcome(all, 'no-privilege-escalation', vendor.id)).toEqual(['fail']);

    // The organization's read-only custom role, bound on the Finance folder, keeps the clean account clean.
    const gl = byId(identities, id(F, 'gl-posting'));
    expect(gl.privilege.grants.find((g) => g.name === 'organizations/418303000001/roles/ledgerReader')).toMatchObject({ ref: 'folders/551200980001', level: 'read', flags: [] });
    expect(outcome(all, 'no-privilege-escalation', gl.id)).toEqual(['pass']);
  });

  it('holds the revenue export account after its key rotation', () => {
    expect(outcome(findings(identities, asOf), 'credential-rotated', id(F, 'revenue-export'))).toEqual(['pass']);
    const revenue = byId(identities, id(F, 'revenue-export'));
    expect(revenue.credentials).toHaveLength(1);
    expect(revenue.credentials[0]).toMatchObject({ createdAt: '2026-10-14T16:30:00.000Z', expiresAt: '2027-01-12T16:30:00.000Z' });
    expect(revenue.owner?.id).toBe('priya.natarajan@corvid.example');
  });

  it('drives the existing controls: each planted violation fails, the clean account passes', () => {
    const all = findings(identities, asOf);
    expect(outcome(all, 'no-admin-privilege', id(F, 'close-automation'))).toEqual(['fail']);
    expect(outcome(all, 'no-admin-privilege', id(F, '804113500201-compute@developer.gserviceaccount.com'))).toEqual(['fail']);
    expect(outcome(all, 'credential-rotated', id(F, 'ar-vendor-feed'))).toEqual(['fail']);
    expect(outcome(all, 'credential-unused', id(N, 'dbt-runner'))).toEqual(['fail']);
    expect(outcome(all, 'owner-assigned', id(N, 'pipeline-orchestrator'))).toEqual(['fail']);
    for (const control of ['no-admin-privilege', 'credential-rotated', 'credential-unused', 'owner-assigned']) {
      expect(outcome(all, control, id(F, 'gl-posting'))).toEqual(['pass']);
    }
    // A disabled key is not an active credential.
    expect(outcome(all, 'credential-rotated', id(F, 'legacy-recon'))).toEqual(['not-applicable']);
  });

  it('names in its README only identities the demo produces', async () => {
    const readme = await readFile(path.join(DEMO, 'README.md'), 'utf8');
    const named = [...readme.matchAll(/`(gcp-iam:[^`]+)`/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThanOrEqual(11);
    for (const name of named) expect(identities.map((i) => i.id)).toContain(name);
  });
});

describe('Corvid Systems on 2026-09-30, the previous quarter', () => {
  let identities: Identity[];
  beforeAll(async () => {
    identities = (await demoRun('2026-09-30T00:00:00Z')).identities;
  });

  it('has not yet added the forecast sandbox account', () => {
    expect(identities).toHaveLength(10);
    expect(identities.map((i) => i.id)).not.toContain(id(N, 'forecast-sandbox'));
  });

  it('still has the revenue export key that was rotated in October, with no expiry', () => {
    const revenue = byId(identities, id(F, 'revenue-export'));
    expect(revenue.credentials).toEqual([
      expect.objectContaining({ createdAt: '2026-05-12T16:04:11.000Z', expiresAt: null }),
    ]);
  });

  it('fails the revenue export key for rotation then, as the rotation in October fixed it', () => {
    expect(outcome(findings(identities, '2026-09-30T00:00:00Z'), 'credential-rotated', id(F, 'revenue-export'))).toEqual(['fail']);
  });

  it('already shows the dbt key as never used', () => {
    expect(byId(identities, id(N, 'dbt-runner')).credentials[0]!.lastUsed).toBe('never');
  });

  it('has no token-creator grant and no looker key yet', () => {
    expect(byId(identities, id(N, 'pipeline-orchestrator')).privilege.flags).toEqual([]);
    expect(byId(identities, id(N, 'looker-export')).credentials).toEqual([]);
  });
});
