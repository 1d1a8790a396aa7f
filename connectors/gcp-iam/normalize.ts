import type { cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import type { iam_v1 } from '@googleapis/iam';
import {
  lastUsedAt,
  PRIVILEGE_ORDER,
  type Credential,
  type Grant,
  type Identity,
  type Privilege,
  type PrivilegeFlag,
  type PrivilegeLevel,
  type TrustPrincipal,
} from '../../src/sdk/index.js';
import type { AssetView } from './assets.js';
import type { Located } from './transport.js';
import { coverageOf, lastUseOf } from './last-authentication.js';
import type { Activity } from './rest.js';
import { customRoleImpersonates, customRoleMeaning, isCustomRole } from './custom-roles.js';
import { IMPERSONATION_ROLES, roleMeaning, type RoleMeaning } from './roles.js';

export const CONNECTOR_ID = 'gcp-iam';

/** Everything read about one project, as the APIs returned it. Unset parts could not be read. */
export interface ProjectSnapshot {
  source: string;
  projectId: string;
  accounts: Array<Located<iam_v1.Schema$ServiceAccount>>;
  /** User-managed keys by account email; an account missing here had its keys left unread. */
  keys: ReadonlyMap<string, Array<Located<iam_v1.Schema$ServiceAccountKey>>>;
  policy?: Located<cloudresourcemanager_v3.Schema$Policy>;
  /**
   * The project's folders and organization, nearest first, each with its allow policy (unset: it could not be
   * read). Unset when the project's ancestry could not be read.
   */
  ancestors?: AncestorPolicy[];
  /** The custom roles bound in these policies, by name; one missing here could not be read. */
  roles?: ReadonlyMap<string, Located<iam_v1.Schema$Role>>;
  accountActivities?: Activity[];
  keyActivities?: Activity[];
  /** What Cloud Asset Inventory holds for the project (the org-wide route only). */
  assets?: AssetView;
}

export interface AncestorPolicy {
  /** `folders/N` or `organizations/N`. */
  resource: string;
  policy?: Located<cloudresourcemanager_v3.Schema$Policy>;
}

function instant(value: string | null | undefined): string | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** A user-managed key's validBeforeTime of 9999-12-31 means it never expires. */
export function keyExpiry(validBeforeTime: string | null | undefined): string | null {
  const expiry = instant(validBeforeTime);
  return expiry === null || expiry >= '9999-01-01' ? null : expiry;
}

/** `//iam.googleapis.com/projects/P/serviceAccounts/ACCOUNT[/keys/KEY]` → lookup keys by email or unique id. */
function activityKeys(activity: Activity): string[] {
  const match = activity.fullResourceName?.match(/\/serviceAccounts\/([^/]+)(?:\/keys\/([^/]+))?$/);
  if (!match) return [];
  const [, account, key] = match;
  const payload = activity.activity?.[key ? 'serviceAccountKey' : 'serviceAccount'] as { serviceAccountId?: string } | undefined;
  const accounts = [account!, ...(payload?.serviceAccountId ? [payload.serviceAccountId] : [])];
  return accounts.map((a) => (key ? `${a}/keys/${key}` : a));
}

function indexActivities(activities: readonly Activity[] | undefined): Map<string, Activity> | undefined {
  if (!activities) return undefined;
  const index = new Map<string, Activity>();
  for (const activity of activities) for (const key of activityKeys(activity)) index.set(key, activity);
  return index;
}

export type DefaultAccount = 'compute' | 'appengine';

export function defaultAccountKind(email: string, projectId: string): DefaultAccount | undefined {
  if (/^\d+-compute@developer\.gserviceaccount\.com$/.test(email)) return 'compute';
  if (email === `${projectId}@appspot.gserviceaccount.com`) return 'appengine';
  return undefined;
}

const DEFAULT_REASON: Record<DefaultAccount, string> = {
  compute: 'the Compute Engine default service account, created with the project',
  appengine: 'the App Engine default service account, created with the project',
};

/** `owner: someone@example.com` written in the account's description. */
function ownerFromDescription(description: string | null | undefined): string | undefined {
  return description?.match(/\bowner\s*[:=]\s*([^\s,;]+)/i)?.[1];
}

function conditionText(condition: cloudresourcemanager_v3.Schema$Expr | undefined | null): string | undefined {
  if (!condition) return undefined;
  return `condition: ${condition.title ? `${condition.title}: ` : ''}${condition.expression ?? ''}`;
}

function combinedLevel(grants: readonly Grant[]): PrivilegeLevel {
  if (grants.length === 0) return 'none';
  const known = grants.filter((g) => g.level !== 'unknown');
  const highest = known.reduce<PrivilegeLevel>(
    (max, g) => (PRIVILEGE_ORDER.indexOf(g.level) > PRIVILEGE_ORDER.indexOf(max) ? g.level : max),
    'none',
  );
  return known.length < grants.length && highest !== 'admin' ? 'unknown' : highest;
}

/** Every allow policy the project's accounts are bound in: the project's own, then each ancestor's. */
function policiesOf(snapshot: ProjectSnapshot): AncestorPolicy[] {
  return [{ resource: `projects/${snapshot.projectId}`, ...(snapshot.policy ? { policy: snapshot.policy } : {}) }, ...(snapshot.ancestors ?? [])];
}

function meaningOf(role: string, roles: ProjectSnapshot['roles']): RoleMeaning {
  if (!isCustomRole(role)) return roleMeaning(role);
  const custom = roles?.get(role);
  return custom ? customRoleMeaning(custom.item) : { level: 'unknown', flags: [], evidence: ['custom role could not be read'] };
}

/** A policy that could not be read: its bindings, whatever they grant, are unknown. */
function unread(resource: string, why: string): Grant {
  return { via: 'binding', name: 'allow policy', ref: resource, level: 'unknown', flags: [], evidence: [why] };
}

const byNameThenPlace = (a: Grant, b: Grant) =>
  a.name.localeCompare(b.name) || (a.ref ?? '').localeCompare(b.ref ?? '') || a.evidence.join().localeCompare(b.evidence.join());

function privilegeOf(email: string, snapshot: ProjectSnapshot): Privilege {
  const member = `serviceAccount:${email}`;
  const grants: Grant[] = [];
  let unconditioned = false;
  if (!snapshot.ancestors) {
    grants.push(unread(`projects/${snapshot.projectId}`, "the project's ancestry could not be read, so the bindings it inherits from folders and the organization are unknown"));
  }
  for (const { resource, policy } of policiesOf(snapshot)) {
    if (!policy) {
      grants.push(unread(resource, `the allow policy of ${resource} could not be read`));
      continue;
    }
    for (const binding of policy.item.bindings ?? []) {
      if (!binding.role || !binding.members?.includes(member)) continue;
      const meaning = meaningOf(binding.role, snapshot.roles);
      const condition = conditionText(binding.condition);
      if (!condition) unconditioned = true;
      grants.push({
        via: 'binding',
        name: binding.role,
        ref: resource,
        level: meaning.level,
        flags: meaning.flags,
        evidence: condition ? [...meaning.evidence, condition] : meaning.evidence,
      });
    }
  }
  grants.sort(byNameThenPlace);
  const flags = [...new Set(grants.flatMap((g) => g.flags))].sort() as PrivilegeFlag[];
  return { level: combinedLevel(grants), grants, flags, ...(unconditioned ? { reach: 'all' as const } : {}) };
}

function trustType(member: string): TrustPrincipal['type'] {
  if (member === 'allUsers' || member === 'allAuthenticatedUsers') return 'any';
  if (member.startsWith('principal://') || member.startsWith('principalSet://')) return 'federated';
  return 'account';
}

function impersonates(role: string, roles: ProjectSnapshot['roles']): boolean {
  if (IMPERSONATION_ROLES[role]) return true;
  const custom = roles?.get(role);
  return custom !== undefined && customRoleImpersonates(custom.item);
}

/**
 * Who can act as every service account of the project through an impersonation role bound on the project or
 * inherited from above it.
 */
function trustOf(email: string, snapshot: ProjectSnapshot): TrustPrincipal[] | undefined {
  if (!snapshot.policy) return undefined;
  const self = `serviceAccount:${email}`;
  const trust = new Map<string, TrustPrincipal>();
  const bindings = policiesOf(snapshot).flatMap(({ policy }) => policy?.item.bindings ?? []);
  for (const binding of bindings) {
    if (!binding.role || !impersonates(binding.role, snapshot.roles)) continue;
    for (const member of binding.members ?? []) {
      if (member === self || member.startsWith('deleted:')) continue;
      const conditioned = Boolean(binding.condition);
      const known = trust.get(member);
      // Unconditioned anywhere wins: one unconditional path is enough to act as the account.
      trust.set(member, { type: trustType(member), value: member, conditioned: (known?.conditioned ?? true) && conditioned });
    }
  }
  return [...trust.values()].sort((a, b) => a.value.localeCompare(b.value));
}

function keyCredential(
  key: iam_v1.Schema$ServiceAccountKey,
  account: iam_v1.Schema$ServiceAccount,
  activities: Map<string, Activity> | undefined,
  coverage: ReturnType<typeof coverageOf>,
): Credential | undefined {
  const id = key.name?.split('/').pop();
  if (!id) return undefined;
  const createdAt = instant(key.validAfterTime);
  const activity = [account.email, account.uniqueId].map((a) => activities?.get(`${a}/keys/${id}`)).find(Boolean);
  const lastUsed = activities ? lastUseOf(activity, coverage, createdAt) : 'unknown';
  return {
    id,
    type: 'service-account-key',
    status: key.disabled ? 'inactive' : 'active',
    createdAt,
    // A key is never rotated in place: rotating means creating a new key, so its age runs from creation.
    rotatedAt: createdAt,
    lastUsed,
    expiresAt: keyExpiry(key.validBeforeTime),
    ...(lastUsedAt(lastUsed)
      ? { lastUsedContext: 'Policy Analyzer: day of last authentication, US Pacific Standard Time' }
      : {}),
  };
}

/** One project's service accounts as identities. Pure: the same snapshot always gives the same identities. */
export function normalizeProject(snapshot: ProjectSnapshot): Identity[] {
  const { projectId } = snapshot;
  const accountActivities = indexActivities(snapshot.accountActivities);
  const keyActivities = indexActivities(snapshot.keyActivities);
  // Both activity types come from the project's one Activity Analyzer window: a query that succeeded but
  // returned nothing (so no window of its own) still covers what the other query shows.
  const seenAccounts = snapshot.accountActivities && coverageOf(snapshot.accountActivities);
  const seenKeys = snapshot.keyActivities && coverageOf(snapshot.keyActivities);
  const accountCoverage = snapshot.accountActivities && (seenAccounts ?? seenKeys);
  const keyCoverage = snapshot.keyActivities && (seenKeys ?? seenAccounts);

  const identities: Identity[] = [];
  for (const { item: account, ref } of snapshot.accounts) {
    const email = account.email;
    if (!email) continue;
    const uniqueId = account.uniqueId ?? email;
    const asset = snapshot.assets?.accounts.get(uniqueId);
    const createdAt = instant(asset?.createTime);
    const defaultKind = defaultAccountKind(email, projectId);
    const owner = ownerFromDescription(account.description);
    const credentials = (snapshot.keys.get(email) ?? [])
      .filter(({ item }) => item.keyType === 'USER_MANAGED')
      .map(({ item }) => keyCredential(item, account, keyActivities, keyCoverage))
      .filter((c): c is Credential => c !== undefined)
      .sort((a, b) => a.id.localeCompare(b.id));
    const activity = [email, uniqueId].map((a) => accountActivities?.get(a)).find(Boolean);
    const trust = trustOf(email, snapshot);

    identities.push({
      id: `${CONNECTOR_ID}:${projectId}:${email}`,
      connector: CONNECTOR_ID,
      source: snapshot.source,
      scope: projectId,
      kind: 'service-account',
      name: email,
      nativeId: uniqueId,
      url: `https://console.cloud.google.com/iam-admin/serviceaccounts/details/${uniqueId}?project=${projectId}`,
      status: account.disabled ? 'disabled' : 'active',
      classification: {
        value: 'machine',
        reason: defaultKind
          ? `GCP service account: ${DEFAULT_REASON[defaultKind]}`
          : 'GCP service account: a machine identity by construction',
      },
      createdAt,
      lastUsed: accountActivities ? lastUseOf(activity, accountCoverage, createdAt) : 'unknown',
      credentials,
      privilege: privilegeOf(email, snapshot),
      ...(trust ? { trust } : {}),
      ...(owner ? { owner: { id: owner, source: 'description', status: 'unknown' as const } } : {}),
      tags: {
        ...(account.displayName ? { 'gcp:display-name': account.displayName } : {}),
        ...(defaultKind ? { 'gcp:default-service-account': defaultKind } : {}),
      },
      rawRef: ref,
    });
  }
  return identities;
}
