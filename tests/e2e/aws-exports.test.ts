import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, packsIn, ROOT, tempDir } from './cli.js';

/**
 * Offline AWS CLI exports through the built CLI: cloudsplaining's authorization details export with a credential
 * report of the same account is the valid baseline; every broken input is exit 2 before anything is written, and
 * an export of one page only is exit 3.
 */
const DETAILS = path.join(ROOT, 'fixtures/external/cloudsplaining/example-authz-details.json');
const REPORT = path.join(ROOT, 'fixtures/aws-iam/credential-report-012345678901.csv');
const AS_OF = '2026-11-20';
const REPORT_TEXT = await readFile(REPORT, 'utf8');

let keys: string;

beforeAll(async () => {
  keys = await tempDir('export-keys');
  expect((await cli(['keys', 'generate', '--out', '.'], { cwd: keys })).code).toBe(0);
});

interface ExportFiles {
  details?: string | Buffer;
  /** null: no credential report beside the export. */
  report?: string | Buffer | null;
  accountId?: string;
}

/** A folder with export files (changed as asked) and a config that reads them offline, one export entry each. */
async function workspace(...exports: ExportFiles[]): Promise<string> {
  const cwd = await tempDir('export');
  await mkdir(path.join(cwd, 'exports'));
  const entries: string[] = [];
  for (const [i, files] of (exports.length > 0 ? exports : [{}]).entries()) {
    const detailsFile = `exports/authz${i || ''}.json`;
    const reportFile = `exports/report${i || ''}.csv`;
    if (files.details === undefined) await copyFile(DETAILS, path.join(cwd, detailsFile));
    else await writeFile(path.join(cwd, detailsFile), files.details);
    if (files.report === undefined) await copyFile(REPORT, path.join(cwd, reportFile));
    else if (files.report !== null) await writeFile(path.join(cwd, reportFile), files.report);
    const fields = [`authorizationDetails: ${detailsFile}`, ...(files.report === null ? [] : [`credentialReport: ${reportFile}`]), ...(files.accountId ? [`accountId: '${files.accountId}'`] : [])];
    entries.push(`      - { ${fields.join(', ')} }`);
  }
  await writeFile(
    path.join(cwd, 'nhi-audit.yaml'),
    ['output: ./evidence', 'sources:', '  - name: aws', '    connector: aws-iam', '    exports:', ...entries, `signing: { privateKeyFile: ${path.join(keys, 'nhi-audit.key')} }`].join('\n'),
  );
  return cwd;
}

async function details(change: (json: Record<string, unknown>) => void): Promise<string> {
  const json = JSON.parse(await readFile(DETAILS, 'utf8')) as Record<string, unknown>;
  change(json);
  return JSON.stringify(json);
}

async function manifestOf(cwd: string) {
  const [pack] = await packsIn(path.join(cwd, 'evidence'));
  return JSON.parse(await readFile(path.join(pack!, 'manifest.json'), 'utf8'));
}

describe('offline exports: the valid baseline', () => {
  it('reads the export and its report, and reconciles the report’s users with the export’s: complete', async () => {
    const cwd = await workspace();
    const result = await cli(['run', '--as-of', AS_OF], { cwd });
    expect(result.code).toBe(1); // cloudsplaining's example is meant to fail controls
    const manifest = await manifestOf(cwd);
    expect(manifest.verdict).toBe('complete');
    const [scope] = manifest.sources[0].scopes;
    expect(scope).toMatchObject({ scope: '012345678901', verdict: 'complete', identities: 6 });
    expect(scope.reconciliations).toEqual([{ name: 'credential report users = users in GAAD', expected: 3, observed: 3, matches: true }]);
  });

});

