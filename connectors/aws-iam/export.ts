import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, formatPath, type Problem, type ScopeRecorder } from '../../src/sdk/index.js';
import { keysFromReport, parseCredentialReport, type CredentialReportRow } from './credential-report.js';
import type { AccountSnapshot } from './normalize.js';
import { reconcileWithReport } from './reconcile.js';
import { GroupDetail, ManagedPolicy, RoleDetail, UserDetail } from './responses.js';

const LISTS = ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'] as const;

/** The parts of an authorization-details export nhi-audit reads; other fields pass through untouched. */
const AuthorizationDetailsSchema = z.looseObject({
  UserDetailList: z.array(UserDetail).default([]),
  GroupDetailList: z.array(GroupDetail).default([]),
  RoleDetailList: z.array(RoleDetail).default([]),
  Policies: z.array(ManagedPolicy).default([]),
  // What the AWS CLI leaves in an export of one page only: --max-items leaves NextToken, --no-paginate the rest.
  NextToken: z.string().optional(),
  Marker: z.string().optional(),
  IsTruncated: z.boolean().optional(),
});
type AuthorizationDetails = z.output<typeof AuthorizationDetailsSchema>;

const EXPORT_DETAILS = 'export it with `aws iam get-account-authorization-details --output json > FILE`';
const EXPORT_REPORT =
  'export it with `aws iam generate-credential-report` then `aws iam get-credential-report --output json > FILE` at the time of the authorization details, or remove credentialReport from the export entry';

export interface ExportFiles {
  authorizationDetails: string;
  credentialReport?: string;
  accountId?: string;
}

/** One offline export, read and checked: every problem in it is an input error, found before anything is collected. */
export interface LoadedExport {
  detailsFile: string;
  details: AuthorizationDetails;
  accountId: string;
  report?: { file: string; csv: string; rows: CredentialReportRow[] };
  /** The field that shows the export holds one page only (NextToken, Marker, IsTruncated). */
  truncatedBy?: 'NextToken' | 'Marker' | 'IsTruncated';
}

function inputError(file: string, message: string, at = ''): ConfigError {
  return new ConfigError(file, [{ path: at, message }]);
}

async function readBytes(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : code === 'EACCES' ? 'not readable (permission denied)' : (error as Error).message;
    throw inputError(file, `cannot read the ${what}: ${reason}; check exports in the config (relative paths start at the config file's folder)`);
  }
}

/** UTF-8 text without NUL characters, or an input error: a binary file is never parsed as a report or an export. */
function text(file: string, bytes: Buffer, fix: string): string {
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw inputError(file, `not text (binary content); ${fix}`);
  }
  if (decoded.includes('\u0000')) throw inputError(file, `not text (binary content); ${fix}`);
  return decoded;
}

async function readDetails(file: string): Promise<AuthorizationDetails> {
  const source = text(file, await readBytes(file, 'authorization details export'), EXPORT_DETAILS);
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch (error) {
    throw inputError(file, `not JSON (${(error as Error).message}); ${EXPORT_DETAILS}`);
  }
  if (json === null || typeof json !== 'object' || !LISTS.some((list) => list in json)) {
    throw inputError(file, `holds none of ${LISTS.join(', ')}: not an authorization details export; ${EXPORT_DETAILS}`);
  }
  const parsed = AuthorizationDetailsSchema.safeParse(json);
  if (!parsed.success) {
    const problems: Problem[] = parsed.error.issues.slice(0, 10).map((issue) => ({ path: formatPath(issue.path), message: `${issue.message}; ${EXPORT_DETAILS}` }));
    throw new ConfigError(file, problems);
  }
  return parsed.data;
}

/** A credential report file: the CSV itself, or `aws iam get-credential-report` JSON with base64 Content. */
async function readReport(file: string): Promise<{ csv: string; rows: CredentialReportRow[] }> {
  const raw = text(file, await readBytes(file, 'credential report'), EXPORT_REPORT);
  let csv = raw;
  if (raw.trimStart().startsWith('{')) {
    let content: unknown;
    try {
      content = (JSON.parse(raw) as { Content?: unknown }).Content;
    } catch (error) {
      throw inputError(file, `not JSON (${(error as Error).message}); ${EXPORT_REPORT}`);
    }
    if (typeof content !== 'string') throw inputError(file, `expected the base64 report; ${EXPORT_REPORT}`, 'Content');
    csv = text(file, Buffer.from(content, 'base64'), EXPORT_REPORT);
  }
  if (csv.trim() === '') throw inputError(file, `the credential report is empty; ${EXPORT_REPORT}`);
  let rows: CredentialReportRow[];
  try {
    rows = parseCredentialReport(csv);
  } catch (error) {
    throw inputError(file, `not a credential report: ${(error as Error).message}; ${EXPORT_REPORT}`);
  }
  if (rows.length === 0) throw inputError(file, `the credential report has a header but no rows; ${EXPORT_REPORT}`);
  return { csv, rows };
}

