import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OP } from '../../../connectors/entra-id/client.js';
import { controls } from '../../../src/controls/index.js';
import type { Identity } from '../../../src/sdk/index.js';
import { byName, collectFrom, DEMO, NOW, SECRET, UNLICENSED, type Run } from './helpers.js';

/** The failing (and passing) findings one control gives an identity. */
function judge(controlId: string, identity: Identity): string[] {
  const control = controls.find((c) => c.meta.id === controlId)!;
  return control.evaluate([identity], { options: control.options.parse({}), now: NOW }).map((f) => f.status);
}

describe('entra-id: the demo tenant through @azure/identity and the Graph client', () => {
  let run: Run;
  beforeAll(async () => {
    run = await collectFrom(DEMO, { pageSize: 4 });
  }, 60_000);
  afterAll(() => run?.remove());

  it('reads every service principal and registration, complete against $count', () => {
    expect(run.completeness.verdict).toBe('complete');
    expect(run.completeness.collector).toBe('application c0e1d000-0000-4001-8000-000000000001');
    const [scope] = run.completeness.scopes;
    expect(scope!.scope).toBe('5c1f0a7e-3b2d-4e8a-9c61-2f4e8d0b7a13');
    expect(scope!.reconciliations.map((r) => `${r.name}: ${r.expected}/${r.observed}`)).toEqual([
      'applications: 7/7',
      'service principals: 12/12',
      'app role assignments: 11/11',
    ]);
    // Microsoft Graph and Exchange Online are the platform: listed and counted, not inventoried.
    expect(run.identities.map((i) => i.name).sort()).toEqual([
      'ArBridge Receivables Sync',
      'Closewise Reconciliation',
      'close-incident-fix',
      'corvid-nhi-audit',
      'erp-journal-poster',
      'gh-reporting-deploy-preview',
      'gh-reporting-deploy-prod',
      'identity-automation',
      'mi-ledger-export',
      'revenue-close-sync',
    ]);
  });

  it('names the two beta endpoints in the manifest, with every query as sent', () => {
    const operations = run.completeness.scopes[0]!.operations;
    const beta = [...new Set(operations.filter((o) => String(o.parameters.path).startsWith('/beta/')).map((o) => o.operation))].sort();
    expect(beta).toEqual([OP.federatedCredentials, OP.credentialActivity, OP.servicePrincipalActivity].sort());
    expect(operations.find((o) => o.operation === OP.applications)?.parameters).toEqual({
      path: '/v1.0/applications',
      $select: 'id,appId,displayName,createdDateTime,signInAudience,passwordCredentials,keyCredentials',
      $top: '4',
      $count: 'true',
    });
    expect(operations.find((o) => o.operation === OP.applications)?.pages).toBe(2);
  });

  it('plants each violation of issue 14 as a failing finding of an existing control', () => {
    const poster = byName(run, 'erp-journal-poster');
    expect(poster.credentials).toMatchObject([{ type: 'client-secret', createdAt: '2025-12-01T11:00:00Z', expiresAt: '2027-12-01T11:00:00Z' }]);
    expect(judge('credential-expiry-set', poster)).toEqual(['fail']);

    const automation = byName(run, 'identity-automation');
    expect(automation.privilege.grants.map((g) => g.name)).toContain('RoleManagement.ReadWrite.Directory');
    expect(judge('no-privilege-escalation', automation)).toEqual(['fail']);

    const preview = byName(run, 'gh-reporting-deploy-preview');
    expect(preview.trust).toEqual([
      { type: 'federated', value: 'https://token.actions.githubusercontent.com', subjects: ['repo:corvid-systems/reporting-service:ref:refs/heads/*'], audiences: ['api://AzureADTokenExchange'], conditioned: true },
    ]);
    expect(judge('ci-trust-restricted', preview)).toEqual(['fail']);

    const vendor = byName(run, 'ArBridge Receivables Sync');
    expect(vendor).toMatchObject({ kind: 'app', vendor: 'ArBridge Inc.', privilege: { level: 'read', reach: 'all' } });
    expect(judge('third-party-app-least-privilege', vendor)).toEqual(['fail']);
  });

  it('gives clean identities passing findings under the same controls', () => {
    expect(judge('ci-trust-restricted', byName(run, 'gh-reporting-deploy-prod'))).toEqual(['pass']);
    expect(judge('third-party-app-least-privilege', byName(run, 'Closewise Reconciliation'))).toEqual(['pass']);
    const sync = byName(run, 'revenue-close-sync');
    for (const control of ['credential-expiry-set', 'credential-rotated', 'credential-unused', 'no-privilege-escalation', 'no-admin-privilege', 'single-active-key']) {
      expect(judge(control, sync), control).toEqual(['pass']);
    }
  });

  it('judges directory roles: Global Administrator is admin, readers read', () => {
    const fix = byName(run, 'close-incident-fix');
    expect(fix.privilege).toMatchObject({ level: 'admin', flags: ['admin'], reach: 'all' });
    expect(judge('no-admin-privilege', fix)).toEqual(['fail']);
    expect(byName(run, 'corvid-nhi-audit').privilege).toMatchObject({ level: 'read', flags: [], reach: 'all' });
  });

  it('takes owners from the registration and the principal, last sign-in and credential use from the reports', () => {
    expect(byName(run, 'erp-journal-poster').owner).toEqual({ id: 'marcus.oyelaran@corvid.example', source: 'entra:owners', status: 'unknown' });
    expect(byName(run, 'ArBridge Receivables Sync').owner?.id).toBe('sam.keller@corvid.example');
    expect(byName(run, 'mi-ledger-export')).toMatchObject({ id: 'entra-id:5c1f0a7e-3b2d-4e8a-9c61-2f4e8d0b7a13:managed-identity/c0e1d000-0000-4008-8000-000000000008', lastUsed: { at: '2026-11-19T05:00:00Z' } });
    // The managed identity's certificate is Azure's, and the credential report has no row for it: no data.
    expect(byName(run, 'mi-ledger-export').credentials[0]?.lastUsed).toBe('unknown');
    // The first half's secret expired on 2026-10-03, three days before the second half's was issued.
    expect(byName(run, 'revenue-close-sync').credentials.map((c) => [c.status, c.lastUsed])).toEqual([
      ['inactive', { at: '2026-09-29T02:10:00Z' }],
      ['active', { at: '2026-11-18T02:10:00Z' }],
    ]);
  });

  it('keeps no client secret, nor the first characters Graph shows of one, in any raw page', async () => {
    const files = await run.rawFiles();
    // JSON Lines: a page a line, over twenty pages in all.
    expect([...files.values()].reduce((pages, text) => pages + text.trimEnd().split('\n').length, 0)).toBeGreaterThan(20);
    for (const [file, text] of files) {
      expect(text, file).not.toContain(SECRET);
      expect(text, file).not.toMatch(/"hint"|"secretText"/);
    }
  });
});

