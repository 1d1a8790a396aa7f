import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../connectors/aws-iam/sandbox/index.js';
import { startTsa } from '../helpers/tsa.js';
import { DEMO_AWS, workspace } from './aws-workspace.js';
import { cli, packsIn, tempDir } from './cli.js';

const AS_OF = '2026-11-20';

async function manifestOf(cwd: string) {
  const [pack] = await packsIn(path.join(cwd, 'evidence'));
  return { pack: pack!, manifest: JSON.parse(await readFile(path.join(pack!, 'manifest.json'), 'utf8')) };
}

/** Every file of a folder, as text, to search for secrets. */
async function allText(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) parts.push(await readFile(path.join(entry.parentPath, entry.name), 'utf8'));
  }
  return parts.join('\n');
}

describe('nhi-audit run against the AWS sandbox', () => {
  let sandbox: AwsSandbox;
  beforeAll(async () => {
    sandbox = await startAwsSandbox(await loadAwsSandboxDataset(DEMO_AWS), { now: new Date(`${AS_OF}T00:00:00Z`), credentialReportPolls: 0 });
  });
  afterAll(() => sandbox.close());

  it('completes when every call is throttled twice, counting the retries, and exits 1 for high failures', async () => {
    sandbox.faults.set([{ connector: 'aws-iam', operation: '*', kind: 'throttle', times: 2 }]);
    const { cwd, env } = await workspace(sandbox);
    const result = await cli(['run', '--as-of', AS_OF, '--format', 'json'], { cwd, env });
    expect(result.stderr).toMatch(/^Evidence pack: /);
    expect(result.code).toBe(1);
    const { manifest } = await manifestOf(cwd);
    expect(manifest.verdict).toBe('complete');
    const operations = manifest.sources[0].scopes.flatMap((s: { operations: { retries: number }[] }) => s.operations);
    expect(operations.every((o: { retries: number }) => o.retries >= 2)).toBe(true);
    expect(JSON.parse(result.stdout).findings.length).toBeGreaterThan(0);
    // The collector's own secret never reaches the pack or the output. (The external id does: AWS does not
    // treat it as a secret, and it is part of the audit role's trust policy, which is evidence.)
    const text = `${await allText(path.join(cwd, 'evidence'))}${result.stdout}${result.stderr}`;
    expect(text).not.toContain(sandbox.baseCredentials.secretAccessKey);
  });

  it('writes outputs that render every finding from the sealed pack, the same as its own files', async () => {
    const { cwd, env } = await workspace(sandbox);
    const result = await cli(['run', '--as-of', AS_OF, '--fail-on', 'none', '--format', 'json=run.json', '--format', 'csv=run.csv', '--format', 'junit=run.xml', '--format', 'table'], { cwd, env });
    expect(result.code).toBe(0);
    const { pack, manifest } = await manifestOf(cwd);
    // The run held only its failing and excepted findings; every finding comes back from the pack.
    expect(await readFile(path.join(cwd, 'run.json'), 'utf8')).toBe(await readFile(path.join(pack, 'findings.json'), 'utf8'));
    expect(await readFile(path.join(cwd, 'run.csv'), 'utf8')).toBe(await readFile(path.join(pack, 'findings.csv'), 'utf8'));
    const junit = await readFile(path.join(cwd, 'run.xml'), 'utf8');
    const total = Object.values(manifest.results as Record<string, number>).reduce((sum, n) => sum + n, 0);
    expect(Number(/<testsuites[^>]* tests="(\d+)"/.exec(junit)?.[1])).toBeGreaterThanOrEqual(total);
    expect(result.stdout).toMatch(/FAIL|PASS/);
  });

  it('exits 3 and marks the source incomplete when one account fails for good; the pack still verifies', async () => {
    // One account's audit role has been given another external id: the collector cannot get in.
    const dataset = await loadAwsSandboxDataset(DEMO_AWS);
    dataset.accounts['333333333333']!.auditRole = { roleName: 'NhiAuditReadOnly', externalId: 'rotated-by-someone-else' };
    const refusing = await startAwsSandbox(dataset, { now: new Date(`${AS_OF}T00:00:00Z`), credentialReportPolls: 0 });
    const { cwd, env } = await workspace(refusing);
    const result = await cli(['run', '--as-of', AS_OF], { cwd, env }).finally(() => refusing.close());
    expect(result.code).toBe(3);
    const { pack, manifest } = await manifestOf(cwd);
    expect(manifest.verdict).toBe('incomplete');
    expect(manifest.incompleteSources).toEqual(['aws']);
    const scopes = Object.fromEntries(manifest.sources[0].scopes.map((s: { scope: string; verdict: string }) => [s.scope, s.verdict]));
    expect(scopes).toMatchObject({ '111111111111': 'complete', '222222222222': 'complete', '333333333333': 'incomplete' });
    const verified = await cli(['verify', pack, '--public-key', 'keys/nhi-audit.pub'], { cwd });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('collection incomplete');
  });

  it('check follows --fail-on and writes SARIF without a pack', async () => {
    sandbox.faults.set([]);
    const { cwd, env } = await workspace(sandbox);
    const strict = await cli(['check', '--as-of', AS_OF, '--fail-on', 'critical', '--format', 'sarif', '--output', 'out.sarif'], { cwd, env });
    expect(strict.code).toBe(1);
    const sarif = JSON.parse(await readFile(path.join(cwd, 'out.sarif'), 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(existsSync(path.join(cwd, 'evidence'))).toBe(false);
    const lenient = await cli(['check', '--as-of', AS_OF, '--fail-on', 'critical', '-c', 'nhi-audit.yaml'], { cwd, env: { ...env } });
    expect(lenient.code).toBe(1);
    const off = await workspace(sandbox, 'controls:\n  no-admin-privilege: off\n  credential-rotated: { severity: low }\n');
    const passing = await cli(['check', '--as-of', AS_OF, '--fail-on', 'critical'], off);
    expect(passing.code).toBe(0);
  });
});

describe('usage and configuration errors exit 2 and write nothing', () => {
  it('names the file and the path of a bad value', async () => {
    const cwd = await tempDir('config');
    await writeFile(path.join(cwd, 'nhi-audit.yaml'), 'output: ./evidence\nsources:\n  - name: aws\n    connector: aws-iam\n    region: 42\n    accounts: [{ id: "12345" }]\n');
    const result = await cli(['run'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nhi-audit.yaml: sources[0].region: ');
    expect(result.stderr).toContain('nhi-audit.yaml: sources[0].accounts[0].id: an AWS account id is 12 digits');
    expect(existsSync(path.join(cwd, 'evidence'))).toBe(false);
  });

  it('refuses to run without a signing key, before collecting anything', async () => {
    const cwd = await tempDir('nokey');
    await writeFile(path.join(cwd, 'nhi-audit.yaml'), 'sources:\n  - name: aws\n    connector: aws-iam\n');
    const result = await cli(['run'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nhi-audit\.yaml: signing: a pack must be signed/);
    expect(existsSync(path.join(cwd, 'evidence'))).toBe(false);
  });

  it('rejects a bad --as-of, an unknown command and a missing config', async () => {
    const cwd = await tempDir('usage');
    expect((await cli(['check', '--as-of', 'last tuesday'], { cwd })).code).toBe(2);
    expect((await cli(['frobnicate'], { cwd })).code).toBe(2);
    const missing = await cli(['check'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nhi-audit\.yaml: cannot read the file; create one with `nhi-audit init`/);
    expect((await cli(['--help'], { cwd })).code).toBe(0);
  });
});

describe('nhi-audit run with a time-stamping authority', () => {
  it('stamps the manifest digest: the pack holds manifest.tsr, which nhi-audit and openssl verify', async () => {
    const tsa = await startTsa();
    const sandbox = await startAwsSandbox(await loadAwsSandboxDataset(DEMO_AWS), { now: new Date(`${AS_OF}T00:00:00Z`), credentialReportPolls: 0 });
    try {
      const { cwd, env } = await workspace(sandbox, `timestamp: { tsaUrl: ${tsa.url} }\n`);
      const result = await cli(['run', '--as-of', AS_OF], { cwd, env });
      expect(result.code).toBe(1);
      const { pack } = await manifestOf(cwd);
      expect(existsSync(path.join(pack, 'manifest.tsr'))).toBe(true);
      expect((await cli(['verify', pack, '--public-key', 'keys/nhi-audit.pub'], { cwd })).code).toBe(0);
      const openssl = execFileSync('openssl', ['ts', '-verify', '-data', 'manifest.json', '-in', 'manifest.tsr', '-CAfile', path.join(tsa.dir, 'ca.crt'), '-untrusted', path.join(tsa.dir, 'tsa.crt')], { cwd: pack });
      expect(openssl.toString()).toMatch(/Verification: OK/);
    } finally {
      await sandbox.close();
      await new Promise<void>((resolve) => tsa.server.close(() => resolve()));
    }
  });
});