function accountFromArns(arns: string[]): string | undefined {
  for (const arn of arns) {
    const account = arn.split(':')[4];
    if (account && /^\d{12}$/.test(account)) return account;
  }
  return undefined;
}

/** Reads and checks one export's files; a file that is missing, unreadable or not what it should be is an input error. */
export async function loadExport(baseDir: string, files: ExportFiles): Promise<LoadedExport> {
  const detailsFile = path.resolve(baseDir, files.authorizationDetails);
  const details = await readDetails(detailsFile);
  const accountId = files.accountId ?? accountFromArns([...details.UserDetailList, ...details.RoleDetailList].map((e) => e.Arn));
  if (!accountId) throw inputError(detailsFile, 'cannot tell the account: no user or role ARN names it; set accountId beside the export');
  const truncatedBy = details.NextToken ? 'NextToken' : details.IsTruncated === true ? 'IsTruncated' : details.Marker ? 'Marker' : undefined;
  const loaded: LoadedExport = { detailsFile, details, accountId, ...(truncatedBy ? { truncatedBy } : {}) };
  if (!files.credentialReport) return loaded;

  const reportFile = path.resolve(baseDir, files.credentialReport);
  const report = await readReport(reportFile);
  const exported = new Set(details.UserDetailList.map((user) => user.Arn));
  if (exported.size > 0 && !report.rows.some((row) => exported.has(row.arn))) {
    throw inputError(
      reportFile,
      `shares no user with ${path.basename(detailsFile)}: it is another account's report or another time's; ${EXPORT_REPORT}`,
    );
  }
  return { ...loaded, report: { file: reportFile, ...report } };
}

/** An export of one page only: the CLI was told to stop (`--max-items`, `--no-paginate`), and the rest is not in the file. */
export class PartialExportError extends Error {
  override readonly name = 'PartialExportError';
  readonly code = 'PartialExport';
}

/**
 * Builds an account snapshot from AWS CLI exports, as auditors often receive files rather than access. An export
 * that holds one page only keeps its raw page as evidence and gives no identity, as a listing that stopped
 * partway does; its account is incomplete.
 */
export async function readExport(baseDir: string, files: ExportFiles, scopeOf: (accountId: string) => ScopeRecorder): Promise<AccountSnapshot | undefined> {
  const { detailsFile, details, accountId, report, truncatedBy } = await loadExport(baseDir, files);
  const recorder = scopeOf(accountId);
  const ref = await recorder.page('GetAccountAuthorizationDetails', { file: path.basename(detailsFile) }, details, {
    records: details.UserDetailList.length + details.GroupDetailList.length + details.RoleDetailList.length + details.Policies.length,
  });
  if (truncatedBy) {
    recorder.error(
      'GetAccountAuthorizationDetails',
      new PartialExportError(`${path.basename(detailsFile)} holds one page only (it still carries ${truncatedBy}): the rest of the account is not in it`),
      { hint: 'export it again without --max-items or --no-paginate: `aws iam get-account-authorization-details --output json`' },
    );
    return undefined;
  }

  const snapshot: AccountSnapshot = {
    accountId,
    users: details.UserDetailList,
    groups: details.GroupDetailList,
    roles: details.RoleDetailList,
    policies: details.Policies,
    awsManagedPolicies: {},
    credentialReport: null,
    accessKeys: {},
    refs: { entities: {} },
  };
  details.UserDetailList.forEach((u, i) => (snapshot.refs.entities[u.Arn] = `${ref}#/body/UserDetailList/${i}`));
  details.RoleDetailList.forEach((r, i) => (snapshot.refs.entities[r.Arn] = `${ref}#/body/RoleDetailList/${i}`));

  if (report) {
    snapshot.credentialReport = report.rows;
    snapshot.refs.credentialReport = await recorder.page('GetCredentialReport', { file: path.basename(report.file) }, { Content: report.csv }, {
      records: report.rows.length,
    });
    snapshot.accessKeys = keysFromReport(report.rows);
    // The keys come from the report itself, so only its users count independently.
    reconcileWithReport(recorder, snapshot, { keys: false });
  } else {
    recorder.unreadable('access-key', `${path.basename(detailsFile)} has no credential report beside it: access keys, console passwords and last use are unknown`);
  }
  return snapshot;
}
