import {
  GenerateCredentialReportCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  paginateGetAccountAuthorizationDetails,
  paginateListAccessKeys,
  type EntityType,
} from '@aws-sdk/client-iam';
import {
  DescribePolicyCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListPolicies,
  paginateListTargetsForPolicy,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { ConnectorError, type ConnectContext, type ScopeRecorder } from '../../src/sdk/index.js';
import type { AwsIamConfig } from './config.js';
import { parseCredentialReport, type CredentialReportRow } from './credential-report.js';
import type { AccessKeyLike, AccountSnapshot, ManagedPolicyLike, RoleDetailLike, UserDetailLike } from './normalize.js';
import { managementAccountOf, type OrganizationPolicies } from './organization.js';
import { parsePolicyDocument, type PolicyDocument } from './policy.js';
import { PatientRetryStrategy } from './retry.js';

const GAAD_FILTER: EntityType[] = ['User', 'Role', 'Group', 'LocalManagedPolicy'];
const GAAD_PAGE_SIZE = 1000;
const ACCESS_KEY_CALLS_IN_FLIGHT = 4;

/** One account to read, with the credentials to read it. */
export interface AccountTarget {
  accountId: string;
  /** How the collector gets into the account: its own credentials, or a role it assumes. */
  via: { kind: 'caller' } | { kind: 'assume-role'; roleArn: string; externalId?: string };
}

/** Waits so that calls within one account start at least `intervalMs` apart. */
class Pacer {
  private next = 0;
  constructor(private readonly intervalMs: number) {}
  async wait(): Promise<void> {
    if (this.intervalMs <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}

function pageAttempts(output: { $metadata?: { attempts?: number } }): number {
  return output.$metadata?.attempts ?? 1;
}

/** SDK outputs carry transport metadata that is not evidence of the account's state. */
function withoutMetadata<T extends object>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _metadata, ...rest } = output as T & { $metadata?: unknown };
  return rest;
}

/**
 * One credential fetch shared by every client of an account (IAM and STS), refreshed five minutes before it
 * expires: one AssumeRole per account and hour, which keeps STS from throttling a large organization.
 */
function shared(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let cached: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    const current = cached ?? (cached = provider());
    try {
      const identity = await current;
      if (identity.expiration && identity.expiration.getTime() - Date.now() < 300_000) {
        cached = undefined;
        return await (cached = provider());
      }
      return identity;
    } catch (error) {
      cached = undefined;
      throw error;
    }
  };
}

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}

export class AwsIamClient {
  private readonly baseCredentials: AwsCredentialIdentityProvider;
  private readonly awsManagedPolicies = new Map<string, Promise<PolicyDocument | undefined>>();
  /** Account paths and the management account, as ListAccounts showed them: where each SCP applies. */
  private readonly organization: Omit<OrganizationPolicies, 'policies'> = { managementAccountId: undefined, accountPaths: {} };

  constructor(
    readonly config: AwsIamConfig,
    private readonly context: ConnectContext,
  ) {
    this.baseCredentials = this.resolveBaseCredentials();
  }

  private resolveBaseCredentials(): AwsCredentialIdentityProvider {
    const { credentials } = this.config;
    if (credentials?.accessKeyIdEnv || credentials?.secretAccessKeyEnv) {
      const read = (name: string | undefined, field: string): string => {
        const value = name ? this.context.env[name] : undefined;
        if (!value) {
          throw new ConnectorError(this.context.source, `credentials.${field} names ${name ?? 'no variable'}, which is not set`, {
            hint: `export ${name ?? 'the variable'} or remove credentials.${field} to use the AWS SDK's default credential chain`,
          });
        }
        return value;
      };
      const identity: AwsCredentialIdentity = {
        accessKeyId: read(credentials.accessKeyIdEnv, 'accessKeyIdEnv'),
        secretAccessKey: read(credentials.secretAccessKeyEnv, 'secretAccessKeyEnv'),
        ...(credentials.sessionTokenEnv ? { sessionToken: read(credentials.sessionTokenEnv, 'sessionTokenEnv') } : {}),
      };
      return async () => identity;
    }
    if (credentials?.profile) return fromIni({ profile: credentials.profile });
    return fromNodeProviderChain();
  }

  private clientConfig(credentials: AwsCredentialIdentityProvider) {
    const { region, endpoint, retry } = this.config;
    return {
      region,
      credentials,
      ...(endpoint ? { endpoint } : {}),
      retryStrategy: new PatientRetryStrategy(retry),
      maxAttempts: retry.maxAttempts,
    };
  }

  private paced<T extends { middlewareStack: IAMClient['middlewareStack'] }>(client: T): T {
    const pacer = new Pacer(this.config.minIntervalMs);
    client.middlewareStack.add(
      (next) => async (args) => {
        await pacer.wait();
        return next(args);
      },
      { step: 'finalizeRequest', name: 'nhiAuditPacer' },
    );
    return client;
  }