describe('exports that do not hold the whole account are incomplete, exit 3', () => {
  it('one page only (NextToken from --max-items, IsTruncated or Marker from --no-paginate), or no credential report', async () => {
    const cwd = await workspace(
      { accountId: '111111111111', details: await details((json) => (json.NextToken = 'eyJNYXJrZXIiOiBudWxsfQ==')) },
      { accountId: '222222222222', details: await details((json) => (json.IsTruncated = true)) },
      { accountId: '333333333333', details: await details((json) => ((json.IsTruncated = false), (json.Marker = 'AAEAAQ'))) },
      { accountId: '444444444444', report: null },
    );
    const result = await cli(['run', '--as-of', AS_OF], { cwd });
    expect(result.code).toBe(3);
    const manifest = await manifestOf(cwd);
    expect(manifest.verdict).toBe('incomplete');
    const scopes = Object.fromEntries(manifest.sources[0].scopes.map((s: { scope: string }) => [s.scope, s]));
    for (const [account, field] of [['111111111111', 'NextToken'], ['222222222222', 'IsTruncated'], ['333333333333', 'Marker']] as const) {
      expect(scopes[account]).toMatchObject({ verdict: 'incomplete', identities: 0 });
      expect(scopes[account].errors).toMatchObject([
        { operation: 'GetAccountAuthorizationDetails', code: 'PartialExport', hint: expect.stringContaining('without --max-items or --no-paginate') },
      ]);
      expect(scopes[account].errors[0].message).toContain(`holds one page only (it still carries ${field})`);
    }
    // Without a report the keys are unknown: the identities are there, the scope says what it could not read.
    expect(scopes['444444444444']).toMatchObject({ verdict: 'incomplete', identities: 6, unreadable: [{ kind: 'access-key' }] });
  });
});

describe.concurrent('a broken input file is exit 2, names the file and the fix, and writes nothing', () => {
  const header = REPORT_TEXT.split('\n')[0]!;
  const otherAccount = REPORT_TEXT.replaceAll('012345678901', '999999999999');
  it.each([
    ['an empty credential report', { report: '' }, 'report.csv', /the credential report is empty/],
    ['a binary credential report', { report: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0xfe, 0x00, 0x10]) }, 'report.csv', /not text \(binary content\)/],
    ['a header-only credential report', { report: `${header}\n` }, 'report.csv', /has a header but no rows/],
    ['a credential report of another account', { report: otherAccount }, 'report.csv', /shares no user with authz\.json/],
    ['a user without its ARN', { details: 'USER-WITHOUT-ARN' }, 'authz.json', /UserDetailList\[0\]\.Arn: /],
  ] as const)('%s', async (_case, files, file, message) => {
    const input =
      'details' in files && files.details === 'USER-WITHOUT-ARN'
        ? { details: await details((json) => delete (json.UserDetailList as Record<string, unknown>[])[0]!.Arn) }
        : files;
    const cwd = await workspace(input);
    const result = await cli(['run', '--as-of', AS_OF], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(path.join(cwd, 'exports', file));
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(file === 'report.csv' ? /aws iam get-credential-report/ : /aws iam get-account-authorization-details/);
    expect(existsSync(path.join(cwd, 'evidence'))).toBe(false);
  });

  it('a missing or unreadable export file is a configuration error', async () => {
    const missing = await workspace();
    await writeFile(
      path.join(missing, 'nhi-audit.yaml'),
      (await readFile(path.join(missing, 'nhi-audit.yaml'), 'utf8')).replace('exports/authz.json', 'exports/nowhere.json'),
    );
    const gone = await cli(['run', '--as-of', AS_OF], { cwd: missing });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`${path.join(missing, 'exports/nowhere.json')}: cannot read the authorization details export: no such file`);
    expect(existsSync(path.join(missing, 'evidence'))).toBe(false);

    const folder = await workspace();
    await writeFile(path.join(folder, 'nhi-audit.yaml'), (await readFile(path.join(folder, 'nhi-audit.yaml'), 'utf8')).replace('exports/report.csv', 'exports'));
    const unreadable = await cli(['check', '--as-of', AS_OF], { cwd: folder });
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain(`${path.join(folder, 'exports')}: cannot read the credential report: a folder, not a file`);
  });
});
