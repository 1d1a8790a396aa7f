import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../connectors/aws-iam/sandbox/index.js';
import { awsWorkspace, cli, packsIn, ROOT } from './cli.js';

const AS_OF = '2026-11-20';

describe('several outputs from one run (--format FORMAT[=PATH])', () => {
  let sandbox: AwsSandbox;
  let cwd: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    sandbox = await startAwsSandbox(await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam')), { now: new Date(`${AS_OF}T00:00:00Z`), credentialReportPolls: 0 });
    ({ cwd, env } = await awsWorkspace(sandbox));
  });
  afterAll(() => sandbox.close());

  it('check writes SARIF, Markdown, JUnit and CSV files and JSON on stdout in one collection; --fail-on none exits 0', async () => {
    const result = await cli(
      ['check', '--as-of', AS_OF, '--fail-on', 'none', '--format', 'sarif=out/a.sarif', '--format', 'md=out/summary.md', '--format', 'junit=out/junit.xml', '--format', 'csv=out/findings.csv', '--format', 'json'],
      { cwd: await prepared(cwd, 'out'), env },
    );
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.collection.sources[0]).toMatchObject({ source: 'aws', connector: 'aws-iam' });
    expect(json.collection.sources[0].scopes.map((s: { scope: string }) => s.scope)).toContain('111111111111');
    const sarif = JSON.parse(await readFile(path.join(cwd, 'out/a.sarif'), 'utf8'));
    // Without a pack, SARIF points at the configuration that exists in the job's checkout.
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('../nhi-audit.yaml');
    expect(await readFile(path.join(cwd, 'out/summary.md'), 'utf8')).toMatch(/^#|^>|^## /m);
    expect(await readFile(path.join(cwd, 'out/junit.xml'), 'utf8')).toContain('<testsuites');
    const rows = parse(await readFile(path.join(cwd, 'out/findings.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.every((r) => ['complete', 'unreconciled', 'incomplete'].includes(r.collection!))).toBe(true);
    const collection = parse(await readFile(path.join(cwd, 'out/findings.collection.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(collection.map((r) => r.scope)).toEqual(expect.arrayContaining(['', '111111111111', '222222222222']));
    const strict = await cli(['check', '--as-of', AS_OF, '--fail-on', 'high', '--format', 'json=out/b.json'], { cwd, env });
    expect(strict.code).toBe(1);
  });

  it('run points SARIF at the sealed pack inventory and OSCAL at its files', async () => {
    const result = await cli(['run', '--as-of', AS_OF, '--fail-on', 'none', '--format', 'sarif=run.sarif', '--format', 'oscal=run-oscal.json'], { cwd, env });
    expect(result.code).toBe(0);
    const [pack] = await packsIn(path.join(cwd, 'evidence'));
    const relativePack = path.relative(cwd, pack!);
    const sarif = JSON.parse(await readFile(path.join(cwd, 'run.sarif'), 'utf8'));
    const uri = sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri;
    expect(uri).toBe(`${relativePack}/inventory.json`);
    expect(existsSync(path.join(cwd, uri))).toBe(true);
    const oscal = JSON.parse(await readFile(path.join(cwd, 'run-oscal.json'), 'utf8'));
    const href = oscal['assessment-results'].results[0].observations[0]['relevant-evidence'][0].href;
    expect(existsSync(path.join(cwd, href))).toBe(true);
    expect(existsSync(path.join(pack!, 'assessment-results.json'))).toBe(true);
  });

  it.each([
    [['--format', 'sarif=missing-dir/x.sarif'], /the folder .*missing-dir does not exist/],
    [['--format', 'json', '--format', 'md'], /only one output can go to stdout/],
    [['--format', 'yaml'], /"yaml" is not a format/],
    [['--format', 'sarif=a.sarif', '--format', 'junit=a.sarif'], /named by two outputs/],
  ])('refuses %j before collecting anything', async (args, message) => {
    const started = sandbox.calls.length;
    const result = await cli(['check', '--as-of', AS_OF, ...args], { cwd, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/internal error/);
    expect(sandbox.calls.length).toBe(started);
  });
});

async function prepared(cwd: string, folder: string): Promise<string> {
  await mkdir(path.join(cwd, folder), { recursive: true });
  return cwd;
}
