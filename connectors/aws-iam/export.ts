import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ConnectorError, type ScopeRecorder } from '../../src/sdk/index.js';
import { CredentialReportError, parseCredentialReport, type CredentialReportRow } from './credential-report.js';
import type { AccessKeyLike, AccountSnapshot } from './normalize.js';

/** The parts of an authorization-details export nhi-audit reads; other fields pass through untouched. */
const AuthorizationDetailsSchema = z
  .object({
    UserDetailList: z.array(z.looseObject({ UserName: z.string(), Arn: z.string() })).default([]),
    GroupDetailList: z.array(z.looseObject({ GroupName: z.string() })).default([]),
    RoleDetailList: z.array(z.looseObject({ RoleName: z.string(), Arn: z.string() })).default([]),
    Policies: z.array(z.looseObject({ PolicyName: z.string(), Arn: z.string() })).default([]),
  })
  .loose();

async function readJson(source: string, file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConnectorError(source, `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConnectorError(source, `${file} is not JSON: ${(error as Error).message}`, { hint: 'export it with `aws iam get-account-authorization-details --output json`' });
  }
}

/** A credential report file: the CSV itself, or `aws iam get-credential-report` JSON with base64 Content. */
async function readReportCsv(source: string, file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new ConnectorError(source, `cannot read ${file}: ${error.message}`, { cause: error });
  });
  if (!text.trimStart().startsWith('{')) return text;
  const content = (JSON.parse(text) as { Content?: unknown }).Content;
  if (typeof content !== 'string') throw new ConnectorError(source, `${file}: Content: expected the base64 report`);
  return Buffer.from(content, 'base64').toString('utf8');
}

/** Without ListAccessKeys the key ids are unknown: each report slot in use becomes a key named by user and slot. */
export function keysFromReport(rows: readonly CredentialReportRow[]): Record<string, AccessKeyLike[]> {
  const keys: Record<string, AccessKeyLike[]> = {};
  for (const row of rows) {
    const slots = row.accessKeys
      .filter((slot) => slot.active || slot.lastRotated !== null)
      .map((slot) => ({
        AccessKeyId: `${row.user}/access-key-${slot.slot}`,
        Status: slot.active ? 'Active' : 'Inactive',
        ...(slot.lastRotated ? { CreateDate: slot.lastRotated } : {}),
        reportSlot: slot.slot,
      }));
    if (slots.length > 0) keys[row.user] = slots;
  }
  return keys;
}

function accountFromArns(arns: string[]): string | undefined {
  for (const arn of arns) {
    const account = arn.split(':')[4];
    if (account && /^\d{12}$/.test(account)) return account;
  }
  return undefined;
}

/**
 * Builds an account snapshot from AWS CLI exports, as auditors often receive files rather than access.
 */
export async function readExport(
  source: string,
  baseDir: string,
  files: { authorizationDetails: string; credentialReport?: string; accountId?: string },
  scopeOf: (accountId: string) => ScopeRecorder,
): Promise<AccountSnapshot> {
  const detailsFile = path.resolve(baseDir, files.authorizationDetails);
  const parsed = AuthorizationDetailsSchema.safeParse(await readJson(source, detailsFile));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConnectorError(source, `${detailsFile}: ${issue.path.join('.')}: ${issue.message}`, {
      hint: 'expected the JSON printed by `aws iam get-account-authorization-details`',
    });
  }
  const details = parsed.data;
  const accountId =
    files.accountId ?? accountFromArns([...details.UserDetailList, ...details.RoleDetailList].map((e) => e.Arn));
  if (!accountId) throw new ConnectorError(source, `${detailsFile}: cannot tell the account`, { hint: 'set accountId beside the export' });
  const recorder = scopeOf(accountId);
  const ref = await recorder.page('GetAccountAuthorizationDetails', { file: path.basename(detailsFile) }, details, {
    records: details.UserDetailList.length + details.GroupDetailList.length + details.RoleDetailList.length + details.Policies.length,
  });

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

  if (files.credentialReport) {
    const reportFile = path.resolve(baseDir, files.credentialReport);
    const csv = await readReportCsv(source, reportFile);
    try {
      snapshot.credentialReport = parseCredentialReport(csv);
    } catch (error) {
      if (error instanceof CredentialReportError) throw new ConnectorError(source, `${reportFile}: ${error.message}`);
      throw error;
    }
    snapshot.refs.credentialReport = await recorder.page('GetCredentialReport', { file: path.basename(reportFile) }, { Content: csv }, {
      records: snapshot.credentialReport.length,
    });
    snapshot.accessKeys = keysFromReport(snapshot.credentialReport);
  } else {
    recorder.unreadable('access-key', `${path.basename(detailsFile)} has no credential report beside it: access keys, console passwords and last use are unknown`);
  }
  return snapshot;
}