  private credentialsFor(target: AccountTarget): AwsCredentialIdentityProvider {
    if (target.via.kind === 'caller') return this.baseCredentials;
    const { roleArn, externalId } = target.via;
    return shared(fromTemporaryCredentials({
      masterCredentials: this.baseCredentials,
      params: {
        RoleArn: roleArn,
        RoleSessionName: this.config.assumeRole.sessionName,
        DurationSeconds: this.config.assumeRole.durationSeconds,
        ...(externalId ? { ExternalId: externalId } : {}),
      },
      clientConfig: this.clientConfig(this.baseCredentials),
    }));
  }

  /** Who the collector is with its own credentials: the account it stands in and its ARN. */
  async callerIdentity(): Promise<{ account: string; arn: string }> {
    const sts = new STSClient(this.clientConfig(this.baseCredentials));
    try {
      const out = await sts.send(new GetCallerIdentityCommand({}));
      return { account: out.Account ?? '', arn: out.Arn ?? '' };
    } catch (error) {
      if (errorName(error) !== 'CredentialsProviderError') throw error;
      throw new ConnectorError(this.context.source, `no AWS credentials: ${(error as Error).message}`, {
        cause: error,
        hint: 'set credentials.profile, or credentials.accessKeyIdEnv and secretAccessKeyEnv, or provide the AWS SDK default chain (AWS_PROFILE, SSO, instance role)',
      });
    }
  }

  externalId(): string | undefined {
    const name = this.config.assumeRole.externalIdEnv;
    if (!name) return undefined;
    const value = this.context.env[name];
    if (!value) {
      throw new ConnectorError(this.context.source, `assumeRole.externalIdEnv names ${name}, which is not set`, {
        hint: `export ${name} with the external id the audit role's trust policy requires`,
      });
    }
    return value;
  }

  /** Active accounts of the organization, read with the caller's credentials (management or delegated admin). */
  async organizationAccounts(recorder: ScopeRecorder): Promise<string[]> {
    const client = new OrganizationsClient(this.clientConfig(this.baseCredentials));
    const ids: string[] = [];
    const parameters = { MaxResults: 20 };
    for await (const page of paginateListAccounts({ client, pageSize: 20 }, {})) {
      const accounts = page.Accounts ?? [];
      await recorder.page('ListAccounts', parameters, withoutMetadata(page), { records: accounts.length, attempts: pageAttempts(page) });
      for (const account of accounts) {
        const state = account.State ?? account.Status;
        if (account.Id && state === 'ACTIVE') ids.push(account.Id);
        if (account.Id) this.organization.accountPaths[account.Id] = account.Paths ?? [];
        this.organization.managementAccountId ??= managementAccountOf(account.Arn);
      }
    }
    return ids;
  }

  /**
   * The organization's service control policies: ListPolicies, then DescribePolicy and ListTargetsForPolicy
   * once per policy. Called after organizationAccounts, whose account paths place each policy.
   */
  async serviceControlPolicies(recorder: ScopeRecorder): Promise<OrganizationPolicies> {
    const client = new OrganizationsClient(this.clientConfig(this.baseCredentials));
    const policies: OrganizationPolicies['policies'] = [];
    const filter = { Filter: 'SERVICE_CONTROL_POLICY' as const };
    for await (const page of paginateListPolicies({ client, pageSize: 20 }, filter)) {
      await recorder.page('ListPolicies', { ...filter, MaxResults: 20 }, withoutMetadata(page), { records: page.Policies?.length ?? 0, attempts: pageAttempts(page) });
      for (const summary of page.Policies ?? []) {
        if (!summary.Id) continue;
        const described = await client.send(new DescribePolicyCommand({ PolicyId: summary.Id }));
        await recorder.page('DescribePolicy', { PolicyId: summary.Id }, withoutMetadata(described), { records: 1, attempts: pageAttempts(described) });
        const targets: OrganizationPolicies['policies'][number]['targets'] = [];
        for await (const targetPage of paginateListTargetsForPolicy({ client, pageSize: 20 }, { PolicyId: summary.Id })) {
          await recorder.page('ListTargetsForPolicy', { PolicyId: summary.Id, MaxResults: 20 }, withoutMetadata(targetPage), {
            records: targetPage.Targets?.length ?? 0,
            attempts: pageAttempts(targetPage),
          });
          for (const target of targetPage.Targets ?? []) if (target.TargetId) targets.push({ TargetId: target.TargetId, ...(target.Type ? { Type: target.Type } : {}) });
        }
        const content = described.Policy?.Content;
        policies.push({ policy: { Id: summary.Id, ...(summary.Name ? { Name: summary.Name } : {}), ...(summary.Arn ? { Arn: summary.Arn } : {}), ...(content ? { Content: content } : {}) }, targets });
      }
    }
    return { ...this.organization, policies };
  }

