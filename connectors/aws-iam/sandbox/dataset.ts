import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, formatPath, type Problem } from '../../../src/sdk/index.js';

/**
 * The AWS sandbox's dataset: per account, the JSON `aws iam get-account-authorization-details` prints,
 * plus what GAAD does not carry (passwords, access keys, the audit role) and, optionally, the organization.
 * Any field starting with `x-` is the sandbox's own (`x-deleted`: when the item was deleted) and never
 * reaches the wire.
 */

const AWS_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/** Parses the dates AWS tools print: ISO 8601, or boto3's `2019-12-18 19:10:08+00:00`. */
export function parseAwsDate(value: string): Date {
  if (!AWS_DATE.test(value)) return new Date(Number.NaN);
  if (value.length === 10) return new Date(`${value}T00:00:00Z`);
  const iso = value.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1');
  return new Date(iso);
}

const AwsDate = z
  .string()
  .refine((value) => !Number.isNaN(parseAwsDate(value).getTime()), {
    message: 'expected a date such as 2024-05-01T10:00:00Z or 2019-12-18 19:10:08+00:00',
  });
const AccountId = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');

/** An object whose fields are AWS's (all known) or the sandbox's own `x-` fields: catches typos in datasets. */
function awsObject<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.looseObject(shape).superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(shape, key) && !key.startsWith('x-')) {
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown field (known: ${Object.keys(shape).join(', ')})` });
      }
    }
  });
}

const Deleted = { 'x-deleted': AwsDate.optional() };
/** As the AWS CLI prints it (a JSON object), or the policy's JSON text. */
const PolicyDocument = z.union([z.record(z.string(), z.unknown()), z.string()]);
const Tag = awsObject({ Key: z.string(), Value: z.string() });
const InlinePolicy = awsObject({ PolicyName: z.string(), PolicyDocument });
const AttachedPolicy = awsObject({ PolicyName: z.string(), PolicyArn: z.string() });
const PermissionsBoundary = awsObject({ PermissionsBoundaryType: z.string(), PermissionsBoundaryArn: z.string() });
const RoleLastUsed = awsObject({ LastUsedDate: AwsDate.nullish(), Region: z.string().nullish() });

/** One service of GetServiceLastAccessedDetails: a service the principal's policies allow, and its last use. */
const ServiceLastAccessed = awsObject({
  ServiceName: z.string(),
  ServiceNamespace: z.string().min(1),
  LastAuthenticated: AwsDate.optional(),
  LastAuthenticatedRegion: z.string().optional(),
});

const principal = {
  Path: z.string(),
  Arn: z.string(),
  CreateDate: AwsDate,
  /** What GetServiceLastAccessedDetails reports for the principal; none when absent. */
  'x-serviceLastAccessed': z.array(ServiceLastAccessed).optional(),
};

const User = awsObject({
  ...principal,
  UserName: z.string(),
  UserId: z.string(),
  UserPolicyList: z.array(InlinePolicy).nullish(),
  GroupList: z.array(z.string()).nullish(),
  AttachedManagedPolicies: z.array(AttachedPolicy).nullish(),
  PermissionsBoundary: PermissionsBoundary.nullish(),
  Tags: z.array(Tag).nullish(),
  ...Deleted,
});

const Group = awsObject({
  ...principal,
  GroupName: z.string(),
  GroupId: z.string(),
  GroupPolicyList: z.array(InlinePolicy).nullish(),
  AttachedManagedPolicies: z.array(AttachedPolicy).nullish(),
  ...Deleted,
});

const roleBase = {
  ...principal,
  RoleName: z.string(),
  RoleId: z.string(),
  AssumeRolePolicyDocument: PolicyDocument.nullish(),
  Description: z.string().nullish(),
  MaxSessionDuration: z.number().int().nullish(),
  PermissionsBoundary: PermissionsBoundary.nullish(),
  Tags: z.array(Tag).nullish(),
  RoleLastUsed: RoleLastUsed.nullish(),
};

const InstanceProfile = awsObject({
  ...principal,
  InstanceProfileName: z.string(),
  InstanceProfileId: z.string(),
  Roles: z.array(awsObject(roleBase)),
  Tags: z.array(Tag).nullish(),
});

const Role = awsObject({
  ...roleBase,
  InstanceProfileList: z.array(InstanceProfile).nullish(),
  RolePolicyList: z.array(InlinePolicy).nullish(),
  AttachedManagedPolicies: z.array(AttachedPolicy).nullish(),
  ...Deleted,
});

const PolicyVersion = awsObject({
  Document: PolicyDocument.nullish(),
  VersionId: z.string(),
  IsDefaultVersion: z.boolean(),
  CreateDate: AwsDate.nullish(),
});

const ManagedPolicy = awsObject({
  PolicyName: z.string(),
  PolicyId: z.string(),
  Arn: z.string(),
  Path: z.string(),
  DefaultVersionId: z.string(),
  AttachmentCount: z.number().int().nullish(),
  PermissionsBoundaryUsageCount: z.number().int().nullish(),
  IsAttachable: z.boolean(),
  Description: z.string().nullish(),
  CreateDate: AwsDate,
  UpdateDate: AwsDate,
  PolicyVersionList: z.array(PolicyVersion).nullish(),
  ...Deleted,
});

/** Exactly what `aws iam get-account-authorization-details` prints. */
const AuthorizationDetails = awsObject({
  UserDetailList: z.array(User).nullish(),
  GroupDetailList: z.array(Group).nullish(),
  RoleDetailList: z.array(Role).nullish(),
  Policies: z.array(ManagedPolicy).nullish(),
  IsTruncated: z.boolean().nullish(),
  Marker: z.string().nullish(),
});

const AccessKey = awsObject({
  AccessKeyId: z.string().regex(/^\w{16,128}$/, 'expected an access key id: AKIA or ASIA and 16 or more letters and digits'),
  Status: z.enum(['Active', 'Inactive']),
  CreateDate: AwsDate,
  LastUsedDate: AwsDate.nullish(),
  LastUsedService: z.string().nullish(),
  LastUsedRegion: z.string().nullish(),
  /** Earlier last-use dates, so an as-of before LastUsedDate still shows the key's use at that time. */
  'x-earlierUses': z.array(AwsDate).optional(),
  ...Deleted,
});

/** What the credential report knows about a user and GAAD does not. */
const UserCredentials = z.strictObject({
  passwordEnabled: z.boolean(),
  passwordLastUsed: AwsDate.nullish(),
  passwordLastChanged: AwsDate.optional(),
  mfaActive: z.boolean(),
  accessKeys: z.array(AccessKey).optional(),
});

/** The `<root_account>` row of the credential report; defaults to an MFA-protected root without keys. */
const RootAccount = z.strictObject({
  createDate: AwsDate.optional(),
  passwordLastUsed: AwsDate.nullish(),
  mfaActive: z.boolean().optional(),
  accessKeys: z.array(AccessKey).optional(),
});

const LastAccessed = { lastAccessed: AwsDate.optional() };
/** One `findingDetails` entry of GetFindingV2, as AWS returns it for the unused-access finding types. */
const UnusedAccessDetail = z.union([
  z.strictObject({
    unusedPermissionDetails: z.strictObject({
      serviceNamespace: z.string().min(1),
      actions: z.array(z.strictObject({ action: z.string().min(1), ...LastAccessed })).optional(),
      ...LastAccessed,
    }),
  }),
  z.strictObject({ unusedIamRoleDetails: z.strictObject(LastAccessed) }),
  z.strictObject({ unusedIamUserAccessKeyDetails: z.strictObject({ accessKeyId: z.string().min(1), ...LastAccessed }) }),
  z.strictObject({ unusedIamUserPasswordDetails: z.strictObject(LastAccessed) }),
]);

const UNUSED_ACCESS_TYPES = ['UnusedIAMRole', 'UnusedIAMUserAccessKey', 'UnusedIAMUserPassword', 'UnusedPermission'] as const;

/** An unused-access finding as GetFindingV2 returns it; `resourceOwnerAccount` is the account it is listed under. */
const UnusedAccessFinding = awsObject({
  id: z.string().min(1),
  findingType: z.enum(UNUSED_ACCESS_TYPES),
  resource: z.string().startsWith('arn:aws:iam::'),
  resourceType: z.enum(['AWS::IAM::Role', 'AWS::IAM::User']),
  status: z.enum(['ACTIVE', 'ARCHIVED', 'RESOLVED']),
  createdAt: AwsDate,
  updatedAt: AwsDate,
  analyzedAt: AwsDate,
  findingDetails: z.array(UnusedAccessDetail).min(1),
});

/** An analyzer as ListAnalyzers returns it, with the findings it holds (`x-findings`). */
const Analyzer = awsObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'expected an analyzer name: a letter, then letters, digits, _ . -'),
  type: z.enum(['ACCOUNT', 'ORGANIZATION', 'ACCOUNT_UNUSED_ACCESS', 'ORGANIZATION_UNUSED_ACCESS', 'ACCOUNT_INTERNAL_ACCESS', 'ORGANIZATION_INTERNAL_ACCESS']),
  createdAt: AwsDate,
  status: z.enum(['ACTIVE', 'CREATING', 'DISABLED', 'FAILED']),
  configuration: z.strictObject({ unusedAccess: z.strictObject({ unusedAccessAge: z.number().int().min(1).max(365) }) }).optional(),
  'x-findings': z.array(UnusedAccessFinding).optional(),
});

/** IAM Access Analyzer in the account (REST-JSON); without it, ListAnalyzers lists none. */
const AccessAnalyzer = z.strictObject({
  analyzers: z.array(Analyzer),
  /** Operations the audit role is denied (AccessDeniedException). */
  'x-deniedOperations': z.array(z.enum(['ListAnalyzers', 'ListFindingsV2', 'GetFindingV2'])).optional(),
});

const Account = z.strictObject({
  authorizationDetails: AuthorizationDetails,
  credentials: z.record(z.string(), UserCredentials).optional(),
  rootAccount: RootAccount.optional(),
  /** The read-only role the collector assumes into this account. Without it, AssumeRole is denied. */
  auditRole: z.strictObject({ roleName: z.string().min(1), externalId: z.string().min(2).optional() }).optional(),
  /** Replaces computed GetAccountSummary values, e.g. to make the independent count disagree. */
  accountSummaryOverrides: z.record(z.string(), z.number().int()).optional(),
  accessAnalyzer: AccessAnalyzer.optional(),
});

const OrganizationAccount = awsObject({
  Id: AccountId,
  Arn: z.string(),
  Email: z.string(),
  Name: z.string(),
  Status: z.enum(['ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE']).optional(),
  State: z.enum(['ACTIVE', 'CLOSED', 'PENDING_ACTIVATION', 'PENDING_CLOSURE', 'SUSPENDED']),
  JoinedMethod: z.enum(['INVITED', 'CREATED']),
  JoinedTimestamp: AwsDate,
  Paths: z.array(z.string()).optional(),
  /** The root or organizational unit the account sits in (default: the root); gives its `Paths`. */
  'x-parent': z.string().optional(),
  ...Deleted,
});

const RootId = z.string().regex(/^r-[0-9a-z]{4,32}$/, 'expected a root id: r- and 4 to 32 lowercase letters or digits');
const OrganizationalUnit = awsObject({
  Id: z.string().regex(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/, 'expected an organizational unit id such as ou-ab12-11111111'),
  Arn: z.string(),
  Name: z.string(),
  /** The root or organizational unit above it. */
  'x-parent': z.string(),
});

/** A service control policy as DescribePolicy returns it, and the roots, OUs and accounts it is attached to. */
const ServiceControlPolicy = awsObject({
  Id: z.string().regex(/^p-[0-9a-zA-Z_]{8,128}$/, 'expected a policy id such as p-FullAWSAccess or p-examplepolicyid111'),
  Arn: z.string(),
  Name: z.string(),
  Description: z.string().optional(),
  AwsManaged: z.boolean(),
  Content: PolicyDocument,
  'x-targets': z.array(z.string()),
});

const Organization = z.strictObject({
  managementAccountId: AccountId,
  accounts: z.array(OrganizationAccount),
  root: awsObject({ Id: RootId, Arn: z.string(), Name: z.string() }).optional(),
  organizationalUnits: z.array(OrganizationalUnit).optional(),
  /** Service control policies; without them Organizations lists none (the policy type is not enabled). */
  serviceControlPolicies: z.array(ServiceControlPolicy).optional(),
  /** Organizations operations the management account is denied (AccessDeniedException): an audit role without them. */
  'x-deniedOperations': z.array(z.enum(['ListPolicies', 'DescribePolicy', 'ListTargetsForPolicy'])).optional(),
});

const BaseCredentials = z.strictObject({
  accessKeyId: z.string().regex(/^AKIA[A-Z0-9]{12,124}$/, 'expected a long-term access key id (AKIA…)'),
  accountId: AccountId,
  arn: z.string().regex(/^arn:aws:iam::\d{12}:user\/.+$/, 'expected an IAM user ARN'),
});

export const AwsSandboxDatasetSchema = z
  .strictObject({
    baseCredentials: BaseCredentials,
    organization: Organization.optional(),
    accounts: z.record(AccountId, Account),
  })
  .superRefine((dataset, ctx) => {
    const known = (id: string) => Object.hasOwn(dataset.accounts, id);
    if (!known(dataset.baseCredentials.accountId)) {
      ctx.addIssue({ code: 'custom', path: ['baseCredentials', 'accountId'], message: 'no such account in accounts' });
    }
    if (dataset.organization && !known(dataset.organization.managementAccountId)) {
      ctx.addIssue({ code: 'custom', path: ['organization', 'managementAccountId'], message: 'no such account in accounts' });
    }
    const organization = dataset.organization;
    if (organization) {
      const containers = new Set([...(organization.root ? [organization.root.Id] : []), ...(organization.organizationalUnits ?? []).map((ou) => ou.Id)]);
      const targets = new Set([...containers, ...organization.accounts.map((account) => account.Id)]);
      const unknownParent = (parent: string | undefined) => parent !== undefined && !containers.has(parent);
      organization.accounts.forEach((account, index) => {
        if (unknownParent(account['x-parent'])) ctx.addIssue({ code: 'custom', path: ['organization', 'accounts', index, 'x-parent'], message: 'no such root or organizational unit' });
      });
      (organization.organizationalUnits ?? []).forEach((ou, index) => {
        if (unknownParent(ou['x-parent'])) ctx.addIssue({ code: 'custom', path: ['organization', 'organizationalUnits', index, 'x-parent'], message: 'no such root or organizational unit' });
      });
      (organization.serviceControlPolicies ?? []).forEach((policy, index) => {
        policy['x-targets'].forEach((target, targetIndex) => {
          if (!targets.has(target)) {
            ctx.addIssue({ code: 'custom', path: ['organization', 'serviceControlPolicies', index, 'x-targets', targetIndex], message: 'no such root, organizational unit or account' });
          }
        });
      });
      if ((organization.serviceControlPolicies?.length ?? 0) > 0 && !organization.root) {
        ctx.addIssue({ code: 'custom', path: ['organization', 'root'], message: 'service control policies need the root they hang from' });
      }
    }
    for (const [id, account] of Object.entries(dataset.accounts)) {
      const principals = new Set([...(account.authorizationDetails.UserDetailList ?? []), ...(account.authorizationDetails.RoleDetailList ?? [])].map((p) => p.Arn));
      account.accessAnalyzer?.analyzers.forEach((analyzer, index) =>
        analyzer['x-findings']?.forEach((finding, findingIndex) => {
          if (!principals.has(finding.resource)) {
            ctx.addIssue({
              code: 'custom',
              path: ['accounts', id, 'accessAnalyzer', 'analyzers', index, 'x-findings', findingIndex, 'resource'],
              message: 'no user or role with that ARN in authorizationDetails',
            });
          }
        }),
      );
      const users = new Set((account.authorizationDetails.UserDetailList ?? []).map((user) => user.UserName));
      for (const userName of Object.keys(account.credentials ?? {})) {
        if (!users.has(userName)) {
          ctx.addIssue({
            code: 'custom',
            path: ['accounts', id, 'credentials', userName],
            message: 'no user of that name in authorizationDetails.UserDetailList',
          });
        }
      }
    }
  });

export type AwsSandboxDataset = z.infer<typeof AwsSandboxDatasetSchema>;
export type AccountData = AwsSandboxDataset['accounts'][string];
export type AuthorizationDetailsData = AccountData['authorizationDetails'];
export type UserData = NonNullable<AuthorizationDetailsData['UserDetailList']>[number];
export type GroupData = NonNullable<AuthorizationDetailsData['GroupDetailList']>[number];
export type RoleData = NonNullable<AuthorizationDetailsData['RoleDetailList']>[number];
export type ManagedPolicyData = NonNullable<AuthorizationDetailsData['Policies']>[number];
export type UserCredentialsData = z.infer<typeof UserCredentials>;
export type RootAccountData = z.infer<typeof RootAccount>;
export type AccessKeyData = z.infer<typeof AccessKey>;
export type OrganizationAccountData = z.infer<typeof OrganizationAccount>;
export type OrganizationData = z.infer<typeof Organization>;
export type ServiceControlPolicyData = z.infer<typeof ServiceControlPolicy>;
export type AnalyzerData = z.infer<typeof Analyzer>;
export type UnusedAccessFindingData = z.infer<typeof UnusedAccessFinding>;

function problemsOf(error: z.ZodError, dropSegments = 0): Problem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path.slice(dropSegments)), message: issue.message }));
}

/** Validates a dataset built in code; `label` names it in errors. */
export function parseAwsSandboxDataset(value: unknown, label = 'AWS sandbox dataset'): AwsSandboxDataset {
  const result = AwsSandboxDatasetSchema.safeParse(value);
  if (!result.success) throw new ConfigError(label, problemsOf(result.error));
  return result.data;
}

const BASE_CREDENTIALS_FILE = 'base-credentials.json';
const ORGANIZATION_FILE = 'organization.json';

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `not valid JSON: ${(error as Error).message}` }]);
  }
}

async function readOptionalJson(file: string): Promise<unknown> {
  try {
    return await readJson(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The collector's own credentials when the folder has no `base-credentials.json`: a user in the
 * management account (or the only account).
 */
function defaultBaseCredentials(organization: unknown, accountIds: string[]): unknown {
  const managementAccountId = (organization as { managementAccountId?: unknown } | undefined)?.managementAccountId;
  const accountId = typeof managementAccountId === 'string' ? managementAccountId : accountIds.length === 1 ? accountIds[0] : undefined;
  if (accountId === undefined) return undefined;
  return {
    accessKeyId: `AKIASANDBOX${accountId.slice(-9)}`,
    accountId,
    arn: `arn:aws:iam::${accountId}:user/nhi-audit-collector`,
  };
}

/**
 * Reads a dataset folder: `accounts/<12-digit id>.json` (one per account), and optionally
 * `organization.json` and `base-credentials.json`. A bad file is a ConfigError naming the file and field.
 */
export async function loadAwsSandboxDataset(dir: string): Promise<AwsSandboxDataset> {
  const accountsDir = join(dir, 'accounts');
  const names = (await readdir(accountsDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    throw new ConfigError(dir, [{ path: '', message: 'no accounts/ folder: add accounts/<12-digit id>.json, one per account' }]);
  }))
    .filter((name) => name.endsWith('.json'))
    .sort();
  const accounts: Record<string, unknown> = {};
  const files = new Map<string, string>();
  for (const name of names) {
    const file = join(accountsDir, name);
    const id = name.slice(0, -'.json'.length);
    if (!/^\d{12}$/.test(id)) throw new ConfigError(file, [{ path: '', message: 'the file name must be a 12-digit AWS account id' }]);
    accounts[id] = await readJson(file);
    files.set(id, file);
  }
  const organizationFile = join(dir, ORGANIZATION_FILE);
  const organization = await readOptionalJson(organizationFile);
  const baseCredentialsFile = join(dir, BASE_CREDENTIALS_FILE);
  const baseCredentials =
    (await readOptionalJson(baseCredentialsFile)) ?? defaultBaseCredentials(organization, Object.keys(accounts));

  const result = AwsSandboxDatasetSchema.safeParse({ baseCredentials, organization, accounts });
  if (result.success) return result.data;
  const [first] = result.error.issues;
  const [section, accountId] = first?.path ?? [];
  if (section === 'accounts' && typeof accountId === 'string' && files.has(accountId)) {
    const file = files.get(accountId) as string;
    const inFile = result.error.issues.filter((issue) => issue.path[0] === 'accounts' && issue.path[1] === accountId);
    throw new ConfigError(file, problemsOf(new z.ZodError(inFile), 2));
  }
  if (section === 'organization') {
    const inFile = result.error.issues.filter((issue) => issue.path[0] === 'organization');
    throw new ConfigError(organizationFile, problemsOf(new z.ZodError(inFile), 1));
  }
  if (section === 'baseCredentials' && baseCredentials !== undefined) {
    const inFile = result.error.issues.filter((issue) => issue.path[0] === 'baseCredentials');
    throw new ConfigError(baseCredentialsFile, problemsOf(new z.ZodError(inFile), 1));
  }
  throw new ConfigError(dir, [
    ...problemsOf(result.error),
    ...(baseCredentials === undefined
      ? [{ path: '', message: `add ${BASE_CREDENTIALS_FILE} or ${ORGANIZATION_FILE} to say whose credentials the collector uses` }]
      : []),
  ]);
}
