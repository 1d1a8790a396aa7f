import {
  parseAwsDate,
  type AccessKeyData,
  type AccountData,
  type AwsSandboxDataset,
  type GroupData,
  type ManagedPolicyData,
  type OrganizationAccountData,
  type RoleData,
  type UserCredentialsData,
  type UserData,
} from './dataset.js';

/**
 * One account as it stood at `now`: items created later or deleted by then are gone, and usage dates
 * after `now` are dropped (the dataset cannot say what an earlier last use was).
 */
export interface AccountView {
  id: string;
  users: UserData[];
  groups: GroupData[];
  roles: RoleData[];
  policies: ManagedPolicyData[];
  /** Per visible user, in dataset order: its credentials entry and visible keys in creation order. */
  credentials: Map<string, { user: UserData; credentials: UserCredentialsData | undefined; keys: AccessKeyData[] }>;
  root: { createDate: Date; passwordLastUsed: Date | undefined; mfaActive: boolean; keys: AccessKeyData[] };
  data: AccountData;
}

/** IAM reports role use only within this window. */
const ROLE_LAST_USED_WINDOW_MS = 400 * 24 * 60 * 60 * 1000;

type Dated = { CreateDate?: string | null; 'x-deleted'?: string | undefined };

export function existsAt(item: Dated, now: Date): boolean {
  if (item.CreateDate && parseAwsDate(item.CreateDate) > now) return false;
  const deleted = item['x-deleted'];
  return !(deleted && parseAwsDate(deleted) <= now);
}

function usedBy(date: string | null | undefined, now: Date): string | undefined {
  return date && parseAwsDate(date) <= now ? date : undefined;
}

/** The key as of `now`: its latest use on or before then (LastUsedDate or one of its earlier uses), if any. */
function keyAt(key: AccessKeyData, now: Date): AccessKeyData {
  const uses = [key.LastUsedDate, ...(key['x-earlierUses'] ?? [])].filter((date): date is string => usedBy(date, now) !== undefined);
  const latest = uses.sort((a, b) => parseAwsDate(a).getTime() - parseAwsDate(b).getTime()).at(-1);
  if (latest) return { ...key, LastUsedDate: latest };
  const { LastUsedDate: _date, LastUsedService: _service, LastUsedRegion: _region, ...unused } = key;
  return unused;
}

function keysAt(keys: readonly AccessKeyData[] | undefined, now: Date): AccessKeyData[] {
  return (keys ?? [])
    .filter((key) => existsAt(key, now))
    .map((key) => keyAt(key, now))
    // Creation order, then key id for keys created in the same second: the order the report's slots follow.
    .sort((a, b) => parseAwsDate(a.CreateDate).getTime() - parseAwsDate(b.CreateDate).getTime() || a.AccessKeyId.localeCompare(b.AccessKeyId));
}

function roleAt(role: RoleData, now: Date): RoleData {
  const lastUsed = role.RoleLastUsed?.LastUsedDate ? parseAwsDate(role.RoleLastUsed.LastUsedDate) : undefined;
  if (!lastUsed || (lastUsed <= now && now.getTime() - lastUsed.getTime() <= ROLE_LAST_USED_WINDOW_MS)) return role;
  return { ...role, RoleLastUsed: {} };
}

/** A policy as of `now`: versions created later are gone, and the newest remaining one is the default. */
function policyAt(policy: ManagedPolicyData, now: Date): ManagedPolicyData {
  const versions = policy.PolicyVersionList;
  if (!versions) return policy;
  const visible = versions.filter((version) => !version.CreateDate || parseAwsDate(version.CreateDate) <= now);
  if (visible.length === versions.length) return policy;
  if (visible.some((version) => version.IsDefaultVersion)) return { ...policy, PolicyVersionList: visible };
  const newest = visible.reduce<(typeof visible)[number] | undefined>(
    (best, version) =>
      !best || parseAwsDate(version.CreateDate ?? policy.CreateDate) >= parseAwsDate(best.CreateDate ?? policy.CreateDate)
        ? version
        : best,
    undefined,
  );
  if (!newest) return { ...policy, PolicyVersionList: [] };
  return {
    ...policy,
    DefaultVersionId: newest.VersionId,
    UpdateDate: newest.CreateDate ?? policy.CreateDate,
    PolicyVersionList: visible.map((version) => ({ ...version, IsDefaultVersion: version === newest })),
  };
}

