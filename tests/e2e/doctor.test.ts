import { spawn, type ChildProcess } from 'node:child_process';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CLI, cli, packsIn, ROOT, tempDir, type CliResult } from './cli.js';
import { PERMISSIONS as GCP_PERMISSIONS } from '../../connectors/gcp-iam/doctor.js';

/** The sources doctor checks through the API here; the demo's others read files or come from a package. */
const SOURCES = ['aws', 'entra', 'gcp', 'github', 'gitlab'];

interface Check {
  scope: string;
  permission: string;
  operation: string;
  status: string;
  detail?: string;
}
interface Diagnosis {
  source: string;
  connector: string;
  status: string;
  principals: { scope: string; identity: string }[];
  checks: Check[];
  grant: { description: string; fileSuffix: string; content: string };
  file?: string;
}

/**
 * A copy of the demo organization with only SOURCES, changed by `change` (a sandbox that refuses a permission), served
 * by `nhi-audit sandbox` from its own working folder: the config it writes, and the sandboxes' fake credentials.
 */
async function serve(change: (dir: string) => Promise<void> = async () => undefined) {
  const dataset = await tempDir('doctor-dataset');
  await cp(path.join(ROOT, 'fixtures/demo-org'), dataset, { recursive: true });
  const config = parse(await readFile(path.join(dataset, 'nhi-audit.yaml'), 'utf8')) as { plugins?: unknown; sources: { name: string }[] };
  delete config.plugins;
  config.sources = config.sources.filter((source) => SOURCES.includes(source.name));
  await writeFile(path.join(dataset, 'nhi-audit.yaml'), stringify(config));
  await change(dataset);

  const cwd = await tempDir('doctor');
  const child = spawn(process.execPath, [CLI, 'sandbox', '--dataset', dataset], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd } });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${stdout}`)), 30_000);
    child.stdout!.on('data', () => stdout.includes('Stop with Ctrl-C') && (clearTimeout(timer), resolve()));
    child.once('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
  });
  const env: Record<string, string> = {};
  const text = await readFile(path.join(cwd, '.sandbox.env'), 'utf8');
  for (const match of text.matchAll(/^([A-Z_][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/gms)) env[match[1]!] = match[2]!.replaceAll(`'\\''`, "'");
  return { cwd, env, dataset, child };
}

function stop(child: ChildProcess | undefined): void {
  if (child?.exitCode === null) child.kill('SIGTERM');
}

function bySource(result: CliResult): Map<string, Diagnosis> {
  const output = JSON.parse(result.stdout) as { sources: Diagnosis[] };
  return new Map(output.sources.map((source) => [source.source, source]));
}

/** The sandboxes' fake credentials must not appear anywhere doctor writes. */
function expectNoSecret(env: Record<string, string>, ...texts: string[]): void {
  for (const value of Object.values(env).filter((v) => v.length >= 8)) {
    for (const text of texts) expect(text.includes(value)).toBe(false);
  }
}

