import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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
