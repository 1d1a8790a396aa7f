import { z } from 'zod';

/**
 * What each AWS answer must hold before the collection uses it: the fields the normalizer and the reconciliation
 * read, with the types the SDK gives them. Anything else passes through untouched into the raw pages. An entity
 * without its name or ARN fails here, never becomes an empty identity.
 */

const AccountId = z.string().regex(/^\d{12}$/);
const Arn = z.string().startsWith('arn:');
const Name = z.string().min(1);
/** The SDK gives timestamps as Date; CLI exports as text. */
const Timestamp = z.union([z.date(), z.string()]);
const List = <T extends z.ZodType>(item: T) => z.array(item).optional();

const AttachedPolicy = z.looseObject({ PolicyName: Name.optional(), PolicyArn: Arn });
const InlinePolicy = z.looseObject({ PolicyName: Name, PolicyDocument: z.unknown() });

export const UserDetail = z.looseObject({
  UserName: Name,
  Arn,
  CreateDate: Timestamp.optional(),
  GroupList: List(Name),
  UserPolicyList: List(InlinePolicy),
  AttachedManagedPolicies: List(AttachedPolicy),
});
export const GroupDetail = z.looseObject({
  GroupName: Name,
  Arn: Arn.optional(),
  GroupPolicyList: List(InlinePolicy),
  AttachedManagedPolicies: List(AttachedPolicy),
});
export const RoleDetail = z.looseObject({
  RoleName: Name,
  Arn,
  CreateDate: Timestamp.optional(),
  RolePolicyList: List(InlinePolicy),
  AttachedManagedPolicies: List(AttachedPolicy),
});
export const ManagedPolicy = z.looseObject({
  PolicyName: Name,
  Arn,
  DefaultVersionId: z.string().optional(),
  PolicyVersionList: List(z.looseObject({ VersionId: z.string().optional(), IsDefaultVersion: z.boolean().optional(), Document: z.unknown() })),
});

/** One GetAccountAuthorizationDetails page; IAM always says whether more follow. */
export const AuthorizationDetailsPage = z.looseObject({
  UserDetailList: List(UserDetail),
  GroupDetailList: List(GroupDetail),
  RoleDetailList: List(RoleDetail),
  Policies: List(ManagedPolicy),
  IsTruncated: z.boolean(),
  Marker: z.string().optional(),
});

export const AccessKeysPage = z.looseObject({
  AccessKeyMetadata: z.array(z.looseObject({ AccessKeyId: Name, Status: z.enum(['Active', 'Inactive', 'Expired']), CreateDate: Timestamp.optional() })),
  IsTruncated: z.boolean(),
  Marker: z.string().optional(),
});

export const AccountsPage = z.looseObject({
  Accounts: z.array(
    z
      .looseObject({ Id: AccountId, Arn: Arn.optional(), State: z.string().optional(), Status: z.string().optional(), Paths: z.array(z.string()).optional() })
      .refine((account) => account.State !== undefined || account.Status !== undefined, { message: 'State or Status is required' }),
  ),
  NextToken: z.string().optional(),
});

/** Service control policies: their ids, each one's document as JSON text, and where it is attached. */
export const PoliciesPage = z.looseObject({ Policies: z.array(z.looseObject({ Id: Name })), NextToken: z.string().optional() });

export const PolicyDescription = z.looseObject({
  Policy: z.looseObject({ PolicySummary: z.looseObject({ Id: Name, Name: z.string().optional(), Arn: Arn.optional() }), Content: Name }),
});

export const TargetsPage = z.looseObject({
  Targets: z.array(z.looseObject({ TargetId: Name, Type: z.string().optional() })),
  NextToken: z.string().optional(),
});

export const CallerIdentity = z.looseObject({ Account: AccountId, Arn });

export const AssumedRole = z.looseObject({
  Credentials: z.looseObject({ AccessKeyId: Name, SecretAccessKey: Name, SessionToken: Name, Expiration: z.date() }),
});

export const CredentialReportState = z.looseObject({ State: z.enum(['STARTED', 'INPROGRESS', 'COMPLETE']) });

export const CredentialReport = z.looseObject({ Content: z.instanceof(Uint8Array), GeneratedTime: z.date().optional(), ReportFormat: z.string().optional() });

/** The counts the reconciliation compares with the listing. */
export const AccountSummary = z.looseObject({
  SummaryMap: z.looseObject({ Users: z.number().int(), Roles: z.number().int(), Groups: z.number().int(), Policies: z.number().int() }),
});

export const Policy = z.looseObject({ Policy: z.looseObject({ Arn, DefaultVersionId: Name }) });

export const PolicyVersion = z.looseObject({ PolicyVersion: z.looseObject({ Document: Name }) });

/** IAM Access Analyzer: the analyzers, an analyzer's findings, and one finding's details (REST-JSON, lower-case fields). */
export const AnalyzersPage = z.looseObject({
  analyzers: z.array(
    z.looseObject({
      arn: Arn,
      name: Name,
      type: Name,
      status: Name,
      configuration: z.looseObject({ unusedAccess: z.looseObject({ unusedAccessAge: z.number().int().optional() }).optional() }).optional(),
    }),
  ),
  nextToken: z.string().optional(),
});

export const FindingsPage = z.looseObject({
  findings: z.array(z.looseObject({ id: Name, findingType: Name.optional(), resource: z.string().optional() })),
  nextToken: z.string().optional(),
});

const LastAccessed = { lastAccessed: Timestamp.optional() };
export const FindingPage = z.looseObject({
  id: Name,
  findingType: Name,
  resource: Arn,
  findingDetails: z.array(
    z.looseObject({
      unusedPermissionDetails: z
        .looseObject({ serviceNamespace: Name, actions: List(z.looseObject({ action: Name, ...LastAccessed })), ...LastAccessed })
        .optional(),
      unusedIamRoleDetails: z.looseObject(LastAccessed).optional(),
      unusedIamUserAccessKeyDetails: z.looseObject({ accessKeyId: Name, ...LastAccessed }).optional(),
      unusedIamUserPasswordDetails: z.looseObject(LastAccessed).optional(),
    }),
  ),
  nextToken: z.string().optional(),
});

export type AnalyzerSummary = z.output<typeof AnalyzersPage>['analyzers'][number];

/** Service last accessed data: the job, then its report of the services a principal's policies allow. */
export const ServiceLastAccessedJob = z.looseObject({ JobId: Name });

export const ServiceLastAccessedPage = z.looseObject({
  JobStatus: z.enum(['IN_PROGRESS', 'COMPLETED', 'FAILED']),
  ServicesLastAccessed: z.array(z.looseObject({ ServiceNamespace: Name, ServiceName: z.string().optional(), LastAuthenticated: Timestamp.optional() })),
  IsTruncated: z.boolean().optional(),
  Marker: z.string().optional(),
  Error: z.looseObject({ Message: z.string().optional(), Code: z.string().optional() }).optional(),
});