describe('nhi-audit doctor against the demo sandboxes', () => {
  let sandbox: Awaited<ReturnType<typeof serve>>;
  let result: CliResult;
  let diagnoses: Map<string, Diagnosis>;

  beforeAll(async () => {
    sandbox = await serve();
    result = await cli(['-c', 'nhi-audit.sandbox.yaml', 'doctor', '--format', 'json', '--write-policies', 'policies'], sandbox);
    diagnoses = bySource(result);
  }, 90_000);
  afterAll(() => stop(sandbox?.child));

  it('exits 0 with every check granted, and names who the credentials are per source', () => {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect([...diagnoses.keys()].sort()).toEqual(SOURCES);
    for (const diagnosis of diagnoses.values()) {
      expect(diagnosis.status, diagnosis.source).toBe('ok');
      expect(diagnosis.checks.length, diagnosis.source).toBeGreaterThan(3);
      expect(diagnosis.checks.filter((check) => check.status !== 'granted')).toEqual([]);
    }
    const aws = diagnoses.get('aws')!;
    expect(aws.principals).toContainEqual({ scope: 'credentials', identity: 'arn:aws:iam::111111111111:user/automation/nhi-audit-collector' });
    expect(aws.principals).toContainEqual({ scope: '222222222222', identity: 'arn:aws:sts::222222222222:assumed-role/NhiAuditReadOnly/nhi-audit' });
    expect(diagnoses.get('github')!.principals[0]!.identity).toMatch(/^app:corvid-nhi-audit .*id 1003001\) installation 61003001$/);
    expect(diagnoses.get('gcp')!.principals[0]!.identity).toBe('nhi-audit-collector@corvid-audit.iam.gserviceaccount.com');
    expect(diagnoses.get('gitlab')!.principals[0]!.identity).toBe('user:nhi-audit-reader (administrator)');
    expect(diagnoses.get('entra')!.principals[0]!.identity).toBe('application c0e1d000-0000-4001-8000-000000000001 (service principal corvid-nhi-audit)');
  });

  it('writes one grant file per source, as printed, and no secret anywhere', async () => {
    expect((await readdir(path.join(sandbox.cwd, 'policies'))).sort()).toEqual(['aws.aws-iam-policy.json', 'entra.entra-graph-permissions.json', 'gcp.gcp-role.yaml', 'github.github-app-permissions.json', 'gitlab.gitlab-token.yaml']);
    const files: string[] = [];
    for (const diagnosis of diagnoses.values()) {
      const written = await readFile(path.join(sandbox.cwd, diagnosis.file!), 'utf8');
      expect(written).toBe(diagnosis.grant.content);
      files.push(written);
    }
    const [aws, , gcp, , gitlab] = files;
    const policy = JSON.parse(aws!) as { Version: string; Statement: { Action: string | string[]; Effect: string }[] };
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.every((statement) => statement.Effect === 'Allow')).toBe(true);
    expect(parse(gcp!)).toMatchObject({ stage: 'GA', includedPermissions: expect.arrayContaining(['iam.serviceAccounts.list']) });
    expect(gcp).toContain('roles/iam.securityReviewer');
    expect(parse(gitlab!)).toEqual({ scopes: ['read_api'], roles: { 'corvid-finance': 'Owner' }, administrator: true });
    expectNoSecret(sandbox.env, result.stdout, result.stderr, ...files);
  });

  it('prints a grant that lets a collection complete: the GitHub installation and the Entra application hold exactly it, every AWS and GCP call is covered', async () => {
    const keys = await cli(['keys', 'generate', '--out', 'keys'], sandbox);
    expect(keys.code).toBe(0);
    const config = path.join(sandbox.cwd, 'nhi-audit.sandbox.yaml');
    await writeFile(config, `${await readFile(config, 'utf8')}signing: { privateKeyFile: keys/nhi-audit.key }\n`);
    const run = await cli(['-c', 'nhi-audit.sandbox.yaml', '--as-of', '2026-11-20', 'run', '--cycle', '2026-Q4', '--fail-on', 'none', '--format', 'json'], sandbox);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const [pack] = await packsIn(path.join(sandbox.cwd, 'evidence'));
    const manifest = JSON.parse(await readFile(path.join(pack!, 'manifest.json'), 'utf8')) as {
      sources: { source: string; verdict: string; scopes: { operations: { operation: string }[] }[] }[];
    };
    const operations = (source: string) => {
      const found = manifest.sources.find((s) => s.source === source)!;
      expect(found.verdict, source).not.toBe('incomplete');
      return new Set(found.scopes.flatMap((scope) => scope.operations.map((o) => o.operation)));
    };

    // GitHub: the sandbox enforces the installation's permissions, and they are exactly the printed manifest's.
    const installations = JSON.parse(await readFile(path.join(sandbox.dataset, 'github/dataset.json'), 'utf8')) as {
      collector_installation_id: number;
      installations: { id: number; permissions: Record<string, string> }[];
    };
    const held = installations.installations.find((i) => i.id === installations.collector_installation_id)!.permissions;
    expect(JSON.parse(diagnoses.get('github')!.grant.content).default_permissions).toEqual(held);
    expect(operations('github').size).toBeGreaterThan(5);

    // Entra: the sandbox enforces the collector's Graph app role assignments, and they are exactly the printed permissions.
    const tenant = JSON.parse(await readFile(path.join(sandbox.dataset, 'entra-id/dataset.json'), 'utf8')) as {
      servicePrincipals: { id: string; appId: string; appRoles?: { id: string; value: string }[] }[];
      appRoleAssignments: { principalId: string; resourceId: string; appRole: string }[];
    };
    const graph = tenant.servicePrincipals.find((sp) => sp.appId === '00000003-0000-0000-c000-000000000000')!;
    const collector = tenant.servicePrincipals.find((sp) => sp.appId === 'c0e1d000-0000-4001-8000-000000000001')!;
    const assigned = tenant.appRoleAssignments.filter((a) => a.principalId === collector.id && a.resourceId === graph.id).map((a) => a.appRole).sort();
    const printed = (JSON.parse(diagnoses.get('entra')!.grant.content) as { requiredResourceAccess: { resourceAccess: { id: string }[] }[] }).requiredResourceAccess[0]!.resourceAccess
      .map(({ id }) => graph.appRoles!.find((role) => role.id === id)!.value)
      .sort();
    expect(printed).toEqual(assigned);
    expect(operations('entra').size).toBeGreaterThan(5);

    // AWS: every operation of the collection is an action of the policy (STS GetCallerIdentity needs none).
    const actions = new Set(
      (JSON.parse(diagnoses.get('aws')!.grant.content) as { Statement: { Action: string | string[] }[] }).Statement.flatMap((s) => s.Action),
    );
    const uncovered = [...operations('aws')].filter((operation) => operation !== 'GetCallerIdentity' && ![...actions].some((action) => action.endsWith(`:${operation}`)));
    expect(uncovered).toEqual([]);

    // GCP: every operation of the collection needs a permission of the role: the one doctor checked, or for the
    // reads it does not try (ancestors' policies, roles, insights), the one the connector names for it.
    const role = parse(diagnoses.get('gcp')!.grant.content) as { includedPermissions: string[] };
    const checked = diagnoses.get('gcp')!.checks;
    for (const operation of operations('gcp')) {
      const named = (GCP_PERMISSIONS as Record<string, string>)[operation];
      const permissions = [...checked.filter((check) => check.operation === operation).map((check) => check.permission), ...(named ? [named] : [])];
      expect(permissions.length, operation).toBeGreaterThan(0);
      expect(role.includedPermissions).toEqual(expect.arrayContaining(permissions));
    }
  }, 120_000);

  it('checks one source with --source and prints its checks and grant as text', async () => {
    const text = await cli(['-c', 'nhi-audit.sandbox.yaml', 'doctor', '--source', 'gcp'], sandbox);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^gcp \(gcp-iam\): every permission the collection needs is granted$/m);
    expect(text.stdout).toMatch(/ok\s+corvid-finance-prod\s+iam\.serviceAccounts\.list\s+\(iam\.projects\.serviceAccounts\.list\)/);
    expect(text.stdout).toContain('includedPermissions:');
    expect(text.stdout).not.toContain('aws (aws-iam)');
  });
});