function earliestDate(items: readonly Dated[]): Date | undefined {
  const dates = items.flatMap((item) => (item.CreateDate ? [parseAwsDate(item.CreateDate).getTime()] : []));
  return dates.length ? new Date(dates.reduce((a, b) => Math.min(a, b))) : undefined;
}

type References = { GroupList?: string[] | null; AttachedManagedPolicies?: { PolicyName: string; PolicyArn: string }[] | null };

/** Drops references to groups and customer managed policies that do not exist at `now`. */
function referencesAt<T extends References>(item: T, groups: ReadonlySet<string>, gonePolicies: ReadonlySet<string>): T {
  return {
    ...item,
    ...(item.GroupList ? { GroupList: item.GroupList.filter((name) => groups.has(name)) } : {}),
    ...(item.AttachedManagedPolicies
      ? { AttachedManagedPolicies: item.AttachedManagedPolicies.filter((attached) => !gonePolicies.has(attached.PolicyArn)) }
      : {}),
  };
}

export function accountView(id: string, data: AccountData, now: Date): AccountView {
  const details = data.authorizationDetails;
  const allPolicies = details.Policies ?? [];
  const gonePolicies = new Set(allPolicies.filter((policy) => !existsAt(policy, now)).map((policy) => policy.Arn));
  const allGroups = details.GroupDetailList ?? [];
  const groupNames = new Set(allGroups.filter((group) => existsAt(group, now)).map((group) => group.GroupName));
  const current = <T extends References & Dated>(items: readonly T[] | null | undefined): T[] =>
    (items ?? []).filter((item) => existsAt(item, now)).map((item) => referencesAt(item, groupNames, gonePolicies));

  const users = current(details.UserDetailList);
  const credentials: AccountView['credentials'] = new Map();
  for (const user of users) {
    const entry = data.credentials?.[user.UserName];
    const asOfNow = entry && { ...entry, passwordLastUsed: usedBy(entry.passwordLastUsed, now) ?? null };
    credentials.set(user.UserName, { user, credentials: asOfNow, keys: keysAt(entry?.accessKeys, now) });
  }

  const root = data.rootAccount;
  const rootPasswordLastUsed = usedBy(root?.passwordLastUsed, now);
  const principals = [...(details.UserDetailList ?? []), ...allGroups, ...(details.RoleDetailList ?? [])];
  return {
    id,
    users,
    groups: current(allGroups),
    roles: current(details.RoleDetailList).map((role) => roleAt(role, now)),
    policies: allPolicies.filter((policy) => existsAt(policy, now)).map((policy) => policyAt(policy, now)),
    credentials,
    root: {
      createDate: root?.createDate ? parseAwsDate(root.createDate) : (earliestDate(principals) ?? now),
      passwordLastUsed: rootPasswordLastUsed ? parseAwsDate(rootPasswordLastUsed) : undefined,
      mfaActive: root?.mfaActive ?? true,
      keys: keysAt(root?.accessKeys, now),
    },
    data,
  };
}

export function organizationAccountsAt(dataset: AwsSandboxDataset, now: Date): OrganizationAccountData[] {
  return (dataset.organization?.accounts ?? []).filter((account) => existsAt({ CreateDate: account.JoinedTimestamp, 'x-deleted': account['x-deleted'] }, now));
}

const DATE_FIELD = /(Date|Timestamp|LastUsed|LastChanged|^x-deleted)$/;
const DOCUMENT_FIELD = new Set(['AssumeRolePolicyDocument', 'PolicyDocument', 'Document', 'Content']);

/** The default `now`: the latest date anywhere in the dataset, so every item shows as it finally is. */
export function latestDate(dataset: AwsSandboxDataset): Date {
  let latest = Number.NEGATIVE_INFINITY;
  const visit = (value: unknown, key: string): void => {
    if (DOCUMENT_FIELD.has(key)) return;
    if (typeof value === 'string' && DATE_FIELD.test(key)) {
      const time = parseAwsDate(value).getTime();
      if (time > latest) latest = time;
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, key);
    } else if (value && typeof value === 'object') {
      for (const [childKey, child] of Object.entries(value)) visit(child, childKey);
    }
  };
  visit(dataset, '');
  return Number.isFinite(latest) ? new Date(latest) : new Date(0);
}
