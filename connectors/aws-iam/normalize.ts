import { lastUsedAt, type Classification, type Credential, type Identity, type LastUsed, type TrustPrincipal } from '../../src/sdk/index.js';
import type { CredentialReportRow, ReportKeySlot } from './credential-report.js';
import type { GrantInput, NamedPolicy, PrivilegeEvaluator } from './effective.js';
import { parsePolicyDocument, type PolicyDocument } from './policy.js';
import { trustPrincipals } from './trust.js';
import { serviceUsage, type ServiceLastAccessed } from './service-last-accessed.js';
import { usageOf, type UnusedAccess } from './unused-access.js';

/** Dates come as Date objects from the SDK and as strings (`2019-12-18 19:10:08+00:00`) from CLI exports. */
type DateLike = Date | string;

interface Tag {
  Key?: string;
  Value?: string;
}
interface AttachedPolicy {
  PolicyName?: string;
  PolicyArn?: string;
}
interface InlinePolicy {
  PolicyName?: string;
  PolicyDocument?: unknown;
}
interface PermissionsBoundary {
  PermissionsBoundaryType?: string;
  PermissionsBoundaryArn?: string;
}

export interface UserDetailLike {
  UserName?: string;
  UserId?: string;
  Arn?: string;
  Path?: string;
  CreateDate?: DateLike;
  GroupList?: string[];
  UserPolicyList?: InlinePolicy[];
  AttachedManagedPolicies?: AttachedPolicy[];
  PermissionsBoundary?: PermissionsBoundary;
  Tags?: Tag[];
}
export interface GroupDetailLike {
  GroupName?: string;
  Arn?: string;
  GroupPolicyList?: InlinePolicy[];
  AttachedManagedPolicies?: AttachedPolicy[];
}
export interface RoleDetailLike {
  RoleName?: string;
  RoleId?: string;
  Arn?: string;
  Path?: string;
  CreateDate?: DateLike;
  AssumeRolePolicyDocument?: unknown;
  RolePolicyList?: InlinePolicy[];
  AttachedManagedPolicies?: AttachedPolicy[];
  RoleLastUsed?: { LastUsedDate?: DateLike; Region?: string };
  PermissionsBoundary?: PermissionsBoundary;
  Tags?: Tag[];
}
export interface ManagedPolicyLike {
  PolicyName?: string;
  Arn?: string;
  DefaultVersionId?: string;
  PolicyVersionList?: { Document?: unknown; VersionId?: string; IsDefaultVersion?: boolean }[];
}
export interface AccessKeyLike {
  AccessKeyId?: string;
  Status?: string;
  CreateDate?: DateLike;
  /** The credential report slot the key was read from, when it came from the report itself (offline exports). */
  reportSlot?: ReportKeySlot['slot'];
}

/** A service control policy as Organizations DescribePolicy returns it. */
export interface ServiceControlPolicyLike {
  Id: string;
  Name?: string;
  Arn?: string;
  /** The policy's JSON text (or, in a dataset, the object). */
  Content?: unknown;
}

/** Everything read from one account, from the API or from CLI exports: the input of the pure mapping. */
export interface AccountSnapshot {
  accountId: string;
  users: UserDetailLike[];
  groups: GroupDetailLike[];
  roles: RoleDetailLike[];
  policies: ManagedPolicyLike[];
  /** Default-version documents of AWS managed policies that were read outside GAAD, by ARN. */
  awsManagedPolicies: Record<string, PolicyDocument>;
  /** null when no report could be read: classification and key use are then unknown. */
  credentialReport: CredentialReportRow[] | null;
  /** ListAccessKeys results by user name; a user absent here was not listed (the report showed no key). */
  accessKeys: Record<string, AccessKeyLike[]>;
  /**
   * The organization's service control policies over this account, level by level from the root down to the
   * account itself. Absent when they do not apply (the management account) or could not be read.
   */
  serviceControlPolicies?: { target: string; policies: ServiceControlPolicyLike[] }[];
  /** IAM Access Analyzer's unused-access findings; absent when the account had no analyzer or they could not be read. */
  unusedAccess?: UnusedAccess;
  /** Service last accessed data by principal ARN, read instead when the account has no analyzer and the source asks. */
  serviceLastAccessed?: ServiceLastAccessed;
  refs: {
    /** Raw page path (with a JSON pointer) of each user and role, by ARN. */
    entities: Record<string, string>;
    credentialReport?: string;
  };
}

