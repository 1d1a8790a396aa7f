import { ApiError, intParam, pageOf, type Operation } from './api.js';
import { parseAwsDate } from './dataset.js';
import { organizationAccountsAt } from './view.js';

/** Organizations (JSON 1.1): ListAccounts, which only the management account may call. */

export const organizationsOperations: Record<string, Operation> = {
  ListAccounts: {
    paging: { token: 'NextToken', lists: ['Accounts'], truncatedFlag: false },
    dropField: (result) => ({
      ...result,
      Accounts: (result.Accounts as Record<string, unknown>[]).map(({ Id: _id, ...account }) => account),
    }),
    run(context) {
      const { dataset, now } = context.state;
      const organization = dataset.organization;
      const caller = context.principal.accountId;
      const members = organizationAccountsAt(dataset, now);
      const isMember = organization && (organization.managementAccountId === caller || members.some((account) => account.Id === caller));
      if (!organization || !isMember) {
        throw new ApiError(404, 'AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
      }
      if (organization.managementAccountId !== caller) {
        throw new ApiError(403, 'AccessDeniedException', "You don't have permissions to access this resource.");
      }
      const pageSize = intParam(context, 'MaxResults', { min: 1, max: 20, fallback: 20 });
      const page = pageOf(context, members, 'NextToken', pageSize);
      return {
        Accounts: page.items.map((account) => ({
          Id: account.Id,
          Arn: account.Arn,
          Email: account.Email,
          Name: account.Name,
          Status: account.Status,
          State: account.State,
          Paths: account.Paths,
          JoinedMethod: account.JoinedMethod,
          JoinedTimestamp: parseAwsDate(account.JoinedTimestamp).getTime() / 1000,
        })),
        NextToken: page.next,
      };
    },
  },
};