describe('nhi-audit doctor when a sandbox refuses a permission', () => {
  let sandbox: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    sandbox = await serve(async (dataset) => {
      // AWS: the management account may not list service control policies (the sandbox's deny list).
      const organization = path.join(dataset, 'aws-iam/organization.json');
      await writeFile(organization, JSON.stringify({ ...JSON.parse(await readFile(organization, 'utf8')), 'x-deniedOperations': ['ListPolicies'] }));
      // GitHub: the audit App's installation without repository secrets.
      const github = path.join(dataset, 'github/dataset.json');
      const data = JSON.parse(await readFile(github, 'utf8')) as { collector_installation_id: number; installations: { id: number; permissions: Record<string, string> }[] };
      delete data.installations.find((i) => i.id === data.collector_installation_id)!.permissions.secrets;
      await writeFile(github, JSON.stringify(data));
      // GCP: Policy Analyzer refuses the collector everywhere.
      await writeFile(path.join(dataset, 'gcp-iam/denials.json'), JSON.stringify([{ operation: 'policyanalyzer' }]));
      // Entra: the audit application without AuditLog.Read.All (its Graph app role assignment removed).
      const entra = path.join(dataset, 'entra-id/dataset.json');
      const tenant = JSON.parse(await readFile(entra, 'utf8')) as { appRoleAssignments: { principalId: string; appRole: string }[] };
      tenant.appRoleAssignments = tenant.appRoleAssignments.filter((a) => !(a.principalId === 'd0c5e000-0000-4001-8000-000000000001' && a.appRole === 'AuditLog.Read.All'));
      await writeFile(entra, JSON.stringify(tenant));
      // GitLab: the token's user is no administrator, though the source asks for the instance's variables.
      const gitlab = path.join(dataset, 'gitlab/dataset.json');
      const instance = JSON.parse(await readFile(gitlab, 'utf8')) as { collector: { is_admin: boolean } };
      instance.collector.is_admin = false;
      await writeFile(gitlab, JSON.stringify(instance));
    });
  }, 90_000);
  afterAll(() => stop(sandbox?.child));

  it('exits 1 and names each missing permission with its source, still printing the grant', async () => {
    const result = await cli(['-c', 'nhi-audit.sandbox.yaml', 'doctor', '--format', 'json'], sandbox);
    expect(result.code).toBe(1);
    const diagnoses = bySource(result);
    const missing = (source: string) => diagnoses.get(source)!.checks.filter((check) => check.status !== 'granted').map((check) => check.permission);
    expect(diagnoses.get('aws')!.status).toBe('missing');
    expect(missing('aws')).toEqual(['organizations:ListPolicies']);
    expect(missing('github')).toEqual(['secrets=read']);
    expect(missing('gcp')).toEqual([
      'policyanalyzer.serviceAccountLastAuthenticationActivities.query',
      'policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query',
    ]);
    expect(missing('gitlab')).toEqual(['administrator', 'administrator']);
    expect(missing('entra')).toEqual(['AuditLog.Read.All', 'AuditLog.Read.All']);
    expect(diagnoses.get('entra')!.checks.find((check) => check.status === 'missing')!.detail).toContain('Insufficient privileges');
    expect(diagnoses.get('gitlab')!.checks.filter((check) => check.status !== 'granted').map((check) => check.operation)).toEqual(['admin/ci/variables', 'service-accounts']);
    expect(diagnoses.get('github')!.grant.content).toContain('"secrets": "read"');

    const text = await cli(['-c', 'nhi-audit.sandbox.yaml', 'doctor', '--source', 'aws'], sandbox);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^aws \(aws-iam\): a permission the collection needs is missing$/m);
    expect(text.stdout).toMatch(/MISSING\s+organization\s+organizations:ListPolicies\s+\(ListPolicies\): AccessDeniedException/);
    expectNoSecret(sandbox.env, result.stdout, result.stderr, text.stdout, text.stderr);
  });
});

