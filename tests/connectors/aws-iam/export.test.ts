import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import connector from '../../../connectors/aws-iam/index.js';
import { AwsIamConfigSchema } from '../../../connectors/aws-iam/config.js';
import { loadExport } from '../../../connectors/aws-iam/export.js';
import { collectSource } from '../../../src/engine/collect.js';
import { collectFromRaw } from '../../../src/engine/from-raw.js';
import { ConfigError, silentLogger } from '../../../src/sdk/index.js';
import { CLOUDSPLAINING_EXPORT } from './sandbox-clients.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const REPORT = path.join(ROOT, 'fixtures/aws-iam/credential-report-012345678901.csv');
const now = new Date('2026-11-20T00:00:00Z');

async function folderWith(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-aws-export-'));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

async function problemOf(files: Record<string, string | Buffer>, entry: { authorizationDetails: string; credentialReport?: string }): Promise<ConfigError> {
  const dir = await folderWith(files);
  try {
    await loadExport(dir, entry);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected an input error');
}

const details = JSON.parse(await readFile(CLOUDSPLAINING_EXPORT, 'utf8')) as Record<string, Record<string, unknown>[]>;
const report = await readFile(REPORT, 'utf8');

describe('an offline export is checked whole before anything is collected', () => {
  it('accepts cloudsplaining’s export with the report of its account, as CSV or as `aws iam get-credential-report` JSON', async () => {
    const json = JSON.stringify({ Content: Buffer.from(report).toString('base64'), ReportFormat: 'text/csv' });
    const dir = await folderWith({ 'authz.json': JSON.stringify(details), 'report.csv': report, 'report.json': json });
    const csv = await loadExport(dir, { authorizationDetails: 'authz.json', credentialReport: 'report.csv' });
    const wrapped = await loadExport(dir, { authorizationDetails: 'authz.json', credentialReport: 'report.json' });
    expect(csv.accountId).toBe('012345678901');
    expect(csv.report!.rows.map((row) => row.user)).toEqual(['<root_account>', 'obama', 'userwithlotsofpermissions', 'biden']);
    expect(wrapped.report!.rows).toEqual(csv.report!.rows);
    expect(csv.truncatedBy).toBeUndefined();
  });

  it.each([
    ['a report JSON without its Content', { 'r.json': '{"ReportFormat": "text/csv"}' }, 'r.json', 'Content: expected the base64 report'],
    ['a report whose base64 Content is binary', { 'r.json': JSON.stringify({ Content: Buffer.from([0, 1, 2, 0xff]).toString('base64') }) }, 'r.json', 'not text (binary content)'],
    ['a report without user and arn columns', { 'r.json': JSON.stringify({ Content: Buffer.from('a,b\n1,2\n').toString('base64') }) }, 'r.json', 'credential report has no user or arn column'],
    ['a report with a row that is not a report row', { 'r.json': JSON.stringify({ Content: Buffer.from(report.replace('2019-12-18T19:10:08+00:00', 'yesterday')).toString('base64') }) }, 'r.json', 'not a date: yesterday'],
  ])('%s is an input error naming the file', async (_case, files, file, message) => {
    const error = await problemOf({ 'authz.json': JSON.stringify(details), ...files }, { authorizationDetails: 'authz.json', credentialReport: file });
    expect(error.file).toMatch(new RegExp(`/${file.replace('.', '\\.')}$`));
    expect(error.message).toContain(message);
    expect(error.message).toContain('aws iam get-credential-report');
  });

  it.each([
    ['an export of something else', '{"Users": []}', 'holds none of UserDetailList, GroupDetailList, RoleDetailList, Policies'],
    ['an export that is a list', '[]', 'not an authorization details export'],
    ['a role without its name', JSON.stringify({ ...details, RoleDetailList: [{ ...details.RoleDetailList![0], RoleName: undefined }] }), 'RoleDetailList[0].RoleName: '],
    ['a user whose ARN is empty', JSON.stringify({ ...details, UserDetailList: [{ ...details.UserDetailList![0], Arn: '' }] }), 'UserDetailList[0].Arn: '],
    ['a group without its name', JSON.stringify({ ...details, GroupDetailList: [{}] }), 'GroupDetailList[0].GroupName: '],
  ])('%s is an input error, never an empty identity', async (_case, content, message) => {
    const error = await problemOf({ 'authz.json': content }, { authorizationDetails: 'authz.json' });
    expect(error.message).toContain(message);
    expect(error.message).toContain('aws iam get-account-authorization-details');
  });

  it('the connector checks every export of a source before the run writes anything', async () => {
    const dir = await folderWith({ 'authz.json': JSON.stringify(details), 'empty.csv': '' });
    const config = AwsIamConfigSchema.parse({ exports: [{ authorizationDetails: 'authz.json' }, { authorizationDetails: 'authz.json', credentialReport: 'empty.csv' }] });
    await expect(connector.checkInputs!(config, { source: 'aws', baseDir: dir })).rejects.toThrow(/empty\.csv: the credential report is empty/);
  });
});

describe('an export of one page only', () => {
  it('keeps its page as evidence, gives no identity, and re-reads from raw the same way', async () => {
    const pack = await mkdtemp(path.join(os.tmpdir(), 'nhi-aws-partial-export-'));
    await writeFile(path.join(pack, 'authz.json'), JSON.stringify({ ...details, IsTruncated: true, Marker: 'AAEAAQ' }));
    const collected = await collectSource(
      connector,
      { name: 'aws', connector: 'aws-iam', exports: [{ authorizationDetails: 'authz.json', credentialReport: REPORT }] },
      { now, log: silentLogger, env: {}, baseDir: pack, rawDir: path.join(pack, 'raw') },
    );
    expect(collected.identities).toEqual([]);
    const [scope] = collected.completeness.scopes;
    expect(scope).toMatchObject({ scope: '012345678901', verdict: 'incomplete', errors: [{ operation: 'GetAccountAuthorizationDetails', code: 'PartialExport' }] });
    expect(scope!.operations.find((o) => o.operation === 'GetAccountAuthorizationDetails')).toMatchObject({ pages: 1, records: 40 });
    const reread = await collectFromRaw(connector, pack, collected.completeness, now);
    expect(reread.identities).toEqual([]);
  });
});