describe('entra-id: a tenant without Entra ID P1/P2, read in small pages', () => {
  let run: Run;
  beforeAll(async () => {
    run = await collectFrom(UNLICENSED, { pageSize: 2 });
  }, 60_000);
  afterAll(() => run?.remove());

  it('stays complete with last use unknown, the refusal recorded as recovered with the reason', () => {
    expect(run.completeness.verdict).toBe('complete');
    const errors = run.completeness.scopes[0]!.errors;
    expect(errors.map((e) => [e.operation, e.code]).sort()).toEqual([
      [OP.servicePrincipalActivity, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant'],
      [OP.credentialActivity, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant'],
    ].sort());
    expect(errors[0]!.hint).toMatch(/last use stays unknown: .*AuditLog\.Read\.All \(and an Entra ID P1 or P2 licence\)/);
    expect(run.identities.every((i) => i.lastUsed === 'unknown' && i.credentials.every((c) => c.lastUsed === 'unknown'))).toBe(true);
  });

  it('inventories a registration without a principal, and no Microsoft principal that holds nothing', () => {
    expect(run.identities.map((i) => i.name).sort()).toEqual(['billing-api', 'legacy-ldap-sync', 'Microsoft Graph Command Line Tools', 'owner-bot', 'partner-portal'].sort());
    const partner = byName(run, 'partner-portal');
    expect(partner).toMatchObject({ kind: 'service-account', privilege: { level: 'none', grants: [] }, tags: { 'entra.signInAudience': 'AzureADMultipleOrgs' } });
    expect(partner.trust?.[0]).toMatchObject({ value: 'https://gitlab.com', subjects: ['project_path:fabrikam/partner-portal:ref_type:branch:ref:main'] });
    expect(judge('ci-trust-restricted', partner)).toEqual(['pass']);
    expect(judge('credential-expiry-set', partner)).toEqual(['fail']);
  });

  it('reads credentials: an expired secret is inactive, a SAML signing key is not a sign-in credential', () => {
    const billing = byName(run, 'billing-api');
    expect(billing.createdAt).toBe('2025-03-01T10:00:00.123Z');
    expect(billing.credentials.map((c) => [c.id.slice(-1), c.type, c.status])).toEqual([
      ['1', 'client-secret', 'inactive'],
      ['2', 'client-secret', 'active'],
      ['3', 'certificate', 'active'],
    ]);
    expect(billing.credentials[2]?.fingerprint).toBe('A1B2C3');
    expect(billing.owner).toEqual({ id: 'ada.osei@fabrikam.example', source: 'entra:owners', status: 'unknown' });
  });

  it('judges escalation through roles and permissions, and scopes a role to an administrative unit', () => {
    const legacy = byName(run, 'legacy-ldap-sync');
    expect(legacy).toMatchObject({ status: 'disabled', classification: { value: 'machine' }, privilege: { level: 'write', flags: ['credential-creation', 'privilege-escalation'], reach: 'all' } });
    const bot = byName(run, 'owner-bot');
    expect(bot.privilege.grants.map((g) => `${g.name} (${g.ref})`)).toEqual([
      'Cloud Application Administrator (directory role at /administrativeUnits/5d2e0a51-0000-4000-8000-000000000001)',
      'Application.ReadWrite.All (Microsoft Graph application permission)',
      'Invoices.Write (billing-api application permission)',
    ]);
    expect(bot.privilege).toMatchObject({ level: 'write', flags: ['credential-creation', 'privilege-escalation'], reach: 'all' });
  });

  it("treats a Microsoft app the tenant consented for every user as a vendor's, judged by its delegated permissions", () => {
    const cli = byName(run, 'Microsoft Graph Command Line Tools');
    expect(cli).toMatchObject({ kind: 'app', vendor: 'Microsoft', privilege: { level: 'write', flags: [], reach: 'all' } });
    expect(cli.privilege.grants.map((g) => [g.name, g.level])).toEqual([
      ['Directory.ReadWrite.All', 'write'],
      ['openid', 'none'],
    ]);
  });
});

describe('entra-id: signing in', () => {
  it('fails the source with Entra\'s reason, never the secret, when the secret is wrong', async () => {
    const run = await collectFrom(UNLICENSED, {}, { secret: 'Q~wrong-secret-0000' });
    await run.remove();
    expect(run.completeness.verdict).toBe('incomplete');
    const text = JSON.stringify(run.completeness);
    expect(text).toContain('AADSTS7000215');
    expect(text).not.toContain('Q~wrong-secret-0000');
    expect(run.sandbox.calls.filter((c) => c.path.startsWith('/v1.0/'))).toEqual([]);
  });

  it('is retried when the token endpoint throttles once', async () => {
    const run = await collectFrom(UNLICENSED, {}, { faults: [{ connector: 'entra-id', operation: 'token', kind: 'throttle', times: 1 }] });
    await run.remove();
    expect(run.completeness.verdict).toBe('complete');
    expect(run.sandbox.calls.filter((c) => c.operation === 'token').map((c) => c.status)).toEqual([429, 200]);
  });
});

describe('entra-id: the demo tenant as it stood at the end of the previous quarter', () => {
  it('has neither the incident app of 2026-10-15 nor the secrets issued since 2026-09-30', async () => {
    const run = await collectFrom(DEMO, {}, { now: new Date('2026-09-30T00:00:00Z') });
    await run.remove();
    expect(run.completeness.verdict).toBe('complete');
    expect(run.identities.map((i) => i.name)).not.toContain('close-incident-fix');
    expect(byName(run, 'revenue-close-sync').credentials.map((c) => [c.status, c.expiresAt, c.lastUsed])).toEqual([
      ['active', '2026-10-03T09:30:00Z', { at: '2026-09-29T02:10:00Z' }],
    ]);
    expect(byName(run, 'identity-automation').privilege.grants.map((g) => g.name)).toEqual(['User.Read.All']);
  });
});