  /** Reads one account: GAAD in pages of 1000, the credential report, access keys of users that have keys. */
  async readAccount(target: AccountTarget, recorder: ScopeRecorder): Promise<AccountSnapshot> {
    const credentials = this.credentialsFor(target);
    const iam = this.paced(new IAMClient(this.clientConfig(credentials)));
    const sts = new STSClient(this.clientConfig(credentials));
    const caller = await sts.send(new GetCallerIdentityCommand({}));
    if (caller.Arn) recorder.collector(caller.Arn);
    if (caller.Account && caller.Account !== target.accountId) {
      throw new ConnectorError(this.context.source, `credentials for account ${target.accountId} act in account ${caller.Account}`);
    }

    const snapshot: AccountSnapshot = {
      accountId: target.accountId,
      users: [],
      groups: [],
      roles: [],
      policies: [],
      awsManagedPolicies: {},
      credentialReport: null,
      accessKeys: {},
      refs: { entities: {} },
    };
    await this.readAuthorizationDetails(iam, recorder, snapshot);
    snapshot.credentialReport = await this.readCredentialReport(iam, recorder, snapshot);
    await this.readAccessKeys(iam, recorder, snapshot);
    await this.readAwsManagedPolicies(iam, recorder, snapshot);
    await this.reconcile(iam, recorder, snapshot);
    return snapshot;
  }

  private async readAuthorizationDetails(iam: IAMClient, recorder: ScopeRecorder, snapshot: AccountSnapshot): Promise<void> {
    const parameters = { Filter: GAAD_FILTER, MaxItems: GAAD_PAGE_SIZE };
    for await (const page of paginateGetAccountAuthorizationDetails({ client: iam, pageSize: GAAD_PAGE_SIZE }, { Filter: GAAD_FILTER })) {
      const users = (page.UserDetailList ?? []) as UserDetailLike[];
      const groups = page.GroupDetailList ?? [];
      const roles = (page.RoleDetailList ?? []) as RoleDetailLike[];
      const policies = (page.Policies ?? []) as ManagedPolicyLike[];
      const ref = await recorder.page('GetAccountAuthorizationDetails', parameters, withoutMetadata(page), {
        records: users.length + groups.length + roles.length + policies.length,
        attempts: pageAttempts(page),
      });
      users.forEach((u, i) => u.Arn && (snapshot.refs.entities[u.Arn] = `${ref}#/body/UserDetailList/${i}`));
      roles.forEach((r, i) => r.Arn && (snapshot.refs.entities[r.Arn] = `${ref}#/body/RoleDetailList/${i}`));
      snapshot.users.push(...users);
      snapshot.groups.push(...groups);
      snapshot.roles.push(...roles);
      snapshot.policies.push(...policies);
    }
  }

  private async readCredentialReport(iam: IAMClient, recorder: ScopeRecorder, snapshot: AccountSnapshot): Promise<CredentialReportRow[] | null> {
    const { pollIntervalMs, maxPolls } = this.config.credentialReport;
    try {
      for (let poll = 1; ; poll++) {
        const generated = await iam.send(new GenerateCredentialReportCommand({}));
        if (generated.State === 'COMPLETE') break;
        if (poll >= maxPolls) throw new Error(`credential report still ${generated.State} after ${maxPolls} polls`);
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      }
      const report = await iam.send(new GetCredentialReportCommand({}));
      const csv = new TextDecoder().decode(report.Content ?? new Uint8Array());
      const rows = parseCredentialReport(csv);
      snapshot.refs.credentialReport = await recorder.page(
        'GetCredentialReport',
        {},
        { GeneratedTime: report.GeneratedTime, ReportFormat: report.ReportFormat, Content: csv },
        { records: rows.length, attempts: pageAttempts(report) },
      );
      return rows;
    } catch (error) {
      recorder.error('GetCredentialReport', error, {
        hint: 'the collector needs iam:GenerateCredentialReport and iam:GetCredentialReport; without the report, console use and key use are unknown',
      });
      return null;
    }
  }

