import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { controls } from '../../src/controls/index.js';
import { listPackFiles } from '../../src/evidence/seal.js';
import { digestPackage } from '../../src/plugins/load.js';
import { pdfText } from '../helpers/pdf-text.js';
import { cli, packsIn, ROOT, tempDir, type CliResult } from './cli.js';

describe('nhi-audit demo', () => {
  let cwd: string;
  let demo: CliResult;
  let pack: string;
  let previous: string;

  beforeAll(async () => {
    cwd = await tempDir('demo');
    demo = await cli(['demo'], { cwd });
    const packs = await packsIn(path.join(cwd, 'evidence-demo'));
    previous = packs.find((p) => p.includes('2026-Q3'))!;
    pack = packs.find((p) => p.includes('2026-Q4'))!;
  });

  it('writes the previous quarter\'s pack with its closed campaign, then the current cycle\'s, and says where they are', () => {
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(previous).toMatch(/evidence-demo\/2026-Q3\/\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(demo.stdout).toContain(`Previous quarter: 2026-Q3 pack ${path.relative(cwd, previous)}`);
    expect(demo.stdout).toMatch(/closed campaign recert_2026-Q3_sox_opened-2026-10-01_[0-9a-f]{12} on 2026-10-09: keep 37, revoke 3, modify 1/);
    expect(pack).toMatch(/evidence-demo\/2026-Q4\/\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(demo.stdout).toContain(`Evidence pack: ${path.relative(cwd, pack!)}`);
    expect(demo.stdout).toMatch(/credential-rotated\s+high/);
  });

  it('holds the files of a pack, the raw pages of every account, and a complete collection', async () => {
    const files = await listPackFiles(pack);
    for (const name of ['manifest.json', 'assessment-results.json', 'inventory.json', 'inventory.csv', 'findings.json', 'findings.csv', 'exceptions.csv', 'controls.json', 'config.json', 'summary.md', 'SHA256SUMS', 'SHA256SUMS.sig', 'attestation.dsse.json']) {
      expect(files).toContain(name);
    }
    for (const account of ['111111111111', '222222222222', '333333333333']) {
      expect(files).toContain(`raw/aws/${account}/GetAccountAuthorizationDetails.jsonl`);
    }
    const manifest = JSON.parse(await readFile(path.join(pack, 'manifest.json'), 'utf8'));
    // Every scope reconciled a count, the organization-level ones too (AWS Organizations must list the collector's
    // own account; the GCP organization's projects are counted by Cloud Asset Inventory).
    expect(manifest.verdict).toBe('complete');
    expect(manifest.sources.flatMap((s: { scopes: { verdict: string }[] }) => s.scopes.map((scope) => scope.verdict))).not.toContain('unreconciled');
    expect(manifest.incompleteSources).toEqual([]);
    expect(manifest.asOf).toBe('2026-11-20T00:00:00.000Z');
    expect(manifest.cycle).toEqual({ id: '2026-Q4', start: '2026-10-01', end: '2026-12-31' });
    const scopes = manifest.sources.flatMap((s: { scopes: { reconciliations: { matches: boolean }[] }[] }) => s.scopes);
    expect(scopes.every((s: { reconciliations: { matches: boolean }[] }) => s.reconciliations.every((r) => r.matches))).toBe(true);
  });

  it('reads the ERP export and the Snowflake connector package, both complete, the package recorded with its version and digest', async () => {
    const manifest = JSON.parse(await readFile(path.join(pack, 'manifest.json'), 'utf8'));
    const verdicts = Object.fromEntries(manifest.sources.map((s: { source: string; verdict: string }) => [s.source, s.verdict]));
    expect(verdicts).toMatchObject({ sap: 'complete', snowflake: 'complete' });
    const { digest, files } = await digestPackage(path.join(ROOT, 'examples/connector-snowflake'));
    expect(manifest.plugins).toEqual([{ id: 'snowflake', spec: '../../examples/connector-snowflake', name: 'nhi-audit-connector-snowflake', version: '1.0.0', sdkVersion: 1, digest, files }]);
    const sap = manifest.sources.find((s: { source: string }) => s.source === 'sap');
    expect(sap.scopes[0].operations.filter((o: { operation: string }) => o.operation === 'ReadExport').map((o: { parameters: { file: string; rows: number } }) => [o.parameters.file, o.parameters.rows])).toEqual([
      ['sap-prd/usr02.csv', 8],
      ['sap-prd/agr_users.csv', 10],
      ['sap-prd/ust04.csv', 2],
      ['sap-prd/tbtcp.csv', 4],
    ]);
    // Three partitions of the Snowflake listing, a JSON line each in the operation's one file.
    const showUsers = await readFile(path.join(pack, 'raw/snowflake/CORVIDSYS-FINANCE/ShowUsers.jsonl'), 'utf8');
    expect(showUsers.trimEnd().split('\n').map((line) => JSON.parse(line).page)).toEqual([1, 2, 3]);
  });

  it("fails the ERP's journal poster owned by a leaver and the dialog user a payment job runs as, with the existing controls", async () => {
    const { findings } = JSON.parse(await readFile(path.join(pack, 'findings.json'), 'utf8')) as { findings: { controlId: string; identityId: string; status: string; message: string }[] };
    const finding = (control: string, identity: string) => findings.find((f) => f.controlId === control && f.identityId === identity);
    expect(finding('owner-active', 'file:PRD-100:SVC_GL_POST')).toMatchObject({ status: 'fail', message: 'Owner marcus.oyelaran@corvid.example left the organization on 2026-09-30: the identity is orphaned' });
    expect(finding('no-human-use', 'file:PRD-100:TKOWALSKI')).toMatchObject({ status: 'fail', message: expect.stringContaining('SAP GUI dialog logon enabled') });
    expect(finding('no-human-use', 'file:PRD-100:TKOWALSKI')!.message).toContain('programs run as it: batch job ZFI_AP_PAYMENT_RUN_DAILY');
    expect(finding('no-admin-privilege', 'file:PRD-100:WF-BATCH')?.status).toBe('fail');
    expect(finding('no-admin-privilege', 'snowflake:CORVIDSYS-FINANCE:SVC_REVENUE_CLOSE')?.status).toBe('fail');
    expect(finding('no-privilege-escalation', 'snowflake:CORVIDSYS-FINANCE:SVC_SCIM_PROVISIONER')?.status).toBe('fail');
    expect(finding('single-active-key', 'snowflake:CORVIDSYS-FINANCE:SVC_DBT_PROD')?.status).toBe('fail');
    expect(finding('no-human-use', 'snowflake:CORVIDSYS-FINANCE:SVC_LOOKER')?.status).toBe('fail');
    expect(finding('privileged-access-approved', 'snowflake:CORVIDSYS-FINANCE:SVC_TERRAFORM')?.status).toBe('pass');
  });

  it("reads the GitLab group and instance completely and fails each planted GitLab violation with an existing control", async () => {
    const manifest = JSON.parse(await readFile(path.join(pack, 'manifest.json'), 'utf8'));
    const gitlab = manifest.sources.find((s: { source: string }) => s.source === 'gitlab');
    expect(gitlab).toMatchObject({ verdict: 'complete', identities: 23 });
    const { findings } = JSON.parse(await readFile(path.join(pack, 'findings.json'), 'utf8')) as { findings: { controlId: string; identityId: string; status: string; message: string }[] };
    const status = (control: string, nativePath: string) => findings.find((f) => f.controlId === control && f.identityId === `gitlab:corvid-finance:${nativePath}`)?.status;
    // A project access token with the api scope and no expiry.
    expect(status('credential-expiry-set', 'project-access-token/corvid-finance/close/quarter-close-jobs/9111')).toBe('fail');
    // A deploy token nobody uses: GitLab records no use of deploy tokens, so it fails on its missing expiry and owner.
    expect(status('credential-expiry-set', 'deploy-token/corvid-finance/reporting/revenue-dashboards/9302')).toBe('fail');
    expect(status('owner-assigned', 'deploy-token/corvid-finance/reporting/revenue-dashboards/9302')).toBe('fail');
    expect(status('credential-unused', 'deploy-token/corvid-finance/reporting/revenue-dashboards/9302')).toBe('not-applicable');
    expect(status('credential-unused', 'group-access-token/corvid-finance/9102')).toBe('fail');
    // A masked CI variable named like an AWS secret key, owned by nobody.
    expect(status('owner-assigned', 'ci-variable/corvid-finance/close/quarter-close-jobs/AWS_SECRET_ACCESS_KEY')).toBe('fail');
    expect(status('owner-assigned', 'ci-variable/corvid-finance/close/quarter-close-jobs/SALESFORCE_CLIENT_SECRET@production')).toBe('pass');
    expect(status('deploy-key-read-only', 'deploy-key/corvid-finance/close/erp-journal-poster/9701')).toBe('fail');
    expect(status('approval-recorded', 'group-access-token/corvid-finance/9101')).toBe('pass');
  });

  it('fails unused privilege from Access Analyzer and the Recommender, and says which scopes had usage data', async () => {
    const { findings } = JSON.parse(await readFile(path.join(pack, 'findings.json'), 'utf8')) as { findings: { controlId: string; identityId: string; status: string; message: string }[] };
    const unused = (identityId: string) => findings.find((f) => f.controlId === 'unused-privilege' && f.identityId === identityId);
    expect(unused('aws-iam:222222222222:role/vendor-closewise-reconciliation')).toMatchObject({
      status: 'fail',
      message: 'Granted but not used within 90 days, per IAM Access Analyzer: s3:DeleteBucket (action), s3:DeleteObject (action), s3:PutBucketPolicy (action), s3:PutObject (action), dynamodb (service)',
    });
    expect(unused('aws-iam:222222222222:role/erp-batch-lambda')?.status).toBe('pass');
    expect(unused('aws-iam:333333333333:role/warehouse-maintenance')).toMatchObject({ status: 'fail', message: 'Granted but not used within 90 days, per IAM service last accessed data: iam (service)' });
    expect(unused('aws-iam:333333333333:role/redshift-etl')?.status).toBe('pass');
    expect(unused('gcp-iam:corvid-analytics:corvid-analytics@appspot.gserviceaccount.com')).toMatchObject({ status: 'fail', message: expect.stringContaining('per IAM Recommender: roles/editor (role)') });
    expect(unused('gcp-iam:corvid-analytics:forecast-sandbox@corvid-analytics.iam.gserviceaccount.com')).toMatchObject({ status: 'not-applicable', message: 'No usage data' });
    const manifest = JSON.parse(await readFile(path.join(pack, 'manifest.json'), 'utf8'));
    const usage = Object.fromEntries(
      manifest.sources.flatMap((s: { scopes: { scope: string; usage?: { source: string; available: boolean } }[] }) =>
        s.scopes.filter((scope) => scope.usage).map((scope) => [scope.scope, `${scope.usage!.source} ${scope.usage!.available}`]),
      ),
    );
    expect(usage).toEqual({
      '111111111111': 'service-last-accessed true',
      '222222222222': 'access-analyzer true',
      '333333333333': 'service-last-accessed true',
      'corvid-finance-prod': 'iam-recommender true',
      'corvid-analytics': 'iam-recommender true',
    });
  });

  it('puts identities in the ERP, revenue warehouse and close jobs with why, and fails the one segregation-of-duties conflict', async () => {
    const { identities } = JSON.parse(await readFile(path.join(pack, 'inventory.json'), 'utf8')) as { identities: { id: string; systems?: { name: string; sox: boolean; reasons: string[] }[] }[] };
    const systemsOf = (id: string) => identities.find((i) => i.id === id)?.systems;
    expect(systemsOf('aws-iam:222222222222:user/svc-erp-journal-poster')).toEqual([
      { name: 'ERP', sox: true, reasons: ['identity aws-iam:222222222222:user/svc-erp-journal-poster', 'grant erp-journal-posting (arn:aws:iam::222222222222:policy/erp-journal-posting)'] },
    ]);
    expect(systemsOf('github:corvid-systems:actions-secret/repo/revenue-close-jobs/SALESFORCE_API_TOKEN')).toEqual([{ name: 'Close jobs', sox: true, reasons: ['tag system=revenue-close'] }]);
    expect(systemsOf('snowflake:CORVIDSYS-FINANCE:SVC_REVENUE_CLOSE')).toEqual([{ name: 'Revenue warehouse', sox: true, reasons: ['organization CORVIDSYS-FINANCE'] }]);
    expect(systemsOf('aws-iam:333333333333:role/github-actions-reporting-deploy')).toEqual([
      { name: 'Reporting dashboards', sox: false, reasons: ['trusted repo:corvid-systems/reporting-service:ref:refs/heads/main'] },
    ]);
    const { findings } = JSON.parse(await readFile(path.join(pack, 'findings.json'), 'utf8')) as { findings: { controlId: string; identityId: string; status: string; message: string }[] };
    const failing = findings.filter((f) => f.controlId === 'sod-conflict' && f.status === 'fail');
    expect(failing.map((f) => f.identityId)).toEqual(['file:PRD-100:TKOWALSKI']);
    expect(failing[0]!.message).toContain('"enter vendor invoices" through Z_FI_AP_CLERK (sap-prd/agr_users.csv, line 5) and "run vendor payments" through Z_FI_AP_PAYMENT_RUN (sap-prd/agr_users.csv, line 6)');
    const summary = await readFile(path.join(pack, 'summary.md'), 'utf8');
    expect(summary).toContain('### Results by system');
    expect(summary).toContain('#### ERP (SOX key system)');
  });

  it('exercises every control with a pass and a fail, and one waiver', async () => {
    const { findings } = JSON.parse(await readFile(path.join(pack, 'findings.json'), 'utf8')) as { findings: { controlId: string; status: string }[] };
    const byControl = new Map<string, Set<string>>();
    for (const f of findings) byControl.set(f.controlId, (byControl.get(f.controlId) ?? new Set()).add(f.status));
    expect([...byControl.keys()]).toEqual(controls.map((c) => c.meta.id));
    for (const [control, statuses] of byControl) {
      expect(statuses.has('pass'), `${control} passes somewhere`).toBe(true);
      expect(statuses.has('fail'), `${control} fails somewhere`).toBe(true);
    }
    expect(findings.some((f) => f.status === 'excepted')).toBe(true);
  });

  it('records each control in force with its framework mappings', async () => {
    const catalog = JSON.parse(await readFile(path.join(pack, 'controls.json'), 'utf8')) as { controls: { id: string; mappings: { framework: string; ids: string[] }[] }[] };
    for (const control of catalog.controls) {
      expect(control.mappings.map((m) => m.framework), control.id).toContain('SOX ITGC');
    }
    expect(catalog.controls.find((c) => c.id === 'credential-rotated')!.mappings).toContainEqual({ framework: 'CIS AWS Foundations', version: '3.0', ids: ['1.14'] });
  });

  it("shows what became of the previous quarter's revoke decisions, and the identity that reached a SOX system after the review", async () => {
    type Finding = { controlId: string; identityId: string; status: string; message: string };
    const findingsOf = async (dir: string) => (JSON.parse(await readFile(path.join(dir, 'findings.json'), 'utf8')) as { findings: Finding[] }).findings;
    const idsOf = async (dir: string) => (JSON.parse(await readFile(path.join(dir, 'inventory.json'), 'utf8')) as { identities: { id: string }[] }).identities.map((i) => i.id);
    const current = await findingsOf(pack);
    const of = (control: string, id: string) => current.find((f) => f.controlId === control && f.identityId === id);
    // Not executed: still active three weeks past the grace period.
    expect(of('revocation-executed', 'aws-iam:333333333333:user/svc-airflow')).toMatchObject({ status: 'fail', message: expect.stringMatching(/on 2026-10-02 .*still active after 2026-10-16/) });
    // Executed: disabled, and deleted (gone from the population; no finding, its absence is the evidence).
    expect(of('revocation-executed', 'snowflake:CORVIDSYS-FINANCE:SVC_TABLEAU_OLD')).toMatchObject({ status: 'pass', message: expect.stringContaining('disabled') });
    const qlik = 'aws-iam:333333333333:user/svc-qlik-extract';
    expect(await idsOf(previous)).toContain(qlik);
    expect(await idsOf(pack)).not.toContain(qlik);
    expect(current.filter((f) => f.identityId === qlik)).toEqual([]);
    // The Snowflake storage role gained a warehouse policy after the campaign opened: nobody reviewed that access.
    expect(of('recertification-completed', 'aws-iam:333333333333:role/snowflake-s3-integration')).toMatchObject({ status: 'fail', message: expect.stringContaining('though it existed when the campaign opened 2026-10-01') });
    expect((await findingsOf(previous)).find((f) => f.controlId === 'recertification-completed')?.status).toBe('not-applicable');

    const report = (await pdfText(await readFile(path.join(pack, 'report.pdf')))).replace(/\s+/g, ' ');
    const section = report.slice(report.indexOf('5. Recertification'), report.indexOf('6. Changes since the previous cycle'));
    expect(section).toContain('In this pack, 40 identities were decided in it, and 1 that existed when it opened was not');
    expect(section).toMatch(/svc-airflow .* still active past its grace period/);
    expect(section).toMatch(/svc-qlik-extract .* gone from the population/);
    expect(section).toMatch(/SVC_TABLEAU_OLD .* disabled/);
    const diff = await cli(['diff', previous, pack, '--public-key', 'evidence-demo/nhi-audit.pub'], { cwd });
    expect(diff.stdout).toContain(qlik);
  });

  it('verifies with nhi-audit, sha256sum and openssl', async () => {
    const verified = await cli(['verify', pack, '--public-key', 'evidence-demo/nhi-audit.pub'], { cwd });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^OK: /);
    execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: pack });
    const openssl = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', path.join(cwd, 'evidence-demo/nhi-audit.pub'), '-rawin', '-in', 'SHA256SUMS', '-sigfile', 'SHA256SUMS.sig'], { cwd: pack });
    expect(openssl.toString()).toMatch(/Signature Verified Successfully/);
  });

  it('fails verification, exit 1, after one byte of a file changes, and passes again once restored', async () => {
    for (const name of ['inventory.csv', 'manifest.json', 'raw/aws/222222222222/GetCredentialReport.jsonl']) {
      const file = path.join(pack, name);
      const original = await readFile(file);
      const tampered = Buffer.from(original);
      const middle = Math.floor(tampered.length / 2);
      tampered[middle] = tampered[middle]! ^ 0x20;
      await writeFile(file, tampered);
      const result = await cli(['verify', pack, '--public-key', 'evidence-demo/nhi-audit.pub'], { cwd });
      expect(result.code, name).toBe(1);
      expect(result.stdout).toContain(`${name}: sha256 does not match SHA256SUMS`);
      await writeFile(file, original);
    }
    expect((await cli(['verify', pack, '--public-key', 'evidence-demo/nhi-audit.pub'], { cwd })).code).toBe(0);
  });

  it('reuses its throwaway key, so a second demo run verifies with the same public key', async () => {
    const second = await cli(['demo', '--as-of', '2026-09-30', '--backfill'], { cwd });
    expect(second.code).toBe(0);
    const packs = await packsIn(path.join(cwd, 'evidence-demo'));
    const q3 = packs.find((p) => p.includes('/2026-Q3/'))!;
    expect((await cli(['verify', q3, '--public-key', 'evidence-demo/nhi-audit.pub'], { cwd })).code).toBe(0);
  });
});
