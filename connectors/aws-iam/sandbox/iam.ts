import {
  ApiError,
  intParam,
  pageOf,
  requiredStringParam,
  stringParam,
  validationError,
  type Operation,
  type OperationContext,
} from './api.js';
import { createHash } from 'node:crypto';
import { credentialReportCsv } from './credential-report.js';
import { parseAwsDate, type AccessKeyData, type ManagedPolicyData } from './dataset.js';
import type { AccountView } from './view.js';
import { toWire } from './xml.js';

/** IAM (awsQuery, 2010-05-08): the read operations the aws-iam connector uses. */

const ENTITY_FILTERS = ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'] as const;
type EntityFilter = (typeof ENTITY_FILTERS)[number];

const isAwsManaged = (arn: string) => arn.startsWith('arn:aws:iam::aws:policy/');

function filtersOf(context: OperationContext): Set<EntityFilter> {
  const filter = context.parameters.Filter;
  if (filter === undefined) return new Set(ENTITY_FILTERS);
  const values = (Array.isArray(filter) ? filter : [filter]).map(String);
  const bad = values.find((value) => !(ENTITY_FILTERS as readonly string[]).includes(value));
  if (bad !== undefined) {
    throw validationError(
      'iam',
      `Value '[${values.join(', ')}]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${ENTITY_FILTERS.join(', ')}]]`,
    );
  }
  return new Set(values as EntityFilter[]);
}

type Entity = { list: 'UserDetailList' | 'GroupDetailList' | 'RoleDetailList' | 'Policies'; item: object };

/** Users, then groups, then roles, then policies: one sequence that pages cut across, as IAM's do. */
function authorizationEntities(view: AccountView, filters: Set<EntityFilter>): Entity[] {
  const entities: Entity[] = [];
  if (filters.has('User')) entities.push(...view.users.map((item) => ({ list: 'UserDetailList' as const, item })));
  if (filters.has('Group')) entities.push(...view.groups.map((item) => ({ list: 'GroupDetailList' as const, item })));
  if (filters.has('Role')) entities.push(...view.roles.map((item) => ({ list: 'RoleDetailList' as const, item })));
  for (const policy of view.policies) {
    if (filters.has(isAwsManaged(policy.Arn) ? 'AWSManagedPolicy' : 'LocalManagedPolicy')) {
      entities.push({ list: 'Policies', item: policy });
    }
  }
  return entities;
}

/** Each item without the field it is named by. */
function withoutField(items: unknown, field: string): unknown {
  if (!Array.isArray(items)) return items;
  return items.map((item) => {
    const { [field]: _dropped, ...rest } = item as Record<string, unknown>;
    return rest;
  });
}

const getAccountAuthorizationDetails: Operation = {
  paging: { token: 'Marker', lists: ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'], truncatedFlag: true },
  dropField: (result) => ({
    ...result,
    UserDetailList: withoutField(result.UserDetailList, 'UserName'),
    GroupDetailList: withoutField(result.GroupDetailList, 'GroupName'),
    RoleDetailList: withoutField(result.RoleDetailList, 'RoleName'),
    Policies: withoutField(result.Policies, 'PolicyName'),
  }),
  run(context) {
    const filters = filtersOf(context);
    const pageSize = intParam(context, 'MaxItems', { min: 1, max: 1000, fallback: 100 });
    const page = pageOf(context, authorizationEntities(context.account, filters), 'Marker', pageSize);
    const lists: Record<Entity['list'], unknown[]> = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };
    for (const entity of page.items) lists[entity.list].push(toWire(entity.item));
    return { ...lists, IsTruncated: page.next !== undefined, Marker: page.next };
  },
};

