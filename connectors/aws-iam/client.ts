import {
  GenerateCredentialReportCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetServiceLastAccessedDetailsCommand,
  IAMClient,
  ListAccessKeysCommand,
  type EntityType,
} from '@aws-sdk/client-iam';
import { AccessAnalyzerClient, GetFindingV2Command, ListAnalyzersCommand, ListFindingsV2Command } from '@aws-sdk/client-accessanalyzer';
import { DescribePolicyCommand, ListAccountsCommand, ListPoliciesCommand, ListTargetsForPolicyCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultRateLimiter } from '@smithy/util-retry';
import pLimit from 'p-limit';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger as SdkLogger } from '@smithy/types';
import type { z } from 'zod';
import {
  ConnectorError,
  InvalidResponseError,
  PageGuard,
  validateResponse,
  withRetries,
  type ConnectContext,
  type ScopeRecorder,
} from '../../src/sdk/index.js';
import type { AwsIamConfig } from './config.js';
import { AwsRequestError, errorCode, operationOf } from './errors.js';
import { keysFromReport, parseCredentialReport, type CredentialReportRow } from './credential-report.js';
import type { AccessKeyLike, AccountSnapshot } from './normalize.js';
import { managementAccountOf, type OrganizationPolicies } from './organization.js';
import { parsePolicyDocument, type PolicyDocument } from './policy.js';
import * as Responses from './responses.js';
import { reconcileWithReport } from './reconcile.js';
import { SeenItems } from './listing.js';
import { PatientRetryStrategy } from './retry.js';
import { namespaces, SERVICE_LAST_ACCESSED_SOURCE, type ServiceLastAccessed, type ServiceLastAccessedRow } from './service-last-accessed.js';
import { ACCESS_ANALYZER_SOURCE, detailKey, UNUSED_FINDING_TYPES, unusedAccessAnalyzer, type UnusedAccess, type UnusedAccessFindingLike } from './unused-access.js';
import { AwsQueryReadingFast } from './xml.js';

const GAAD_FILTER: EntityType[] = ['User', 'Role', 'Group', 'LocalManagedPolicy'];
const GAAD_PAGE_SIZE = 1000;
const ACCESS_KEY_CALLS_IN_FLIGHT = 4;
const ACCESS_ANALYZER_PAGE_SIZE = 100;
const ACCESS_ANALYZER_PERMISSIONS = 'access-analyzer:ListAnalyzers, access-analyzer:ListFindingsV2 and access-analyzer:GetFindingV2';

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

interface SdkOutput {
  $metadata?: { attempts?: number };
}

/** SDK outputs carry transport metadata that is not evidence of the account's state. */
function withoutMetadata<T extends object>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _metadata, ...rest } = output as T & { $metadata?: unknown };
  return rest;
}

