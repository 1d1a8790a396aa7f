import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonItems } from '../../src/evidence/read-pack.js';
import { FindingSchema } from '../../src/sdk/index.js';
import { cli, packsIn, tempDir } from './cli.js';

const HEADER = 'BNAME,USTYP,UFLAG,GLTGB,ERDAT,TRDAT,LTIME,PWDCHGDATE';

/** A working folder with a signing key and a config reading an SAP user export through the sap preset. */
async function workspace(rows: string[]): Promise<string> {
  const cwd = await tempDir('file');
  expect((await cli(['keys', 'generate', '--out', 'keys'], { cwd })).code).toBe(0);
  await writeFile(path.join(cwd, 'usr02.csv'), `${[HEADER, ...rows].join('\n')}\n`);
  await writeFile(
    path.join(cwd, 'nhi-audit.yaml'),
    [
      'sources:',
      '  - name: sap',
      '    connector: file',
      '    preset: sap',
      '    system: SAP S/4HANA PRD, client 100',
      '    scope: PRD-100',
      '    export:',
      '      path: usr02.csv',
      '      report: SE16N, table USR02',
      '      producedBy: mkeller (SAP Basis)',
      '      producedAt: 2026-11-19T16:05:00Z',
      `      expectedRows: ${rows.length}`,
      'signing: { privateKeyFile: keys/nhi-audit.key }',
    ].join('\n'),
  );
  return cwd;
}

describe('nhi-audit run with a file export', () => {
  let good: string;
  beforeAll(async () => {
    good = await workspace(['SVC_GL_POST,B,0,00000000,20210111,20261119,010500,20230220', 'JDOE,A,0,00000000,20200101,20261118,090000,20261001']);
  });

  it('records the export\'s digest, rows and provenance in the manifest and reconciles its control total', async () => {
    const result = await cli(['run', '--as-of', '2026-11-20', '--format', 'json'], { cwd: good });
    expect(result.stderr).toMatch(/^Evidence pack: /);
    const [pack] = await packsIn(path.join(good, 'evidence'));
    const manifest = JSON.parse(await readFile(path.join(pack!, 'manifest.json'), 'utf8'));
    const [scope] = manifest.sources[0].scopes;
    expect(manifest.sources[0].verdict).toBe('complete');
    const digest = execFileSync('sha256sum', ['usr02.csv'], { cwd: good }).toString().split(' ')[0];
    expect(scope.operations[0].parameters).toMatchObject({
      file: 'usr02.csv',
      sha256: digest,
      rows: 2,
      system: 'SAP S/4HANA PRD, client 100',
      report: 'SE16N, table USR02',
      producedBy: 'mkeller (SAP Basis)',
      producedAt: '2026-11-19T16:05:00Z',
    });
    expect(scope.reconciliations).toEqual([{ name: 'rows of usr02.csv against the control total its report states', expected: 2, observed: 2, matches: true }]);
    const findings = JSON.parse(result.stdout).findings as { controlId: string; identityId: string; status: string }[];
    expect(findings.find((f) => f.controlId === 'credential-rotated' && f.identityId === 'file:PRD-100:SVC_GL_POST')?.status).toBe('fail');
  });

  it('copies json and csv of every finding from the sealed pack, streams junit from it, and gives --only-failed from the findings the run holds', async () => {
    const cwd = await workspace(['SVC_GL_POST,B,0,00000000,20210111,20261119,010500,20230220', 'SVC_AP_BATCH,B,0,00000000,20250101,20261119,010500,20261001']);
    await mkdir(path.join(cwd, 'out'));
    const formats = ['--format', 'json=out/all.json', '--format', 'csv=out/all.csv', '--format', 'junit=out/junit.xml'];
    const result = await cli(['run', '--as-of', '2026-11-20', '--fail-on', 'none', ...formats], { cwd });
    expect(result.code).toBe(0);
    const [pack] = await packsIn(path.join(cwd, 'evidence'));
    const text = (file: string) => readFile(path.join(cwd, file), 'utf8');
    const sealed = (file: string) => readFile(path.join(pack!, file), 'utf8');
    expect(await text('out/all.json')).toBe(await sealed('findings.json'));
    expect(await text('out/all.csv')).toBe(await sealed('findings.csv'));
    expect(await text('out/all.collection.csv')).toMatch(/^source,connector,scope,verdict,identities,counts_reconciled,reason\r?\nsap,file,,complete,2,/);

    const findings = await readJsonItems(pack!, 'findings.json', 'findings', FindingSchema);
    const passing = findings.filter((f) => f.status === 'pass');
    expect(passing.length).toBeGreaterThan(0);
    expect(findings.length).toBeGreaterThan(passing.length);
    expect((await text('out/junit.xml')).match(/<testcase /g)).toHaveLength(findings.length + 1);
    // check holds every finding and renders JUnit whole: the run's, streamed from the pack, is the same document.
    expect((await cli(['check', '--as-of', '2026-11-20', '--fail-on', 'none', '--format', 'junit=out/check.xml'], { cwd })).code).toBe(0);
    expect(await text('out/junit.xml')).toBe(await text('out/check.xml'));

    const failed = await cli(['run', '--as-of', '2026-11-20', '--fail-on', 'none', '--only-failed', '--format', 'json=out/failed.json', '--format', 'csv=out/failed.csv'], { cwd });
    expect(failed.code).toBe(0);
    const shown = (JSON.parse(await text('out/failed.json')) as { findings: { status: string }[] }).findings;
    expect(shown.map((f) => f.status).sort()).toEqual(findings.filter((f) => f.status === 'fail' || f.status === 'excepted').map((f) => f.status).sort());
    expect((await text('out/failed.csv')).split('\n').filter(Boolean)).toHaveLength(shown.length + 1);
    // As check gives them, from every finding held and filtered: the same findings and the same summary of them.
    expect((await cli(['check', '--as-of', '2026-11-20', '--fail-on', 'none', '--only-failed', '--format', 'json=out/check-failed.json'], { cwd })).code).toBe(0);
    const checked = JSON.parse(await text('out/check-failed.json')) as { findings: unknown[]; summary: unknown };
    const ran = JSON.parse(await text('out/failed.json')) as { findings: unknown[]; summary: unknown };
    expect(ran.findings).toEqual(checked.findings);
    expect(ran.summary).toEqual(checked.summary);
  });

  it('reports a bad row with its file, line and column and exits 2, writing nothing', async () => {
    const cwd = await workspace(['SVC_GL_POST,B,0,00000000,20210111,20261119,010500,20230220', 'SVC_AP,Q,0,00000000,31.01.2021,20261119,010500,20230220']);
    for (const command of ['run', 'check']) {
      const result = await cli([command, '--as-of', '2026-11-20'], { cwd });
      expect(result.code, command).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trim().split('\n');
      expect(lines).toContain(`${path.join(cwd, 'usr02.csv')}: line 3, column USTYP: "Q" is not in columns.interactive.values (A, S, B, C, L); add what it means there, or "*" for every other value`);
      expect(lines).toContain(`${path.join(cwd, 'usr02.csv')}: line 3, column USTYP: "Q" is not in columns.classification.values (A, B, C, S, L); add what it means there, or "*" for every other value`);
      expect(lines.some((l) => l.startsWith(`${path.join(cwd, 'usr02.csv')}: line 3, column ERDAT: "31.01.2021" is not a date written as 20261119`))).toBe(true);
    }
    expect((await readdir(cwd)).sort()).toEqual(['keys', 'nhi-audit.yaml', 'usr02.csv']);
  });
});