describe('nhi-audit doctor without a reachable source or with bad input', () => {
  it('exits 3 when a source cannot be reached at all, naming it', async () => {
    const cwd = await tempDir('doctor-unreachable');
    await writeFile(
      path.join(cwd, 'nhi-audit.yaml'),
      [
        'sources:',
        '  - name: aws',
        '    connector: aws-iam',
        '    endpoint: http://127.0.0.1:9',
        '    credentials: { accessKeyIdEnv: KEY_ID, secretAccessKeyEnv: SECRET }',
        '    retry: { maxAttempts: 1, baseDelayMs: 1 }',
      ].join('\n'),
    );
    const result = await cli(['doctor'], { cwd, env: { KEY_ID: 'AKIAEXAMPLEEXAMPLE01', SECRET: 'doctor-canary-secret-value' } });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^aws \(aws-iam\): cannot be reached$/m);
    expect(result.stdout).toContain('aws: who the credentials are is unknown');
    expect(result.stdout + result.stderr).not.toContain('doctor-canary-secret-value');
  });

  it('exits 2 for a source the config does not name and for a policy folder that is a file, writing nothing', async () => {
    const cwd = await tempDir('doctor-usage');
    await writeFile(path.join(cwd, 'nhi-audit.yaml'), 'sources:\n  - name: aws\n    connector: aws-iam\n');
    const unknown = await cli(['doctor', '--source', 'nope'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--source: the config names no source "nope"; its sources are aws');
    await writeFile(path.join(cwd, 'taken'), '');
    const file = await cli(['doctor', '--write-policies', 'taken'], { cwd });
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('--write-policies: taken is a file');
    expect((await readdir(cwd)).sort()).toEqual(['nhi-audit.yaml', 'taken']);
  });
});
