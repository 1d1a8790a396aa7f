import { ApiError, intParam, pageOf, requiredStringParam, validationError, type Operation, type OperationContext } from './api.js';
import { parseAwsDate, type OrganizationAccountData, type OrganizationData, type ServiceControlPolicyData } from './dataset.js';
import { organizationAccountsAt } from './view.js';

/**
 * Organizations (JSON 1.1): ListAccounts, and the service control policies with ListPolicies, DescribePolicy
 * and ListTargetsForPolicy. Only the management account may call them.
 */

const POLICY_TYPES = [
  'SERVICE_CONTROL_POLICY',
  'RESOURCE_CONTROL_POLICY',
  'TAG_POLICY',
  'BACKUP_POLICY',
  'AISERVICES_OPT_OUT_POLICY',
  'CHATBOT_POLICY',
  'DECLARATIVE_POLICY_EC2',
  'SECURITYHUB_POLICY',
];
const PAGE = { min: 1, max: 20, fallback: 20 };

/** The organization, for a caller in its management account; AWS's errors for anyone else. */
function managedOrganization(context: OperationContext, operation?: string): OrganizationData {
  const { dataset, now } = context.state;
  const organization = dataset.organization;
  const caller = context.principal.accountId;
  const members = organizationAccountsAt(dataset, now);
  const isMember = organization && (organization.managementAccountId === caller || members.some((account) => account.Id === caller));
  if (!organization || !isMember) {
    throw new ApiError(404, 'AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
  }
  const denied = (organization['x-deniedOperations'] as string[] | undefined)?.includes(operation ?? '');
  if (organization.managementAccountId !== caller || denied) {
    throw new ApiError(403, 'AccessDeniedException', "You don't have permissions to access this resource.");
  }
  return organization;
}

/** `o-example/r-ab12/ou-ab12-11111111/111111111111/`: the account's place, from the root down. */
function accountPaths(organization: OrganizationData, account: OrganizationAccountData): string[] | undefined {
  if (account.Paths) return account.Paths;
  const root = organization.root;
  if (!root) return undefined;
  const organizationId = /\/(o-[a-z0-9]+)\//.exec(account.Arn)?.[1] ?? 'o-sandbox';
  const parents = new Map((organization.organizationalUnits ?? []).map((ou) => [ou.Id, ou['x-parent']]));
  const chain: string[] = [];
  for (let at: string | undefined = account['x-parent']; at && at !== root.Id; at = parents.get(at)) chain.unshift(at);
  return [`${organizationId}/${root.Id}/${chain.map((ou) => `${ou}/`).join('')}${account.Id}/`];
}

function policySummary(policy: ServiceControlPolicyData) {
  return {
    Id: policy.Id,
    Arn: policy.Arn,
    Name: policy.Name,
    Description: policy.Description ?? '',
    Type: 'SERVICE_CONTROL_POLICY',
    AwsManaged: policy.AwsManaged,
  };
}

function findPolicy(context: OperationContext, organization: OrganizationData): ServiceControlPolicyData {
  const id = requiredStringParam(context, 'PolicyId');
  if (!/^p-[0-9a-zA-Z_]{8,128}$/.test(id)) {
    throw validationError('organizations', `Value '${id}' at 'policyId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^p-[0-9a-zA-Z_]{8,128}$`);
  }
  const policy = (organization.serviceControlPolicies ?? []).find((candidate) => candidate.Id === id);
  if (!policy) throw new ApiError(400, 'PolicyNotFoundException', "We can't find a policy with the PolicyId that you specified.");
  return policy;
}

function target(organization: OrganizationData, id: string) {
  if (organization.root?.Id === id) return { TargetId: id, Arn: organization.root.Arn, Name: organization.root.Name, Type: 'ROOT' };
  const ou = organization.organizationalUnits?.find((candidate) => candidate.Id === id);
  if (ou) return { TargetId: id, Arn: ou.Arn, Name: ou.Name, Type: 'ORGANIZATIONAL_UNIT' };
  const account = organization.accounts.find((candidate) => candidate.Id === id)!;
  return { TargetId: id, Arn: account.Arn, Name: account.Name, Type: 'ACCOUNT' };
}

function withoutField(items: unknown, field: string): Record<string, unknown>[] {
  return (items as Record<string, unknown>[]).map(({ [field]: _dropped, ...item }) => item);
}

export const organizationsOperations: Record<string, Operation> = {
  ListAccounts: {
    paging: { token: 'NextToken', lists: ['Accounts'], truncatedFlag: false },
    dropField: (result) => ({ ...result, Accounts: withoutField(result.Accounts, 'Id') }),
    run(context) {
      const organization = managedOrganization(context);
      const members = organizationAccountsAt(context.state.dataset, context.state.now);
      const page = pageOf(context, members, 'NextToken', intParam(context, 'MaxResults', PAGE));
      return {
        Accounts: page.items.map((account) => {
          const paths = accountPaths(organization, account);
          return {
            Id: account.Id,
            Arn: account.Arn,
            Email: account.Email,
            Name: account.Name,
            Status: account.Status,
            State: account.State,
            ...(paths ? { Paths: paths } : {}),
            JoinedMethod: account.JoinedMethod,
            JoinedTimestamp: parseAwsDate(account.JoinedTimestamp).getTime() / 1000,
          };
        }),
        NextToken: page.next,
      };
    },
  },

  ListPolicies: {
    paging: { token: 'NextToken', lists: ['Policies'], truncatedFlag: false },
    dropField: (result) => ({ ...result, Policies: withoutField(result.Policies, 'Id') }),
    run(context) {
      const organization = managedOrganization(context, 'ListPolicies');
      const filter = requiredStringParam(context, 'Filter');
      if (!POLICY_TYPES.includes(filter)) {
        throw validationError('organizations', `Value '${filter}' at 'filter' failed to satisfy constraint: Member must satisfy enum value set: [${POLICY_TYPES.join(', ')}]`);
      }
      const policies = filter === 'SERVICE_CONTROL_POLICY' ? (organization.serviceControlPolicies ?? []) : [];
      const page = pageOf(context, policies, 'NextToken', intParam(context, 'MaxResults', PAGE));
      return { Policies: page.items.map(policySummary), NextToken: page.next };
    },
  },

  DescribePolicy: {
    dropField: (result) => {
      const { Content: _content, ...policy } = result.Policy as Record<string, unknown>;
      return { ...result, Policy: policy };
    },
    run(context) {
      const policy = findPolicy(context, managedOrganization(context, 'DescribePolicy'));
      const content = typeof policy.Content === 'string' ? policy.Content : JSON.stringify(policy.Content);
      return { Policy: { PolicySummary: policySummary(policy), Content: content } };
    },
  },

  ListTargetsForPolicy: {
    paging: { token: 'NextToken', lists: ['Targets'], truncatedFlag: false },
    dropField: (result) => ({ ...result, Targets: withoutField(result.Targets, 'TargetId') }),
    run(context) {
      const organization = managedOrganization(context, 'ListTargetsForPolicy');
      const policy = findPolicy(context, organization);
      const page = pageOf(context, policy['x-targets'], 'NextToken', intParam(context, 'MaxResults', PAGE));
      return { Targets: page.items.map((id) => target(organization, id)), NextToken: page.next };
    },
  },
};
