import type { RawPages } from '../../src/sdk/index.js';
import { stoppedPartway } from './listing.js';
import type { AccountSnapshot, ServiceControlPolicyLike } from './normalize.js';

/** What the collector read of the organization's service control policies, once per source. */
export interface OrganizationPolicies {
  /** The management account, which no SCP affects (it is named in every account ARN). */
  managementAccountId: string | undefined;
  /** Each account's path from ListAccounts: `o-x/r-ab12/ou-ab12-11111111/111111111111/`. */
  accountPaths: Record<string, string[]>;
  policies: { policy: ServiceControlPolicyLike; targets: { TargetId: string; Type?: string }[] }[];
}

/** `arn:aws:organizations::111111111111:account/o-x/222222222222` names the management account 111111111111. */
export function managementAccountOf(accountArn: string | undefined): string | undefined {
  const account = accountArn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/**
 * The SCPs over one account, level by level from the root down to the account itself, as AWS evaluates them:
 * every level must allow an action. Undefined for the management account. Without the account's path only the
 * root's and the account's own policies can be placed, and OU-level ones are left out (they could only narrow).
 */
export function policiesOver(organization: OrganizationPolicies, accountId: string): AccountSnapshot['serviceControlPolicies'] {
  if (organization.policies.length === 0 || accountId === organization.managementAccountId) return undefined;
  const attached = (targetId: string) => organization.policies.filter((p) => p.targets.some((t) => t.TargetId === targetId)).map((p) => p.policy);
  const [path] = organization.accountPaths[accountId] ?? [];
  const levels = path
    ? path.split('/').filter((segment) => segment !== '' && !segment.startsWith('o-'))
    : [...new Set(organization.policies.flatMap((p) => p.targets.filter((t) => t.Type === 'ROOT').map((t) => t.TargetId))), accountId];
  return levels.map((target) => ({ target, policies: attached(target) }));
}

interface ListAccountsBody {
  Accounts?: { Id?: string; Arn?: string; Paths?: string[] }[];
}

/** The organization's policies from a pack's raw pages, as the collection read them; undefined when none were read. */
export async function organizationFromRaw(raw: RawPages): Promise<OrganizationPolicies | undefined> {
  if (!raw.scopes().includes('organization')) return undefined;
  const listed = await raw.pages('organization', 'ListPolicies');
  const described = await raw.pages('organization', 'DescribePolicy');
  const targetPages = await raw.pages('organization', 'ListTargetsForPolicy');
  // As in the collection, policies read only in part are not applied: they could only narrow privilege.
  const ids = listed.flatMap((page) => ((page.body as { Policies?: { Id?: string }[] }).Policies ?? []).map((p) => p.Id));
  const finished = <Body>(pages: typeof listed, itemIds: (body: Body) => string[]) => pages.length > 0 && !stoppedPartway(pages, itemIds);
  const policyIds = (body: { Policies?: { Id?: string }[] }) => (body.Policies ?? []).map((p) => p.Id ?? '');
  const targetIds = (body: { Targets?: { TargetId?: string }[] }) => (body.Targets ?? []).map((t) => t.TargetId ?? '');
  const complete =
    finished(listed, policyIds) &&
    ids.every((id) => described.some((page) => page.parameters.PolicyId === id) && finished(targetPages.filter((page) => page.parameters.PolicyId === id), targetIds));
  if (ids.length === 0 || !complete) return undefined;
  const organization: OrganizationPolicies = { managementAccountId: undefined, accountPaths: {}, policies: [] };
  for (const page of await raw.pages('organization', 'ListAccounts')) {
    for (const account of (page.body as ListAccountsBody).Accounts ?? []) {
      if (account.Id) organization.accountPaths[account.Id] = account.Paths ?? [];
      organization.managementAccountId ??= managementAccountOf(account.Arn);
    }
  }
  const targets = new Map<string, { TargetId: string; Type?: string }[]>();
  for (const page of targetPages) {
    const id = String(page.parameters.PolicyId);
    targets.set(id, [...(targets.get(id) ?? []), ...((page.body as { Targets?: { TargetId: string; Type?: string }[] }).Targets ?? [])]);
  }
  for (const page of described) {
    const body = page.body as { Policy?: { PolicySummary?: { Id?: string; Name?: string; Arn?: string }; Content?: string } };
    const summary = body.Policy?.PolicySummary;
    if (!summary?.Id) continue;
    organization.policies.push({
      policy: { Id: summary.Id, ...(summary.Name ? { Name: summary.Name } : {}), ...(summary.Arn ? { Arn: summary.Arn } : {}), Content: body.Policy?.Content },
      targets: targets.get(summary.Id) ?? [],
    });
  }
  return organization;
}