export interface NormalizeOptions {
  connector: string;
  source: string;
  /** The collection's as-of instant: RoleLastUsed's 400-day window is counted back from it. */
  now: Date;
  /** Effective permissions, against the IAM action catalog at the same as-of instant. */
  privileges: PrivilegeEvaluator;
}

/** AWS has tracked access-key use since 2015-04-22 and console sign-in since 2014-10-20. */
const KEY_USE_TRACKED_SINCE = Date.parse('2015-04-22T00:00:00Z');
const PASSWORD_USE_TRACKED_SINCE = Date.parse('2014-10-20T00:00:00Z');
const ROLE_LAST_USED_WINDOW_DAYS = 400;
/** AdministratorAccess has had one version since 2015: its document is known without reading it. */
const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
const ADMINISTRATOR_ACCESS_DOCUMENT: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
export const CLASSIFICATION_TAG = 'nhi-audit:classification';

export function instant(value: DateLike | undefined | null): string | null {
  if (value === undefined || value === null || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

function defaultDocument(policy: ManagedPolicyLike): unknown {
  const versions = policy.PolicyVersionList ?? [];
  const chosen =
    versions.find((v) => v.IsDefaultVersion) ?? versions.find((v) => v.VersionId === policy.DefaultVersionId) ?? versions[0];
  return chosen?.Document;
}

class PolicyResolver {
  private readonly managed = new Map<string, PolicyDocument>([[ADMINISTRATOR_ACCESS, ADMINISTRATOR_ACCESS_DOCUMENT]]);

  constructor(snapshot: AccountSnapshot) {
    for (const policy of snapshot.policies) {
      const document = defaultDocument(policy);
      if (policy.Arn && document !== undefined) this.managed.set(policy.Arn, parsePolicyDocument(document));
    }
    for (const [arn, document] of Object.entries(snapshot.awsManagedPolicies)) this.managed.set(arn, document);
  }

  /** A managed policy the identity holds; its document is undefined when it was not read. */
  attached(policy: AttachedPolicy, via: 'attached' | 'group', group?: string): GrantInput {
    const name = policy.PolicyName ?? policy.PolicyArn ?? 'unnamed';
    const ref = group ? `group/${group} ${policy.PolicyArn ?? name}` : policy.PolicyArn;
    return { via, name, ...(ref ? { ref } : {}), document: policy.PolicyArn ? this.managed.get(policy.PolicyArn) : undefined };
  }

  inline(policy: InlinePolicy, via: 'inline' | 'group', group?: string): GrantInput {
    const name = policy.PolicyName ?? 'unnamed';
    const ref = group ? `group/${group} inline:${name}` : `inline:${name}`;
    return { via, name, ref, document: parsePolicyDocument(policy.PolicyDocument) };
  }

  boundary(boundary: PermissionsBoundary | undefined): NamedPolicy | undefined {
    const arn = boundary?.PermissionsBoundaryArn;
    if (!arn) return undefined;
    return { name: arn.slice(arn.lastIndexOf('/') + 1), ref: arn, document: this.managed.get(arn) };
  }
}

/** The SCPs over an account as named policies, level by level; their documents are read once per run. */
function serviceControlPolicies(snapshot: AccountSnapshot): NamedPolicy[][] | undefined {
  return snapshot.serviceControlPolicies?.map(({ target, policies }) =>
    policies.map((policy) => ({
      name: policy.Name ?? policy.Id,
      ref: `${policy.Arn ?? policy.Id} on ${target}`,
      document: policy.Content === undefined ? undefined : parsePolicyDocument(policy.Content),
    })),
  );
}

/**
 * Identities whose permissions only AWS decides: a service-linked role carries the policy its service defines,
 * and an IAM Identity Center role is rewritten from its permission set.
 */
function providerManaged(role: RoleDetailLike): Identity['providerManaged'] {
  const path = role.Path ?? '/';
  if (path.startsWith('/aws-service-role/')) {
    const service = path.split('/')[2] ?? 'its service';
    return { reason: `AWS service-linked role of ${service}: AWS defines and updates its permissions, which the account cannot edit` };
  }
  const sso = /^AWSReservedSSO_(.+)_[0-9a-f]{16}$/.exec(role.RoleName ?? '');
  if (path.startsWith('/aws-reserved/sso.amazonaws.com') || sso) {
    return {
      reason: `IAM Identity Center role${sso ? ` of permission set ${sso[1]}` : ''}: Identity Center creates and rewrites it, so its access is reviewed on the permission set`,
    };
  }
  return undefined;
}

function latest(uses: LastUsed[]): LastUsed {
  const dates = uses.map(lastUsedAt).filter((at): at is string => at !== null);
  if (dates.length > 0) return { at: dates.sort().at(-1)! };
  if (uses.length > 0 && uses.every((u) => u === 'never')) return 'never';
  return 'unknown';
}

function keyLastUsed(date: string | null, createdAt: string | null): LastUsed {
  if (date) return { at: date };
  // `N/A` also covers use before tracking began, so only a key created since then is known unused.
  return createdAt !== null && Date.parse(createdAt) >= KEY_USE_TRACKED_SINCE ? 'never' : 'unknown';
}

function sameSecond(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000);
}

/** ListAccessKeys order as the report fills its slots: by creation, then by key id when two share a second. */
function byCreation(a: AccessKeyLike, b: AccessKeyLike): number {
  return (instant(a.CreateDate) ?? '').localeCompare(instant(b.CreateDate) ?? '') || (a.AccessKeyId ?? '').localeCompare(b.AccessKeyId ?? '');
}

/**
 * The credential report has no key ids, only two slots. Each key takes one slot and no slot serves two keys:
 * the slot it was read from (offline exports), else the first free slot rotated in its creation second, else
 * the first free slot that shows a key. A key left without a slot has no known last use.
 */
export function matchReportSlots(keys: readonly AccessKeyLike[], slots: readonly ReportKeySlot[]): Map<AccessKeyLike, ReportKeySlot> {
  const matched = new Map<AccessKeyLike, ReportKeySlot>();
  const free = new Set(slots);
  const take = (key: AccessKeyLike, test: (slot: ReportKeySlot) => boolean) => {
    if (matched.has(key)) return;
    const slot = [...free].find(test);
    if (!slot) return;
    matched.set(key, slot);
    free.delete(slot);
  };
  const ordered = [...keys].sort(byCreation);
  for (const key of ordered) take(key, (slot) => key.reportSlot !== undefined && slot.slot === key.reportSlot);
  for (const key of ordered) take(key, (slot) => key.reportSlot === undefined && sameSecond(slot.lastRotated, instant(key.CreateDate)));
  for (const key of ordered) take(key, (slot) => key.reportSlot === undefined && (slot.active || slot.lastRotated !== null));
  return matched;
}

function userCredentials(user: UserDetailLike, keys: AccessKeyLike[] | undefined, row: CredentialReportRow | undefined): Credential[] {
  const credentials: Credential[] = [];
  const ordered = [...(keys ?? [])].sort(byCreation);
  const slots = matchReportSlots(ordered, row?.accessKeys ?? []);
  ordered.forEach((key, index) => {
    const createdAt = instant(key.CreateDate);
    const slot = slots.get(key);
    credentials.push({
      id: key.AccessKeyId ?? `${user.UserName}/access-key-${index + 1}`,
      type: 'access-key',
      status: key.Status === 'Active' ? 'active' : 'inactive',
      createdAt,
      rotatedAt: null,
      lastUsed: row && slot ? keyLastUsed(slot.lastUsedDate, createdAt) : 'unknown',
      expiresAt: null,
      ...(slot?.lastUsedService ? { lastUsedContext: [slot.lastUsedService, slot.lastUsedRegion].filter(Boolean).join('/') } : {}),
    });
  });
  for (const cert of row?.certificates ?? []) {
    if (!cert.active && cert.lastRotated === null) continue;
    credentials.push({
      id: `${user.UserName}/signing-certificate-${cert.slot}`,
      type: 'certificate',
      status: cert.active ? 'active' : 'inactive',
      createdAt: cert.lastRotated,
      rotatedAt: null,
      lastUsed: 'unknown',
      expiresAt: null,
    });
  }
  return credentials;
}

function classifyUser(user: UserDetailLike, row: CredentialReportRow | undefined, hasKeys: boolean, tags: Record<string, string>): Classification {
  const tagged = tags[CLASSIFICATION_TAG]?.toLowerCase();
  if (tagged === 'machine' || tagged === 'human') return { value: tagged, reason: `tag ${CLASSIFICATION_TAG}=${tagged}` };
  if (!row) return { value: 'unknown', reason: 'no credential report: console password and MFA unknown' };
  const password = row.passwordEnabled === true;
  if (password && hasKeys) {
    return { value: 'unknown', reason: 'console password and access keys: used both by a person and by a program' };
  }
  if (password && (row.mfaActive || typeof row.passwordLastUsed === 'string')) {
    return { value: 'human', reason: row.mfaActive ? 'console password with MFA, no access keys' : 'console password in use, no access keys' };
  }
  if (password) return { value: 'unknown', reason: 'console password never used, no access keys' };
  if (hasKeys) return { value: 'machine', reason: 'no console password; access keys only' };
  if (user.Path && /service|system|machine|automation/i.test(user.Path)) {
    return { value: 'machine', reason: `no credentials; path ${user.Path}` };
  }
  return { value: 'unknown', reason: 'no console password and no access keys' };
}

function interactiveLogin(user: UserDetailLike, row: CredentialReportRow | undefined): Identity['interactiveLogin'] {
  if (!row || row.passwordEnabled === null) return undefined;
  let lastUsed: LastUsed;
  if (!row.passwordEnabled) lastUsed = 'never';
  else if (row.passwordLastUsed === 'never') {
    const created = instant(user.CreateDate);
    lastUsed = created !== null && Date.parse(created) >= PASSWORD_USE_TRACKED_SINCE ? 'never' : 'unknown';
  } else lastUsed = row.passwordLastUsed ? { at: row.passwordLastUsed } : 'unknown';
  return { enabled: row.passwordEnabled, mfa: row.mfaActive, lastUsed };
}

function classifyRole(role: RoleDetailLike, trust: TrustPrincipal[], tags: Record<string, string>): Classification {
  const tagged = tags[CLASSIFICATION_TAG]?.toLowerCase();
  if (tagged === 'machine' || tagged === 'human') return { value: tagged, reason: `tag ${CLASSIFICATION_TAG}=${tagged}` };
  const path = role.Path ?? '/';
  if (path.startsWith('/aws-service-role/')) return { value: 'machine', reason: 'AWS service-linked role' };
  if (path.startsWith('/aws-reserved/sso.amazonaws.com') || role.RoleName?.startsWith('AWSReservedSSO_')) {
    return { value: 'human', reason: 'IAM Identity Center permission-set role' };
  }
  if (trust.some((t) => t.type === 'federated' && /saml-provider/.test(t.value))) {
    return { value: 'human', reason: 'trusts a SAML identity provider (workforce sign-in)' };
  }
  if (trust.some((t) => t.type === 'federated' && /oidc-provider/.test(t.value))) {
    return { value: 'machine', reason: 'trusts an OIDC workload identity provider' };
  }
  if (trust.length > 0 && trust.every((t) => t.type === 'service')) {
    return { value: 'machine', reason: `assumed by AWS services: ${trust.map((t) => t.value).join(', ')}` };
  }
  if (trust.some((t) => t.type === 'account' || t.type === 'any')) {
    return { value: 'unknown', reason: 'assumable by AWS principals, which may be people or workloads' };
  }
  return { value: 'unknown', reason: 'no trust policy principals' };
}

function roleLastUsed(role: RoleDetailLike, now: Date): LastUsed {
  const used = instant(role.RoleLastUsed?.LastUsedDate);
  if (used) return { at: used };
  const horizon = new Date(now.getTime() - ROLE_LAST_USED_WINDOW_DAYS * 86_400_000);
  const created = instant(role.CreateDate);
  // RoleLastUsed covers a trailing 400 days: a younger role is known unused, an older one only since then.
  if (created !== null && Date.parse(created) >= horizon.getTime()) return 'never';
  return { notSince: horizon.toISOString() };
}

function consoleUrl(kind: 'users' | 'roles', name: string): string {
  return `https://console.aws.amazon.com/iam/home#/${kind}/details/${encodeURIComponent(name)}`;
}

/** The principal's usage facts: the account's unused-access findings, or its own service last accessed data. */
function withUsage(privilege: Identity['privilege'], snapshot: AccountSnapshot, arn: string, now: Date): Identity['privilege'] {
  // Object.assign, not `{ ...privilege, usage }`: a member after a spread costs a microsecond or more in Node 20's V8.
  if (snapshot.unusedAccess) return Object.assign({}, privilege, { usage: usageOf(snapshot.unusedAccess, arn) });
  const services = snapshot.serviceLastAccessed?.[arn];
  return services ? Object.assign({}, privilege, { usage: serviceUsage(services, now) }) : privilege;
}

/** Maps one account's IAM data to identities: users (service accounts) with their keys, and roles with their trust. */
export function normalizeAccount(snapshot: AccountSnapshot, options: NormalizeOptions): Identity[] {
  const { accountId } = snapshot;
  const policies = new PolicyResolver(snapshot);
  const groups = new Map(snapshot.groups.map((g) => [g.GroupName ?? '', g]));
  const reportRows = new Map((snapshot.credentialReport ?? []).map((row) => [row.user, row]));
  const organizationPolicies = serviceControlPolicies(snapshot);
  const identities: Identity[] = [];

  for (const user of snapshot.users) {
    const name = user.UserName ?? '';
    const arn = user.Arn ?? `arn:aws:iam::${accountId}:user/${name}`;
    const tags = tagsOf(user.Tags);
    const row = snapshot.credentialReport ? reportRows.get(name) : undefined;
    const credentials = userCredentials(user, snapshot.accessKeys[name], row);
    const grants = [
      ...(user.AttachedManagedPolicies ?? []).map((p) => policies.attached(p, 'attached')),
      ...(user.UserPolicyList ?? []).map((p) => policies.inline(p, 'inline')),
      ...(user.GroupList ?? []).flatMap((groupName) => {
        const group = groups.get(groupName);
        if (!group) return [];
        return [
          ...(group.AttachedManagedPolicies ?? []).map((p) => policies.attached(p, 'group', groupName)),
          ...(group.GroupPolicyList ?? []).map((p) => policies.inline(p, 'group', groupName)),
        ];
      }),
    ];
    const login = interactiveLogin(user, row);
    const uses = credentials.filter((c) => c.type === 'access-key').map((c) => c.lastUsed);
    if (login?.enabled) uses.push(login.lastUsed);
    identities.push({
      id: `${options.connector}:${accountId}:user/${name}`,
      connector: options.connector,
      source: options.source,
      scope: accountId,
      kind: 'service-account',
      name,
      nativeId: arn,
      url: consoleUrl('users', name),
      status: 'active',
      classification: classifyUser(user, row, credentials.some((c) => c.type === 'access-key'), tags),
      createdAt: instant(user.CreateDate),
      lastUsed: snapshot.credentialReport ? latest(uses) : 'unknown',
      credentials,
      privilege: withUsage(
        options.privileges.privilege({
          grants,
          ...(user.PermissionsBoundary ? { boundary: policies.boundary(user.PermissionsBoundary) } : {}),
          ...(organizationPolicies ? { serviceControlPolicies: organizationPolicies } : {}),
        }),
        snapshot,
        arn,
        options.now,
      ),
      ...(login ? { interactiveLogin: login } : {}),
      tags,
      rawRef: snapshot.refs.entities[arn] ?? snapshot.refs.credentialReport ?? '',
    });
  }

  for (const role of snapshot.roles) {
    const name = role.RoleName ?? '';
    const arn = role.Arn ?? `arn:aws:iam::${accountId}:role/${name}`;
    const tags = tagsOf(role.Tags);
    const trust = trustPrincipals(parsePolicyDocument(role.AssumeRolePolicyDocument));
    const grants = [
      ...(role.AttachedManagedPolicies ?? []).map((p) => policies.attached(p, 'attached')),
      ...(role.RolePolicyList ?? []).map((p) => policies.inline(p, 'inline')),
    ];
    const managedBy = providerManaged(role);
    // Service control policies do not affect service-linked roles.
    const scps = role.Path?.startsWith('/aws-service-role/') ? undefined : organizationPolicies;
    identities.push({
      id: `${options.connector}:${accountId}:role/${name}`,
      connector: options.connector,
      source: options.source,
      scope: accountId,
      kind: 'role',
      name,
      nativeId: arn,
      url: consoleUrl('roles', name),
      status: 'active',
      classification: classifyRole(role, trust, tags),
      ...(managedBy ? { providerManaged: managedBy } : {}),
      createdAt: instant(role.CreateDate),
      lastUsed: roleLastUsed(role, options.now),
      credentials: [],
      privilege: withUsage(
        options.privileges.privilege({
          grants,
          ...(role.PermissionsBoundary ? { boundary: policies.boundary(role.PermissionsBoundary) } : {}),
          ...(scps ? { serviceControlPolicies: scps } : {}),
        }),
        snapshot,
        arn,
        options.now,
      ),
      trust,
      tags,
      rawRef: snapshot.refs.entities[arn] ?? '',
    });
  }
  return identities;
}