  /**
   * ListAccessKeys for the users the report shows with keys (all users without a report). A few calls are in
   * flight at once; the account's pacer still spaces their starts, so the account's rate stays bounded.
   */
  private async readAccessKeys(iam: IAMClient, recorder: ScopeRecorder, snapshot: AccountSnapshot): Promise<void> {
    const report = snapshot.credentialReport;
    const withKeys = report
      ? new Set(report.filter((row) => row.accessKeys.some((k) => k.active || k.lastRotated !== null)).map((row) => row.user))
      : null;
    const names = snapshot.users.map((u) => u.UserName).filter((name): name is string => !!name && (!withKeys || withKeys.has(name)));
    const limit = pLimit(ACCESS_KEY_CALLS_IN_FLIGHT);
    await Promise.all(
      names.map((userName) =>
        limit(async () => {
          const keys: AccessKeyLike[] = [];
          try {
            for await (const page of paginateListAccessKeys({ client: iam }, { UserName: userName })) {
              const metadata = page.AccessKeyMetadata ?? [];
              await recorder.page('ListAccessKeys', { UserName: userName }, withoutMetadata(page), { records: metadata.length, attempts: pageAttempts(page) });
              keys.push(...metadata);
            }
            snapshot.accessKeys[userName] = keys;
          } catch (error) {
            if (errorName(error) === 'NoSuchEntityException') return; // deleted between GAAD and this call
            recorder.error('ListAccessKeys', error, { hint: 'the collector needs iam:ListAccessKeys' });
          }
        }),
      ),
    );
  }

  /** GAAD without the AWSManagedPolicy filter omits AWS managed documents; read the attached ones (and boundaries) once per source. */
  private async readAwsManagedPolicies(iam: IAMClient, recorder: ScopeRecorder, snapshot: AccountSnapshot): Promise<void> {
    const known = new Set(snapshot.policies.map((p) => p.Arn));
    const attached = new Set<string>();
    for (const entity of [...snapshot.users, ...snapshot.roles, ...snapshot.groups]) {
      const boundary = 'PermissionsBoundary' in entity ? entity.PermissionsBoundary?.PermissionsBoundaryArn : undefined;
      for (const arn of [...(entity.AttachedManagedPolicies ?? []).map((policy) => policy.PolicyArn), boundary]) {
        if (arn?.startsWith('arn:aws:iam::aws:policy/') && !known.has(arn)) attached.add(arn);
      }
    }
    for (const arn of [...attached].sort()) {
      let pending = this.awsManagedPolicies.get(arn);
      if (!pending) {
        pending = this.readPolicy(iam, recorder, arn);
        this.awsManagedPolicies.set(arn, pending);
      }
      const document = await pending;
      if (document) snapshot.awsManagedPolicies[arn] = document;
    }
  }

  private async readPolicy(iam: IAMClient, recorder: ScopeRecorder, arn: string): Promise<PolicyDocument | undefined> {
    try {
      const policy = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
      const versionId = policy.Policy?.DefaultVersionId;
      await recorder.page('GetPolicy', { PolicyArn: arn }, withoutMetadata(policy), { records: 1, attempts: pageAttempts(policy) });
      const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
      await recorder.page('GetPolicyVersion', { PolicyArn: arn, VersionId: versionId }, withoutMetadata(version), { records: 1, attempts: pageAttempts(version) });
      return parsePolicyDocument(version.PolicyVersion?.Document);
    } catch (error) {
      recorder.error('GetPolicyVersion', error, { hint: 'the collector needs iam:GetPolicy and iam:GetPolicyVersion to judge AWS managed policies' });
      return undefined;
    }
  }

  /** GetAccountSummary counts IAM entities independently of GAAD: a mismatch means the listing missed some. */
  private async reconcile(iam: IAMClient, recorder: ScopeRecorder, snapshot: AccountSnapshot): Promise<void> {
    try {
      const summary = await iam.send(new GetAccountSummaryCommand({}));
      await recorder.page('GetAccountSummary', {}, withoutMetadata(summary), { records: 1, attempts: pageAttempts(summary) });
      const counts = summary.SummaryMap ?? {};
      const customerPolicies = snapshot.policies.filter((p) => !p.Arn?.startsWith('arn:aws:iam::aws:')).length;
      recorder.reconcile('GetAccountSummary.Users = users in GAAD', counts.Users ?? 0, snapshot.users.length);
      recorder.reconcile('GetAccountSummary.Roles = roles in GAAD', counts.Roles ?? 0, snapshot.roles.length);
      recorder.reconcile('GetAccountSummary.Groups = groups in GAAD', counts.Groups ?? 0, snapshot.groups.length);
      recorder.reconcile('GetAccountSummary.Policies = customer managed policies in GAAD', counts.Policies ?? 0, customerPolicies);
      if (snapshot.credentialReport) {
        const reportUsers = snapshot.credentialReport.filter((row) => row.user !== '<root_account>').length;
        recorder.reconcile('credential report users = users in GAAD', reportUsers, snapshot.users.length);
      }
    } catch (error) {
      recorder.error('GetAccountSummary', error, { hint: 'the collector needs iam:GetAccountSummary for the independent count' });
    }
  }
}