/** Polls after STARTED answer "in progress" until none are left, so collectors must wait as with IAM. */
export function createIamOperations(options: { credentialReportPolls: number; serviceLastAccessedPolls: number }): Record<string, Operation> {
  const pollsLeft = new Map<string, number>();
  /** Service last accessed jobs by id: whose, when asked, and how many polls still find them in progress. */
  const jobs = new Map<string, { account: string; arn: string; pollsLeft: number; created: Date }>();

  /** One poll of a report being generated; true once it is complete. */
  function poll(accountId: string): boolean {
    const left = pollsLeft.get(accountId) ?? 0;
    if (left === 0) return true;
    pollsLeft.set(accountId, left - 1);
    return false;
  }

  return {
    GetAccountAuthorizationDetails: getAccountAuthorizationDetails,

    GenerateCredentialReport: {
      dropField: ({ State: _state, ...rest }) => rest,
      run({ account }) {
        if (!pollsLeft.has(account.id)) {
          pollsLeft.set(account.id, options.credentialReportPolls);
          return { State: 'STARTED', Description: 'No report exists. Starting a new report generation task' };
        }
        return { State: poll(account.id) ? 'COMPLETE' : 'INPROGRESS' };
      },
    },

    GetCredentialReport: {
      dropField: ({ Content: _content, ...rest }) => rest,
      run({ account, state }) {
        if (!pollsLeft.has(account.id)) {
          throw new ApiError(410, 'ReportNotPresent', 'Credential report does not exist. Use GenerateCredentialReport to generate a report.');
        }
        if (!poll(account.id)) throw new ApiError(404, 'ReportInProgress', 'Report generation in progress. Try again later.');
        return {
          Content: new TextEncoder().encode(credentialReportCsv(account)),
          ReportFormat: 'text/csv',
          GeneratedTime: state.now,
        };
      },
    },

    GenerateServiceLastAccessedDetails: {
      dropField: ({ JobId: _jobId, ...rest }) => rest,
      run(context) {
        const arn = requiredStringParam(context, 'Arn');
        const granularity = stringParam(context, 'Granularity') ?? 'SERVICE_LEVEL';
        if (!['SERVICE_LEVEL', 'ACTION_LEVEL'].includes(granularity)) {
          throw validationError('iam', `Value '${granularity}' at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]`);
        }
        if (!principalOf(context.account, arn)) throw new ApiError(404, 'NoSuchEntity', `The entity ${arn} cannot be found.`);
        // Job ids look like AWS's and follow from the request, so that a sandbox run's raw pages are the same every time.
        const hex = createHash('sha256').update(`${context.account.id}\n${arn}\n${jobs.size}`).digest('hex');
        const jobId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
        jobs.set(jobId, { account: context.account.id, arn, pollsLeft: options.serviceLastAccessedPolls, created: context.state.now });
        return { JobId: jobId };
      },
    },

    GetServiceLastAccessedDetails: {
      paging: { token: 'Marker', lists: ['ServicesLastAccessed'], truncatedFlag: true },
      dropField: (result) => ({ ...result, ServicesLastAccessed: withoutField(result.ServicesLastAccessed, 'ServiceNamespace') }),
      run(context) {
        const jobId = requiredStringParam(context, 'JobId');
        const job = jobs.get(jobId);
        if (!job || job.account !== context.account.id) throw new ApiError(404, 'NoSuchEntity', `The job with id ${jobId} cannot be found.`);
        if (job.pollsLeft > 0) {
          job.pollsLeft -= 1;
          return { JobStatus: 'IN_PROGRESS', JobType: 'SERVICE_LEVEL', JobCreationDate: job.created, ServicesLastAccessed: [], IsTruncated: false };
        }
        const { now } = context.state;
        const services = (principalOf(context.account, job.arn)?.['x-serviceLastAccessed'] ?? []).map((service) => {
          const last = service.LastAuthenticated ? parseAwsDate(service.LastAuthenticated) : undefined;
          const seen = last && last.getTime() <= now.getTime();
          return {
            ServiceName: service.ServiceName,
            ServiceNamespace: service.ServiceNamespace,
            ...(seen ? { LastAuthenticated: last, LastAuthenticatedEntity: job.arn, LastAuthenticatedRegion: service.LastAuthenticatedRegion ?? 'us-east-1' } : {}),
            TotalAuthenticatedEntities: seen ? 1 : 0,
          };
        });
        const page = pageOf(context, services, 'Marker', intParam(context, 'MaxItems', { min: 1, max: 1000, fallback: 100 }));
        return {
          JobStatus: 'COMPLETED',
          JobType: 'SERVICE_LEVEL',
          JobCreationDate: job.created,
          JobCompletionDate: job.created,
          ServicesLastAccessed: page.items,
          IsTruncated: page.next !== undefined,
          Marker: page.next,
        };
      },
    },

    ListAccessKeys: {
      paging: { token: 'Marker', lists: ['AccessKeyMetadata'], truncatedFlag: true },
      dropField: (result) => ({ ...result, AccessKeyMetadata: withoutField(result.AccessKeyMetadata, 'AccessKeyId') }),
      run(context) {
        const userName = stringParam(context, 'UserName') ?? context.principal.userName;
        if (userName === undefined) {
          throw validationError('iam', "Value null at 'userName' failed to satisfy constraint: Must specify userName when calling with non-User credentials");
        }
        const entry = context.account.credentials.get(userName);
        if (!entry) throw new ApiError(404, 'NoSuchEntity', `The user with name ${userName} cannot be found.`);
        const pageSize = intParam(context, 'MaxItems', { min: 1, max: 1000, fallback: 100 });
        const page = pageOf(context, entry.keys, 'Marker', pageSize);
        return {
          AccessKeyMetadata: page.items.map((key) => ({
            UserName: userName,
            AccessKeyId: key.AccessKeyId,
            Status: key.Status,
            CreateDate: toWire(key.CreateDate, 'CreateDate'),
          })),
          IsTruncated: page.next !== undefined,
          Marker: page.next,
        };
      },
    },

    GetAccessKeyLastUsed: {
      dropField: ({ UserName: _userName, ...rest }) => rest,
      run(context) {
        const accessKeyId = requiredStringParam(context, 'AccessKeyId');
        const found = findAccessKey(context.account, accessKeyId);
        if (!found) throw new ApiError(404, 'NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`);
        const { key, userName } = found;
        return {
          UserName: userName,
          AccessKeyLastUsed: key.LastUsedDate
            ? {
                LastUsedDate: toWire(key.LastUsedDate, 'LastUsedDate'),
                ServiceName: key.LastUsedService ?? 'N/A',
                Region: key.LastUsedRegion ?? 'N/A',
              }
            : { ServiceName: 'N/A', Region: 'N/A' },
        };
      },
    },

    GetAccountSummary: {
      dropField: (result) => {
        const counts = new Map(result.SummaryMap as Map<string, number>);
        counts.delete('Users');
        return { SummaryMap: counts };
      },
      run({ account }) {
        return { SummaryMap: accountSummary(account) };
      },
    },

    GetPolicy: {
      dropField: (result) => {
        const { DefaultVersionId: _version, ...policy } = result.Policy as Record<string, unknown>;
        return { Policy: policy };
      },
      run(context) {
        const { PolicyVersionList: _versions, ...policy } = findPolicy(context, requiredStringParam(context, 'PolicyArn'));
        return { Policy: toWire(policy) };
      },
    },

    GetPolicyVersion: {
      dropField: (result) => {
        const { Document: _document, ...version } = result.PolicyVersion as Record<string, unknown>;
        return { PolicyVersion: version };
      },
      run(context) {
        const arn = requiredStringParam(context, 'PolicyArn');
        const versionId = requiredStringParam(context, 'VersionId');
        const version = findPolicy(context, arn).PolicyVersionList?.find((candidate) => candidate.VersionId === versionId);
        if (!version) throw new ApiError(404, 'NoSuchEntity', `Policy ${arn} version ${versionId} does not exist or is not attachable.`);
        return { PolicyVersion: toWire(version) };
      },
    },
  };
}

/** A policy of the caller's account; AWS managed policies are global, so any account of the dataset may hold them. */
function findPolicy(context: OperationContext, arn: string): ManagedPolicyData {
  const accounts = isAwsManaged(arn) ? [context.account, ...context.state.views.values()] : [context.account];
  for (const view of accounts) {
    const policy = view.policies.find((candidate) => candidate.Arn === arn);
    if (policy) return policy;
  }
  throw new ApiError(404, 'NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
}

/** A user or role of the account, by ARN: the principals service last accessed data is kept for. */
function principalOf(view: AccountView, arn: string) {
  return [...view.users, ...view.roles].find((principal) => principal.Arn === arn);
}

function findAccessKey(view: AccountView, accessKeyId: string): { key: AccessKeyData; userName: string } | undefined {
  for (const [userName, entry] of view.credentials) {
    const key = entry.keys.find((candidate) => candidate.AccessKeyId === accessKeyId);
    if (key) return { key, userName };
  }
  return undefined;
}

/** IAM's default quotas, as GetAccountSummary reports them. */
const QUOTAS = {
  UsersQuota: 5000,
  GroupsQuota: 300,
  ServerCertificatesQuota: 20,
  UserPolicySizeQuota: 2048,
  GroupPolicySizeQuota: 5120,
  GroupsPerUserQuota: 10,
  SigningCertificatesPerUserQuota: 2,
  AccessKeysPerUserQuota: 2,
  AttachedPoliciesPerGroupQuota: 10,
  AttachedPoliciesPerRoleQuota: 10,
  AttachedPoliciesPerUserQuota: 10,
  PoliciesQuota: 1500,
  PolicySizeQuota: 6144,
  PolicyVersionsInUseQuota: 10000,
  VersionsPerPolicyQuota: 5,
  RolesQuota: 1000,
  InstanceProfilesQuota: 1000,
  RolePolicySizeQuota: 10240,
  AssumeRolePolicySizeQuota: 2048,
  GlobalEndpointTokenVersion: 1,
};

function accountSummary(view: AccountView): Map<string, number> {
  const localPolicies = view.policies.filter((policy) => !isAwsManaged(policy.Arn));
  const instanceProfiles = new Set(view.roles.flatMap((role) => (role.InstanceProfileList ?? []).map((profile) => profile.Arn)));
  const mfaUsers = [...view.credentials.values()].filter((entry) => entry.credentials?.mfaActive).length;
  const computed: Record<string, number> = {
    ...QUOTAS,
    Users: view.users.length,
    Groups: view.groups.length,
    Roles: view.roles.length,
    Policies: localPolicies.length,
    PolicyVersionsInUse: localPolicies.reduce((sum, policy) => sum + (policy.AttachmentCount ?? 0), 0),
    InstanceProfiles: instanceProfiles.size,
    MFADevices: mfaUsers + (view.root.mfaActive ? 1 : 0),
    MFADevicesInUse: mfaUsers + (view.root.mfaActive ? 1 : 0),
    AccountMFAEnabled: view.root.mfaActive ? 1 : 0,
    AccountAccessKeysPresent: view.root.keys.length > 0 ? 1 : 0,
    AccountSigningCertificatesPresent: 0,
    ServerCertificates: 0,
    Providers: 0,
  };
  return new Map(Object.entries({ ...computed, ...view.data.accountSummaryOverrides }).sort(([a], [b]) => a.localeCompare(b)));
}