function attemptsOf(error: unknown): number {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata?.attempts;
  return typeof attempts === 'number' ? attempts : 1;
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


/**
 * The SDK's logger, as quiet as its default, but with no `info`. After every call the SDK's logger middleware
 * builds the line it would log at info, a copy of the whole answer with sensitive fields masked
 * (`schemaLogFilter`), unless the logger has no `info` at all. Its default logger drops that line after it was built:
 * at 100 000 identities, about 380 MB of copies of GetAccountAuthorizationDetails pages made for nothing.
 */
const QUIET_SDK_LOGGER = { debug() {}, warn() {}, error() {} } as Omit<SdkLogger, 'info'> as SdkLogger;

export class AwsIamClient {
  protected readonly baseCredentials: AwsCredentialIdentityProvider;
  private readonly awsManagedPolicies = new Map<string, Promise<PolicyDocument | undefined>>();
  /** Account paths and the management account, as ListAccounts showed them: where each SCP applies. */
  private readonly organization: Omit<OrganizationPolicies, 'policies'> = { managementAccountId: undefined, accountPaths: {} };
  private signal: AbortSignal | undefined;

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

  /** Every request of the collection carries this signal: the source aborts it when it fails or passes its deadline. */
  abortOn(signal: AbortSignal): void {
    this.signal = signal;
  }

  /**
   * The one configuration of every SDK client (IAM, STS, Organizations): connect and response timeouts from the
   * source's `timeouts`, the SDK's retry of throttling, server errors, resets, timeouts and unreadable bodies, and
   * a sending rate that adapts to throttling.
   */
  protected clientConfig(credentials: AwsCredentialIdentityProvider) {
    const { region, endpoint, retry } = this.config;
    const { connectMs, requestMs } = this.context.timeouts;
    return {
      region,
      credentials,
      ...(endpoint ? { endpoint } : {}),
      requestHandler: { connectionTimeout: connectMs, requestTimeout: requestMs, socketTimeout: requestMs, throwOnRequestTimeout: true },
      // One limiter per client, so per account: IAM throttles each account on its own.
      retryStrategy: new PatientRetryStrategy(retry, Math.random, new DefaultRateLimiter()),
      maxAttempts: retry.maxAttempts,
      logger: QUIET_SDK_LOGGER,
    };
  }

  /**
   * The request layer every AWS call goes through: sends with the source's signal, validates the answer for the
   * fields the collection reads, and tries again when it is not what the operation returns (the SDK's own retry
   * has already covered throttling, server errors, resets, timeouts and bodies it could not parse). Returns the
   * answer without transport metadata and the attempts it took in all, for the manifest. A failure names the
   * operation.
   */
  protected async request<Schema extends z.ZodType>(
    operation: string,
    schema: Schema,
    send: (options: { abortSignal?: AbortSignal }) => Promise<SdkOutput>,
  ): Promise<{ body: z.output<Schema>; attempts: number }> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.config.retry;
    let attempts = 0;
    try {
      const { value } = await withRetries(
        async () => {
          let output: SdkOutput;
          try {
            output = await send(this.signal ? { abortSignal: this.signal } : {});
          } catch (error) {
            attempts += attemptsOf(error);
            throw error;
          }
          attempts += output.$metadata?.attempts ?? 1;
          return validateResponse(operation, schema, withoutMetadata(output));
        },
        {
          attempts: maxAttempts,
          baseDelayMs,
          maxDelayMs,
          // Only this call's own invalid answers: the SDK has retried everything else already.
          classify: (error) => ({ retry: error instanceof InvalidResponseError && error.operation === operation }),
          ...(this.signal ? { signal: this.signal } : {}),
        },
      );
      return { body: value, attempts };
    } catch (error) {
      // A session refresh that failed inside this call is the AssumeRole's failure, already named.
      throw error instanceof AwsRequestError ? error : new AwsRequestError(operation, error, attempts);
    }
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

  /** AssumeRole through the request layer, so the session is validated, time-limited and retried like every call. */
  protected credentialsFor(target: AccountTarget): AwsCredentialIdentityProvider {
    if (target.via.kind === 'caller') return this.baseCredentials;
    const { roleArn, externalId } = target.via;
    const sts = new STSClient(this.clientConfig(this.baseCredentials));
    return shared(async () => {
      const { body } = await this.request('AssumeRole', Responses.AssumedRole, (options) =>
        sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: this.config.assumeRole.sessionName,
            DurationSeconds: this.config.assumeRole.durationSeconds,
            ...(externalId ? { ExternalId: externalId } : {}),
          }),
          options,
        ),
      );
      const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = body.Credentials;
      return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken, expiration: Expiration };
    });
  }

  /** Who the collector is with its own credentials: the account it stands in and its ARN. */
  async callerIdentity(): Promise<{ account: string; arn: string }> {
    const sts = new STSClient(this.clientConfig(this.baseCredentials));
    try {
      const { body } = await this.request('GetCallerIdentity', Responses.CallerIdentity, (options) => sts.send(new GetCallerIdentityCommand({}), options));
      return { account: body.Account, arn: body.Arn };
    } catch (error) {
      if (errorCode(error) !== 'CredentialsProviderError') throw error;
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

  /**
   * Active accounts of the organization, read with the caller's credentials (management or delegated admin). The
   * caller's own account belongs to the organization: a listing without it is short, whatever it says.
   */
  async organizationAccounts(recorder: ScopeRecorder, callerAccount: string): Promise<string[]> {
    const client = new OrganizationsClient(this.clientConfig(this.baseCredentials));
    const listed = new Set<string>();
    const ids: string[] = [];
    const parameters = { MaxResults: 20 };
    const guard = new PageGuard('ListAccounts', this.context.paging);
    const seen = new SeenItems('ListAccounts');
    let token: string | undefined;
    do {
      const next = token;
      const { body: page, attempts } = await this.request('ListAccounts', Responses.AccountsPage, (options) =>
        client.send(new ListAccountsCommand({ ...parameters, ...(next ? { NextToken: next } : {}) }), options),
      );
      await recorder.page('ListAccounts', parameters, page, { records: page.Accounts.length, attempts });
      seen.add(page.Accounts.map((account) => account.Id));
      for (const account of page.Accounts) {
        listed.add(account.Id);
        if ((account.State ?? account.Status) === 'ACTIVE') ids.push(account.Id);
        this.organization.accountPaths[account.Id] = account.Paths ?? [];
        this.organization.managementAccountId ??= managementAccountOf(account.Arn);
      }
      token = guard.next({ items: page.Accounts.length, cursor: page.NextToken });
    } while (token);
    recorder.reconcile("the caller's own account is among the organization's accounts", 1, listed.has(callerAccount) ? 1 : 0, callerAccount);
    return ids;
  }

  /**
   * The organization's service control policies: ListPolicies, then DescribePolicy and ListTargetsForPolicy
   * once per policy. Called after organizationAccounts, whose account paths place each policy.
   */
  async serviceControlPolicies(recorder: ScopeRecorder): Promise<OrganizationPolicies> {
    const client = new OrganizationsClient(this.clientConfig(this.baseCredentials));
    const policies: OrganizationPolicies['policies'] = [];
    const parameters = { Filter: 'SERVICE_CONTROL_POLICY' as const, MaxResults: 20 };
    const guard = new PageGuard('ListPolicies', this.context.paging);
    const seen = new SeenItems('ListPolicies');
    let token: string | undefined;
    do {
      const next = token;
      const { body: page, attempts } = await this.request('ListPolicies', Responses.PoliciesPage, (options) =>
        client.send(new ListPoliciesCommand({ ...parameters, ...(next ? { NextToken: next } : {}) }), options),
      );
      await recorder.page('ListPolicies', parameters, page, { records: page.Policies.length, attempts });
      seen.add(page.Policies.map((policy) => policy.Id));
      for (const summary of page.Policies) {
        const described = await this.request('DescribePolicy', Responses.PolicyDescription, (options) =>
          client.send(new DescribePolicyCommand({ PolicyId: summary.Id }), options),
        );
        await recorder.page('DescribePolicy', { PolicyId: summary.Id }, described.body, { records: 1, attempts: described.attempts });
        const { Name, Arn } = described.body.Policy.PolicySummary;
        policies.push({
          policy: { Id: summary.Id, ...(Name ? { Name } : {}), ...(Arn ? { Arn } : {}), Content: described.body.Policy.Content },
          targets: await this.policyTargets(client, recorder, summary.Id),
        });
      }
      token = guard.next({ items: page.Policies.length, cursor: page.NextToken });
    } while (token);
    return { ...this.organization, policies };
  }

  private async policyTargets(client: OrganizationsClient, recorder: ScopeRecorder, policyId: string): Promise<OrganizationPolicies['policies'][number]['targets']> {
    const parameters = { PolicyId: policyId, MaxResults: 20 };
    const guard = new PageGuard('ListTargetsForPolicy', this.context.paging);
    const seen = new SeenItems('ListTargetsForPolicy');
    const targets: OrganizationPolicies['policies'][number]['targets'] = [];
    let token: string | undefined;
    do {
      const next = token;
      const { body: page, attempts } = await this.request('ListTargetsForPolicy', Responses.TargetsPage, (options) =>
        client.send(new ListTargetsForPolicyCommand({ ...parameters, ...(next ? { NextToken: next } : {}) }), options),
      );
      await recorder.page('ListTargetsForPolicy', parameters, page, { records: page.Targets.length, attempts });
      seen.add(page.Targets.map((target) => target.TargetId));
      targets.push(...page.Targets.map(({ TargetId, Type }) => ({ TargetId, ...(Type ? { Type } : {}) })));
      token = guard.next({ items: page.Targets.length, cursor: page.NextToken });
    } while (token);
    return targets;
  }

  /** Reads one account: GAAD in pages of 1000, the credential report, access keys of users that have keys. */
  async readAccount(target: AccountTarget, recorder: ScopeRecorder): Promise<AccountSnapshot> {
    const credentials = this.credentialsFor(target);
    // The session first, so that a refused AssumeRole is reported as itself and not inside another call.
    await credentials();
    // IAM's answers are most of the XML a collection reads: parsed without the SDK's per-character garbage (xml.ts).
    const iam = this.paced(new IAMClient({ ...this.clientConfig(credentials), protocol: AwsQueryReadingFast }));
    const sts = new STSClient(this.clientConfig(credentials));
    const { body: caller } = await this.request('GetCallerIdentity', Responses.CallerIdentity, (options) => sts.send(new GetCallerIdentityCommand({}), options));
    recorder.collector(caller.Arn);
    if (caller.Account !== target.accountId) {
      throw new AwsRequestError('GetCallerIdentity', new Error(`the credentials for account ${target.accountId} act in account ${caller.Account}`));
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
    // The report is generated while GAAD's pages are read, so its polls overlap the listing. It never rejects (a
    // failure is recorded); when GAAD fails, the report's writes still settle before the account does.
    const report = this.readCredentialReport(iam, recorder, snapshot);
    await this.readAuthorizationDetails(iam, recorder, snapshot).catch(async (error: unknown) => {
      await report;
      throw error;
    });
    snapshot.credentialReport = await report;
    if (this.config.accessKeyIds) await this.readAccessKeys(iam, recorder, snapshot);
    else if (snapshot.credentialReport) snapshot.accessKeys = keysFromReport(snapshot.credentialReport);
    await this.readAwsManagedPolicies(iam, recorder, snapshot);
    await this.reconcile(iam, recorder, snapshot);
    // Keys named by their report slot come from the report itself: only its users count independently.
    reconcileWithReport(recorder, snapshot, { keys: this.config.accessKeyIds });
    const unusedAccess = await this.readUnusedAccess(credentials, recorder, target.accountId);
    if (unusedAccess === 'no-analyzer') {
      const reports = this.config.serviceLastAccessed.enabled ? await this.readServiceLastAccessed(iam, recorder, snapshot) : undefined;
      if (reports) snapshot.serviceLastAccessed = reports;
    } else if (unusedAccess) snapshot.unusedAccess = unusedAccess;
    return snapshot;
  }

  /**
   * IAM's service last accessed data for each user and role, when the account has no unused-access analyzer and the
   * source asks for it: GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails polled until COMPLETED
   * (bounded by maxPolls), then its pages. A few principals at a time, each call at the account's adaptive rate.
   * AccessDenied leaves a principal without usage data, recovered; any other failure leaves the scope incomplete.
   */
  private async readServiceLastAccessed(iam: IAMClient, recorder: ScopeRecorder, snapshot: AccountSnapshot): Promise<ServiceLastAccessed> {
    const { concurrency, pollIntervalMs, maxPolls } = this.config.serviceLastAccessed;
    const limit = pLimit(concurrency);
    const reports: ServiceLastAccessed = {};
    const arns = [...snapshot.users, ...snapshot.roles].map((principal) => principal.Arn).filter((arn): arn is string => !!arn);
    let denied = 0;
    await Promise.all(
      arns.map((arn) =>
        limit(async () => {
          try {
            const { body: job } = await this.request('GenerateServiceLastAccessedDetails', Responses.ServiceLastAccessedJob, (options) =>
              iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: arn, Granularity: 'SERVICE_LEVEL' }), options),
            );
            const rows: ServiceLastAccessedRow[] = [];
            const guard = new PageGuard('GetServiceLastAccessedDetails', this.context.paging);
            const seen = new SeenItems('GetServiceLastAccessedDetails');
            let marker: string | undefined;
            for (let poll = 1; ; ) {
              const next = marker;
              const { body: page, attempts } = await this.request('GetServiceLastAccessedDetails', Responses.ServiceLastAccessedPage, (options) =>
                iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: job.JobId, ...(next ? { Marker: next } : {}) }), options),
              );
              if (page.JobStatus === 'FAILED') throw new Error(`the job for ${arn} failed: ${page.Error?.Message ?? 'no reason given'}`);
              if (page.JobStatus === 'IN_PROGRESS') {
                if (poll >= maxPolls) throw new Error(`the job for ${arn} was still IN_PROGRESS after ${maxPolls} polls`);
                poll += 1;
                await sleep(pollIntervalMs, undefined, this.signal ? { signal: this.signal } : {});
                continue;
              }
              await recorder.page('GetServiceLastAccessedDetails', { Arn: arn }, page, { records: page.ServicesLastAccessed.length, attempts });
              seen.add(namespaces(page.ServicesLastAccessed));
              rows.push(...page.ServicesLastAccessed);
              marker = guard.next({ items: page.ServicesLastAccessed.length, cursor: page.Marker, more: page.IsTruncated });
              if (!marker) break;
            }
            reports[arn] = rows;
          } catch (error) {
            const isDenied = errorCode(error) === 'AccessDenied' || errorCode(error) === 'AccessDeniedException';
            if (isDenied) denied += 1;
            recorder.error(operationOf(error) ?? 'GetServiceLastAccessedDetails', error, {
              recovered: isDenied,
              hint: 'service last accessed data needs iam:GenerateServiceLastAccessedDetails and iam:GetServiceLastAccessedDetails',
            });
          }
        }),
      ),
    );
    const read = Object.keys(reports).length;
    recorder.usage({
      source: SERVICE_LAST_ACCESSED_SOURCE,
      available: read > 0,
      note: `no unused-access analyzer; service last accessed data for ${read} of ${arns.length} principals${denied > 0 ? ` (${denied} denied)` : ''}`,
    });
    return reports;
  }

  /**
   * IAM Access Analyzer's unused-access findings about the account's principals, when the account has an active
   * unused-access analyzer: ListAnalyzers, ListFindingsV2 (active unused-access findings the account owns), then
   * GetFindingV2 for each finding's details. The manifest's scope says whether usage data was read. Access Analyzer
   * only adds facts, so AccessDenied is recovered (the scope has no usage data); any other failure leaves the scope
   * incomplete, naming the operation.
   */
  private async readUnusedAccess(credentials: AwsCredentialIdentityProvider, recorder: ScopeRecorder, accountId: string): Promise<UnusedAccess | 'no-analyzer' | undefined> {
    const client = new AccessAnalyzerClient(this.clientConfig(credentials));
    const noData = (note: string) => recorder.usage({ source: ACCESS_ANALYZER_SOURCE, available: false, note });
    try {
      const analyzers: Responses.AnalyzerSummary[] = [];
      await this.pages('ListAnalyzers', Responses.AnalyzersPage, recorder, {}, (next, options) => client.send(new ListAnalyzersCommand({ ...next }), options), (page) => {
        analyzers.push(...page.analyzers);
        return page.analyzers.map((analyzer) => analyzer.arn);
      });
      const analyzer = unusedAccessAnalyzer(analyzers);
      if (!analyzer) {
        if (!this.config.serviceLastAccessed.enabled) {
          noData('no active unused-access analyzer (ACCOUNT_UNUSED_ACCESS or ORGANIZATION_UNUSED_ACCESS) in the account; service last accessed data was not asked for (serviceLastAccessed.enabled)');
        }
        return 'no-analyzer';
      }
      const filter = {
        findingType: { eq: UNUSED_FINDING_TYPES },
        status: { eq: ['ACTIVE'] },
        resourceOwnerAccount: { eq: [accountId] },
      };
      const ids: string[] = [];
      const listParameters = { analyzerArn: analyzer.arn, filter, maxResults: ACCESS_ANALYZER_PAGE_SIZE };
      await this.pages('ListFindingsV2', Responses.FindingsPage, recorder, listParameters, (next, options) => client.send(new ListFindingsV2Command({ ...listParameters, ...next }), options), (page) => {
        ids.push(...page.findings.map((finding) => finding.id));
        return page.findings.map((finding) => finding.id);
      });
      const findings: UnusedAccessFindingLike[] = [];
      for (const id of ids) {
        const parameters = { analyzerArn: analyzer.arn, id, maxResults: ACCESS_ANALYZER_PAGE_SIZE };
        let finding: UnusedAccessFindingLike | undefined;
        await this.pages('GetFindingV2', Responses.FindingPage, recorder, parameters, (next, options) => client.send(new GetFindingV2Command({ ...parameters, ...next }), options), (page) => {
          const { findingDetails, nextToken: _next, ...rest } = page;
          finding = { ...rest, findingDetails: [...(finding?.findingDetails ?? []), ...findingDetails] };
          return findingDetails.map(detailKey);
        });
        if (finding) findings.push(finding);
      }
      recorder.usage({ source: ACCESS_ANALYZER_SOURCE, available: true, note: `${analyzer.type} analyzer ${analyzer.arn}, tracking ${analyzer.unusedAccessAge} days: ${findings.length} active unused-access findings` });
      return { analyzer, findings };
    } catch (error) {
      const denied = errorCode(error) === 'AccessDeniedException';
      recorder.error(operationOf(error) ?? 'ListAnalyzers', error, {
        recovered: denied,
        hint: denied
          ? `unused privilege needs ${ACCESS_ANALYZER_PERMISSIONS}; the account is judged without usage data`
          : "IAM Access Analyzer's unused-access findings could not be read whole",
      });
      noData(denied ? 'IAM Access Analyzer denied the collector (AccessDeniedException)' : 'reading IAM Access Analyzer failed');
      return undefined;
    }
  }

  /** One nextToken-paged Access Analyzer listing through the request layer, each page kept; `take` returns what tells the page's items apart. */
  private async pages<Schema extends z.ZodType<{ nextToken?: string | undefined }>>(
    operation: string,
    schema: Schema,
    recorder: ScopeRecorder,
    parameters: Record<string, unknown>,
    send: (next: { nextToken?: string }, options: { abortSignal?: AbortSignal }) => Promise<SdkOutput>,
    take: (page: z.output<Schema>) => string[],
  ): Promise<void> {
    const guard = new PageGuard(operation, this.context.paging);
    const seen = new SeenItems(operation);
    let token: string | undefined;
    do {
      const next = token;
      const { body: page, attempts } = await this.request(operation, schema, (options) => send(next ? { nextToken: next } : {}, options));
      const ids = take(page);
      await recorder.page(operation, parameters, page, { records: ids.length, attempts });
      seen.add(ids);
      token = guard.next({ items: ids.length, cursor: page.nextToken });
    } while (token);
  }

  private async readAuthorizationDetails(iam: IAMClient, recorder: ScopeRecorder, snapshot: AccountSnapshot): Promise<void> {
    const parameters = { Filter: GAAD_FILTER, MaxItems: GAAD_PAGE_SIZE };
    const guard = new PageGuard('GetAccountAuthorizationDetails', this.context.paging);
    const seen = new SeenItems('GetAccountAuthorizationDetails');
    let marker: string | undefined;
    do {
      const next = marker;
      const { body: page, attempts } = await this.request('GetAccountAuthorizationDetails', Responses.AuthorizationDetailsPage, (options) =>
        iam.send(new GetAccountAuthorizationDetailsCommand({ ...parameters, ...(next ? { Marker: next } : {}) }), options),
      );
      const users = page.UserDetailList ?? [];
      const groups = page.GroupDetailList ?? [];
      const roles = page.RoleDetailList ?? [];
      const policies = page.Policies ?? [];
      const records = users.length + groups.length + roles.length + policies.length;
      const ref = await recorder.page('GetAccountAuthorizationDetails', parameters, page, { records, attempts });
      seen.add([...users, ...roles, ...policies].map((entity) => entity.Arn).concat(groups.map((group) => `group/${group.GroupName}`)));
      users.forEach((u, i) => (snapshot.refs.entities[u.Arn] = `${ref}#/body/UserDetailList/${i}`));
      roles.forEach((r, i) => (snapshot.refs.entities[r.Arn] = `${ref}#/body/RoleDetailList/${i}`));
      snapshot.users.push(...users);
      snapshot.groups.push(...groups);
      snapshot.roles.push(...roles);
      snapshot.policies.push(...policies);
      marker = guard.next({ items: records, cursor: page.Marker, more: page.IsTruncated });
    } while (marker);
  }

  private async readCredentialReport(iam: IAMClient, recorder: ScopeRecorder, snapshot: AccountSnapshot): Promise<CredentialReportRow[] | null> {
    const { pollIntervalMs, maxPolls } = this.config.credentialReport;
    try {
      for (let poll = 1; ; poll++) {
        const { body: generated } = await this.request('GenerateCredentialReport', Responses.CredentialReportState, (options) =>
          iam.send(new GenerateCredentialReportCommand({}), options),
        );
        if (generated.State === 'COMPLETE') break;
        if (poll >= maxPolls) throw new Error(`credential report still ${generated.State} after ${maxPolls} polls`);
        await sleep(pollIntervalMs, undefined, this.signal ? { signal: this.signal } : {});
      }
      const { body: report, attempts } = await this.request('GetCredentialReport', Responses.CredentialReport, (options) =>
        iam.send(new GetCredentialReportCommand({}), options),
      );
      const csv = new TextDecoder().decode(report.Content);
      const rows = parseCredentialReport(csv);
      snapshot.refs.credentialReport = await recorder.page(
        'GetCredentialReport',
        // Recorded with the report, so a re-read of the pack knows that no ListAccessKeys was meant to follow.
        this.config.accessKeyIds ? {} : { accessKeyIds: false },
        { GeneratedTime: report.GeneratedTime, ReportFormat: report.ReportFormat, Content: csv },
        { records: rows.length, attempts },
      );
      return rows;
    } catch (error) {
      recorder.error(operationOf(error) ?? 'GetCredentialReport', error, {
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
          const guard = new PageGuard('ListAccessKeys', this.context.paging);
          const seen = new SeenItems('ListAccessKeys');
          try {
            let marker: string | undefined;
            do {
              const next = marker;
              const { body: page, attempts } = await this.request('ListAccessKeys', Responses.AccessKeysPage, (options) =>
                iam.send(new ListAccessKeysCommand({ UserName: userName, ...(next ? { Marker: next } : {}) }), options),
              );
              await recorder.page('ListAccessKeys', { UserName: userName }, page, { records: page.AccessKeyMetadata.length, attempts });
              seen.add(page.AccessKeyMetadata.map((key) => key.AccessKeyId));
              keys.push(...page.AccessKeyMetadata);
              marker = guard.next({ items: page.AccessKeyMetadata.length, cursor: page.Marker, more: page.IsTruncated });
            } while (marker);
            snapshot.accessKeys[userName] = keys;
          } catch (error) {
            if (errorCode(error) === 'NoSuchEntityException') return; // deleted between GAAD and this call
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
      const { body: policy, attempts } = await this.request('GetPolicy', Responses.Policy, (options) => iam.send(new GetPolicyCommand({ PolicyArn: arn }), options));
      const versionId = policy.Policy.DefaultVersionId;
      await recorder.page('GetPolicy', { PolicyArn: arn }, policy, { records: 1, attempts });
      const read = await this.request('GetPolicyVersion', Responses.PolicyVersion, (options) =>
        iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }), options),
      );
      await recorder.page('GetPolicyVersion', { PolicyArn: arn, VersionId: versionId }, read.body, { records: 1, attempts: read.attempts });
      return parsePolicyDocument(read.body.PolicyVersion.Document);
    } catch (error) {
      recorder.error(operationOf(error) ?? 'GetPolicyVersion', error, { hint: 'the collector needs iam:GetPolicy and iam:GetPolicyVersion to judge AWS managed policies' });
      return undefined;
    }
  }

  /** GetAccountSummary counts IAM entities independently of GAAD: a mismatch means the listing missed some. */
  private async reconcile(iam: IAMClient, recorder: ScopeRecorder, snapshot: AccountSnapshot): Promise<void> {
    try {
      const { body: summary, attempts } = await this.request('GetAccountSummary', Responses.AccountSummary, (options) =>
        iam.send(new GetAccountSummaryCommand({}), options),
      );
      await recorder.page('GetAccountSummary', {}, summary, { records: 1, attempts });
      const counts = summary.SummaryMap;
      const customerPolicies = snapshot.policies.filter((p) => !p.Arn?.startsWith('arn:aws:iam::aws:')).length;
      recorder.reconcile('GetAccountSummary.Users = users in GAAD', counts.Users, snapshot.users.length);
      recorder.reconcile('GetAccountSummary.Roles = roles in GAAD', counts.Roles, snapshot.roles.length);
      recorder.reconcile('GetAccountSummary.Groups = groups in GAAD', counts.Groups, snapshot.groups.length);
      recorder.reconcile('GetAccountSummary.Policies = customer managed policies in GAAD', counts.Policies, customerPolicies);
    } catch (error) {
      recorder.error('GetAccountSummary', error, { hint: 'the collector needs iam:GetAccountSummary for the independent count' });
    }
  }
}
