import {
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { AccessAnalyzerClient, ListAnalyzersCommand } from '@aws-sdk/client-accessanalyzer';
import { DescribePolicyCommand, ListPoliciesCommand, ListTargetsForPolicyCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';
import { ConnectorError, discardingRecorder, type ConnectContext, type DoctorReport, type PermissionCheck } from '../../src/sdk/index.js';
import { AwsIamClient, type AccountTarget } from './client.js';
import { errorCode } from './errors.js';
import type { AwsIamConfig } from './config.js';
import * as Responses from './responses.js';

/** What the provider answers when a permission is refused, by protocol (awsQuery, JSON) and service. */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError']);
/** Answers that can only come after the permission check passed: the call was allowed, its object was not there. */
const ALLOWED_BUT = new Set(['NoSuchEntity', 'NoSuchEntityException', 'ReportNotPresent', 'ReportInProgress', 'ReportExpired', 'PolicyNotFoundException']);

/** An AWS managed policy every account has: enough to test GetPolicy and GetPolicyVersion without guessing a name. */
const PROBE_MANAGED_POLICY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

/** The IAM reads of one account, as the collection makes them: the actions the audit role needs. */
export const ACCOUNT_ACTIONS = [
  'iam:GenerateCredentialReport',
  'iam:GetAccountAuthorizationDetails',
  'iam:GetAccountSummary',
  'iam:GetCredentialReport',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  'iam:ListAccessKeys',
  // Unused privilege: Access Analyzer's findings, or service last accessed data where an account has no analyzer.
  'access-analyzer:GetFindingV2',
  'access-analyzer:ListAnalyzers',
  'access-analyzer:ListFindingsV2',
  'iam:GenerateServiceLastAccessedDetails',
  'iam:GetServiceLastAccessedDetails',
] as const;
/** Discovery and the service control policies, read with the collector's own credentials. */
export const ORGANIZATION_ACTIONS = ['organizations:DescribePolicy', 'organizations:ListAccounts', 'organizations:ListPolicies', 'organizations:ListTargetsForPolicy'] as const;

const unrecorded = discardingRecorder('doctor');

/** The least-privilege IAM policy for this configuration, one statement per principal that needs it. */
export function auditPolicy(config: AwsIamConfig): Record<string, unknown> {
  const assumed = config.accounts.map((account) => account.roleArn).filter((arn): arn is string => arn !== undefined);
  const assumesByName = config.organizations?.discover || config.accounts.some((account) => account.roleArn === undefined);
  const roles = [...(assumesByName ? [`arn:aws:iam::*:role/${config.assumeRole.roleName}`] : []), ...assumed].sort();
  const statements: Record<string, unknown>[] = [{ Sid: 'NhiAuditReadIam', Effect: 'Allow', Action: [...ACCOUNT_ACTIONS], Resource: '*' }];
  if (config.organizations?.discover) {
    statements.push({ Sid: 'NhiAuditReadOrganization', Effect: 'Allow', Action: [...ORGANIZATION_ACTIONS], Resource: '*' });
  }
  if (roles.length > 0 && (config.organizations?.discover || config.accounts.length > 0)) {
    statements.push({ Sid: 'NhiAuditAssumeAuditRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roles });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** One check: granted, missing when AWS refuses it, unknown when the call failed for another reason. */
async function probe(scope: string, permission: string, call: () => Promise<unknown>): Promise<PermissionCheck> {
  const operation = permission.split(':')[1]!;
  try {
    await call();
    return { scope, permission, operation, status: 'granted' };
  } catch (error) {
    const code = errorCode(error);
    if (ALLOWED_BUT.has(code)) return { scope, permission, operation, status: 'granted' };
    return { scope, permission, operation, status: DENIED.has(code) ? 'missing' : 'unknown', detail: `${code}: ${(error as Error).message}` };
  }
}

/** The collector's clients, used for one cheap call per permission instead of a collection. */
class DoctorClient extends AwsIamClient {
  constructor(
    config: AwsIamConfig,
    private readonly source: string,
    context: ConnectContext,
  ) {
    super(config, context);
  }

  async caller(): Promise<{ account: string; arn: string }> {
    try {
      return await this.callerIdentity();
    } catch (error) {
      if (error instanceof ConnectorError) throw error;
      throw new ConnectorError(this.source, `who the credentials are is unknown: ${(error as Error).message}`, {
        cause: error,
        hint: 'check the endpoint, the network and the credentials (sts:GetCallerIdentity needs no permission)',
      });
    }
  }

  async discovered(callerAccount: string, checks: PermissionCheck[]): Promise<string[]> {
    let accounts: string[] = [];
    checks.push(
      await probe('organization', 'organizations:ListAccounts', async () => {
        accounts = await this.organizationAccounts(unrecorded, callerAccount);
      }),
    );
    const organizations = new OrganizationsClient(this.clientConfig(this.baseCredentials));
    let policyId: string | undefined;
    checks.push(
      await probe('organization', 'organizations:ListPolicies', async () => {
        const { body } = await this.request('ListPolicies', Responses.PoliciesPage, (options) =>
          organizations.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY', MaxResults: 1 }), options),
        );
        policyId = body.Policies[0]?.Id;
      }),
    );
    // DescribePolicy and ListTargetsForPolicy need a policy to ask about: the first one ListPolicies showed.
    if (policyId) {
      const PolicyId = policyId;
      checks.push(
        await probe('organization', 'organizations:DescribePolicy', () =>
          this.request('DescribePolicy', Responses.PolicyDescription, (options) => organizations.send(new DescribePolicyCommand({ PolicyId }), options)),
        ),
        await probe('organization', 'organizations:ListTargetsForPolicy', () =>
          this.request('ListTargetsForPolicy', Responses.TargetsPage, (options) =>
            organizations.send(new ListTargetsForPolicyCommand({ PolicyId, MaxResults: 1 }), options),
          ),
        ),
      );
    }
    return accounts;
  }

  /** Into one account (AssumeRole unless it is the caller's), then one call per IAM read the collection makes there. */
  async account(target: AccountTarget, checks: PermissionCheck[]): Promise<string | undefined> {
    const scope = target.accountId;
    const credentials = this.credentialsFor(target);
    if (target.via.kind === 'assume-role') {
      const assume = await probe(scope, 'sts:AssumeRole', () => credentials());
      if (assume.status !== 'granted') {
        checks.push({ ...assume, detail: `${assume.detail ?? ''} (role ${target.via.roleArn})` });
        return undefined;
      }
      checks.push(assume);
    }
    const sts = new STSClient(this.clientConfig(credentials));
    const { body: caller } = await this.request('GetCallerIdentity', Responses.CallerIdentity, (options) => sts.send(new GetCallerIdentityCommand({}), options));
    const iam = new IAMClient(this.clientConfig(credentials));
    let user: string | undefined;
    let versionId: string | undefined;
    checks.push(
      await probe(scope, 'iam:GetAccountAuthorizationDetails', async () => {
        const { body } = await this.request('GetAccountAuthorizationDetails', Responses.AuthorizationDetailsPage, (options) =>
          iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'], MaxItems: 1 }), options),
        );
        user = body.UserDetailList?.[0]?.UserName;
      }),
      await probe(scope, 'iam:GenerateCredentialReport', () =>
        this.request('GenerateCredentialReport', Responses.CredentialReportState, (options) => iam.send(new GenerateCredentialReportCommand({}), options)),
      ),
      await probe(scope, 'iam:GetCredentialReport', () =>
        this.request('GetCredentialReport', Responses.CredentialReport, (options) => iam.send(new GetCredentialReportCommand({}), options)),
      ),
      await probe(scope, 'iam:GetAccountSummary', () =>
        this.request('GetAccountSummary', Responses.AccountSummary, (options) => iam.send(new GetAccountSummaryCommand({}), options)),
      ),
      await probe(scope, 'iam:GetPolicy', async () => {
        const { body } = await this.request('GetPolicy', Responses.Policy, (options) => iam.send(new GetPolicyCommand({ PolicyArn: PROBE_MANAGED_POLICY }), options));
        versionId = body.Policy.DefaultVersionId;
      }),
    );
    const VersionId = versionId ?? 'v1';
    checks.push(
      await probe(scope, 'iam:GetPolicyVersion', () =>
        this.request('GetPolicyVersion', Responses.PolicyVersion, (options) =>
          iam.send(new GetPolicyVersionCommand({ PolicyArn: PROBE_MANAGED_POLICY, VersionId }), options),
        ),
      ),
    );
    // Listing analyzers is the cheap call of Access Analyzer's group; the findings' reads need an analyzer's ARN.
    const analyzer = new AccessAnalyzerClient(this.clientConfig(credentials));
    checks.push(
      await probe(scope, 'access-analyzer:ListAnalyzers', () =>
        this.request('ListAnalyzers', Responses.AnalyzersPage, (options) => analyzer.send(new ListAnalyzersCommand({ maxResults: 1 }), options)),
      ),
    );
    // ListAccessKeys names a user; an account without users never has the collection call it.
    const UserName = user;
    if (UserName) {
      checks.push(
        await probe(scope, 'iam:ListAccessKeys', () =>
          this.request('ListAccessKeys', Responses.AccessKeysPage, (options) => iam.send(new ListAccessKeysCommand({ UserName, MaxItems: 1 }), options)),
        ),
      );
    }
    return caller.Arn;
  }
}

/** `nhi-audit doctor` for aws-iam: the caller, the organization's reads, and each account through its audit role. */
export async function diagnose(config: AwsIamConfig, context: ConnectContext): Promise<DoctorReport> {
  const policy = auditPolicy(config);
  const grant = {
    description: `an IAM policy document: attach it to the audit role (${config.assumeRole.roleName}) in every account and to the collector's own user or role`,
    fileSuffix: 'aws-iam-policy.json',
    content: `${JSON.stringify(policy, null, 2)}\n`,
  };
  if (config.exports) return { principals: [{ scope: context.source, identity: 'AWS CLI exports read offline' }], checks: [], grant };

  const client = new DoctorClient(config, context.source, context);
  const caller = await client.caller();
  const principals = [{ scope: 'credentials', identity: caller.arn }];
  const checks: PermissionCheck[] = [];
  const externalId = client.externalId();
  const explicit = new Map(config.accounts.map((a) => [a.id, a.roleArn]));
  const ids = new Set(explicit.keys());
  if (config.organizations?.discover) {
    for (const id of await client.discovered(caller.account, checks)) if (!config.organizations.exclude.includes(id)) ids.add(id);
  }
  if (ids.size === 0) ids.add(caller.account);
  const targets: AccountTarget[] = [...ids].sort().map((accountId) => ({
    accountId,
    via:
      accountId === caller.account && !explicit.get(accountId)
        ? { kind: 'caller' }
        : { kind: 'assume-role', roleArn: explicit.get(accountId) ?? `arn:aws:iam::${accountId}:role/${config.assumeRole.roleName}`, ...(externalId ? { externalId } : {}) },
  }));
  const limit = pLimit(config.concurrency);
  const perAccount = await Promise.all(
    targets.map((target) =>
      limit(async () => {
        const accountChecks: PermissionCheck[] = [];
        const arn = await client.account(target, accountChecks).catch((error: unknown) => {
          accountChecks.push({ scope: target.accountId, permission: 'sts:GetCallerIdentity', operation: 'GetCallerIdentity', status: 'unknown', detail: (error as Error).message });
          return undefined;
        });
        return { target, arn, checks: accountChecks };
      }),
    ),
  );
  for (const account of perAccount) {
    if (account.arn) principals.push({ scope: account.target.accountId, identity: account.arn });
    checks.push(...account.checks);
  }
  return { principals, checks, grant };
}
