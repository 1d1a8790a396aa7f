import { z } from 'zod';
import { SystemReachSchema } from './systems.js';

/** RFC 3339 instant in UTC, as every date in the inventory is written. */
export const InstantSchema = z.iso.datetime({ offset: false });

/**
 * When something was last used. "never" (the provider says it was not used) and "unknown" (the provider
 * has no data) are different audit facts; `notSince` says the provider tracks use only back to a date
 * (AWS RoleLastUsed covers 400 days) and saw none since then.
 */
export const LastUsedSchema = z.union([
  z.object({ at: InstantSchema }).strict(),
  z.object({ notSince: InstantSchema }).strict(),
  z.literal('never'),
  z.literal('unknown'),
]);
export type LastUsed = z.infer<typeof LastUsedSchema>;

/** The instant of last use when the provider gives one; null for "never", "unknown" and "not since". */
export function lastUsedAt(lastUsed: LastUsed): string | null {
  return typeof lastUsed === 'object' && 'at' in lastUsed ? lastUsed.at : null;
}

export const IdentityKindSchema = z.enum([
  'service-account',
  'role',
  'app',
  'token',
  'deploy-key',
  'ci-secret',
  'api-key',
]);
export type IdentityKind = z.infer<typeof IdentityKindSchema>;

export const CredentialSchema = z
  .object({
    /** Provider's identifier of the credential (an access key id, a key name): never the secret. */
    id: z.string().min(1),
    /**
     * `client-secret`: a password the identity provider issued to an application (Entra ID), with its own expiry;
     * `secret`: a stored copy of a credential issued elsewhere (a CI secret, a webhook's), whose expiry its issuer holds.
     */
    type: z.enum(['access-key', 'service-account-key', 'token', 'ssh-key', 'secret', 'client-secret', 'certificate']),
    status: z.enum(['active', 'inactive']),
    createdAt: InstantSchema.nullable(),
    rotatedAt: InstantSchema.nullable(),
    lastUsed: LastUsedSchema,
    expiresAt: InstantSchema.nullable(),
    fingerprint: z.string().optional(),
    /** Where the provider reports extra usage context (service, region). */
    lastUsedContext: z.string().optional(),
  })
  .strict();
export type Credential = z.infer<typeof CredentialSchema>;

export const PrivilegeLevelSchema = z.enum(['admin', 'write', 'read', 'none', 'unknown']);
export type PrivilegeLevel = z.infer<typeof PrivilegeLevelSchema>;

/** Ordered from least to most privilege, so levels compare by index. */
export const PRIVILEGE_ORDER: readonly PrivilegeLevel[] = ['none', 'read', 'write', 'admin'];

/**
 * Risky capabilities of a grant, each over the whole scope (every resource of an account, project or org):
 * `iam-write` changes who can do what there, `permissions-management` changes the permissions of resources
 * (IAM, bucket and key policies: AWS's "Permissions management" access level), `passrole-any` hands any role to
 * any service, `privilege-escalation` and `credential-creation` let the holder raise its own access or mint
 * credentials for others, `impersonation` acts as other identities. A capability limited to named resources is
 * not flagged. `wildcard-action`, `service-wildcard` and `not-action` say how a policy is written.
 */
export const PrivilegeFlagSchema = z.enum([
  'admin',
  'wildcard-action',
  'service-wildcard',
  'not-action',
  'iam-write',
  'permissions-management',
  'passrole-any',
  'privilege-escalation',
  'credential-creation',
  'impersonation',
]);
export type PrivilegeFlag = z.infer<typeof PrivilegeFlagSchema>;

/**
 * Privilege that holds only under conditions the collector cannot decide (a source IP, MFA, a tag): the level
 * and flags it would add to what holds unconditionally, and the conditions as written.
 */
export const ConditionalPrivilegeSchema = z
  .object({
    level: PrivilegeLevelSchema,
    flags: z.array(PrivilegeFlagSchema),
    /** `IpAddress aws:SourceIp 203.0.113.0/24`: operator, key and values. */
    conditions: z.array(z.string()),
  })
  .strict();
export type ConditionalPrivilege = z.infer<typeof ConditionalPrivilegeSchema>;

export const GrantSchema = z
  .object({
    /** How the identity holds it: a policy attached to it, inline, through a group, a role binding, an app permission. */
    via: z.enum(['attached', 'inline', 'group', 'binding', 'permission', 'scope']),
    /** Policy, role or permission name. */
    name: z.string(),
    /** Policy ARN, group name, binding resource: where an auditor finds it. */
    ref: z.string().optional(),
    level: PrivilegeLevelSchema,
    flags: z.array(PrivilegeFlagSchema),
    /** The actions or permissions that made the level and flags (bounded, sorted). */
    evidence: z.array(z.string()),
    /** What the grant adds only under conditions that depend on the request. */
    conditional: ConditionalPrivilegeSchema.optional(),
  })
  .strict();
export type Grant = z.infer<typeof GrantSchema>;

/** A policy that takes privilege away from what the grants allow, and what it takes. */
export const PrivilegeLimitSchema = z
  .object({
    /** An explicit Deny, a permissions boundary, or a service control policy of the organization. */
    kind: z.enum(['deny', 'permissions-boundary', 'service-control-policy']),
    name: z.string(),
    ref: z.string().optional(),
    /** The identity's level were this its only limit. */
    level: PrivilegeLevelSchema,
    /** The flags it removes. */
    removes: z.array(PrivilegeFlagSchema),
    /**
     * Set when the limit applies only under conditions that depend on the request (a region, a network): the
     * identity keeps the privilege for other requests, so it is not subtracted from the level and flags.
     */
    conditions: z.array(z.string()).optional(),
  })
  .strict();
export type PrivilegeLimit = z.infer<typeof PrivilegeLimitSchema>;

const LIMIT_KINDS: Record<PrivilegeLimit['kind'], string> = {
  deny: 'the explicit Deny in',
  'permissions-boundary': 'the permissions boundary',
  'service-control-policy': 'the service control policy',
};

/** How findings name undecided conditions: `under IpAddress aws:SourceIp 203.0.113.0/24, a condition … not evaluated`. */
export function describeConditions(conditional: Pick<ConditionalPrivilege, 'conditions'>): string {
  const { conditions } = conditional;
  if (conditions.length === 0) return 'under conditions that were not evaluated';
  return `under ${conditions.join('; ')}, ${conditions.length === 1 ? 'a condition' : 'conditions'} nhi-audit does not evaluate`;
}

/** How findings name a limit: `the explicit Deny in deny-iam (inline:deny-iam)`. */
export function describeLimit(limit: Pick<PrivilegeLimit, 'kind' | 'name' | 'ref'>): string {
  return `${LIMIT_KINDS[limit.kind]} ${limit.ref ? `${limit.name} (${limit.ref})` : limit.name}`;
}

/** How findings name a grant: the policy or role, and where an auditor finds it. */
export function grantLabel(grant: Pick<Grant, 'name' | 'ref'>): string {
  return grant.ref ? `${grant.name} (${grant.ref})` : grant.name;
}

/**
 * What the provider observed of an identity's use of its privilege: the services, actions, permissions or roles
 * it was granted, each with when it was last used. Only what the provider reports is listed; an item absent
 * from the list is no evidence either way.
 */
export const UsageItemSchema = z
  .object({
    /** `role` is the identity's own role (AWS), `credential` one of its keys or its password. */
    kind: z.enum(['service', 'action', 'permission', 'role', 'credential']),
    /** `s3`, `s3:GetObject`, `storage.buckets.delete`, `roles/editor`, an access key id. */
    name: z.string().min(1),
    /**
     * `unknown` says unused within the observed period with no date given (an IAM Recommender insight's unused
     * permission, an Access Analyzer unused action without a last access).
     */
    lastUsed: LastUsedSchema,
  })
  .strict();
export type UsageItem = z.infer<typeof UsageItemSchema>;

export const PrivilegeUsageSchema = z
  .object({
    /** Where the facts come from: `access-analyzer`, `service-last-accessed`, `iam-recommender`. */
    source: z.string().min(1),
    /** The days the provider's observation covers (IAM Recommender's observation period, the analyzer's tracking period). */
    observedDays: z.number().int().positive().optional(),
    items: z.array(UsageItemSchema),
  })
  .strict();
export type PrivilegeUsage = z.infer<typeof PrivilegeUsageSchema>;

export const PrivilegeSchema = z
  .object({
    level: PrivilegeLevelSchema,
    grants: z.array(GrantSchema),
    flags: z.array(PrivilegeFlagSchema),
    /**
     * How far the grants reach: every resource of the scope (all repositories, `Resource: *`), a selected
     * set, or none. Unset when the provider does not say.
     */
    reach: z.enum(['all', 'selected', 'none']).optional(),
    /**
     * The level and flags are effective: what the grants allow after explicit denies and caps (`limits`).
     * `conditional` is what more the grants allow under undecided conditions.
     */
    conditional: ConditionalPrivilegeSchema.optional(),
    /** Denies, boundaries and organization policies that removed privilege, each with what it removed. */
    limits: z.array(PrivilegeLimitSchema).optional(),
    /** Named privilege-escalation methods the effective permissions allow (Rhino Security Labs' for AWS). */
    escalationMethods: z.array(z.string()).optional(),
    /** The kinds of policy the level was computed from (`identity-policies`, `permissions-boundary`, ...). */
    evaluated: z.array(z.string()).optional(),
    /**
     * What of the grants the identity used, as the provider observed it. Unset when no usage data was read
     * for the identity's scope (the manifest's scope entry says why); `items: []` when the provider saw nothing unused.
     */
    usage: PrivilegeUsageSchema.optional(),
  })
  .strict();
export type Privilege = z.infer<typeof PrivilegeSchema>;

export const TrustPrincipalSchema = z
  .object({
    type: z.enum(['service', 'account', 'federated', 'any']),
    /** The principal as written: a service name, an account id or ARN, an identity provider. */
    value: z.string(),
    /** For OIDC federation: the subject claims the trust is restricted to (empty = unrestricted). */
    subjects: z.array(z.string()).optional(),
    audiences: z.array(z.string()).optional(),
    /** Whether any condition restricts this principal (external id, source account, OIDC claims). */
    conditioned: z.boolean(),
  })
  .strict();
export type TrustPrincipal = z.infer<typeof TrustPrincipalSchema>;

export const OwnerSchema = z
  .object({
    id: z.string().min(1),
    /** Where the owner came from: `tag:owner`, `registry:owners.csv`, `property:owner`, `added_by`. */
    source: z.string(),
    status: z.enum(['active', 'terminated', 'unknown']),
    /** When the owner left, from the HR roster: a departure after the as-of date leaves the owner active then. */
    terminatedAt: InstantSchema.optional(),
  })
  .strict();
export type Owner = z.infer<typeof OwnerSchema>;

export const ApprovalSchema = z
  .object({
    ticket: z.string(),
    approver: z.string(),
    requester: z.string().optional(),
    approvedAt: InstantSchema,
  })
  .strict();
export type Approval = z.infer<typeof ApprovalSchema>;

/** An identity's entry on the privileged-access list: its administrator access was approved and is recertified. */
export const PrivilegedAccessSchema = z
  .object({
    approver: z.string().min(1),
    ticket: z.string().optional(),
    /** The last time its owner recertified the access. */
    recertifiedAt: InstantSchema,
    /** Where the entry came from: `registry:privileged-access.csv`. */
    source: z.string(),
  })
  .strict();
export type PrivilegedAccess = z.infer<typeof PrivilegedAccessSchema>;

export const ClassificationSchema = z
  .object({
    value: z.enum(['machine', 'human', 'unknown']),
    reason: z.string(),
  })
  .strict();
export type Classification = z.infer<typeof ClassificationSchema>;

export const IdentitySchema = z
  .object({
    /** Stable across cycles: `<connector>:<scope>:<native id>`. */
    id: z.string().regex(/^[a-z0-9-]+:[^:]+:.+$/, 'must be <connector>:<scope>:<native id>'),
    connector: z.string(),
    source: z.string(),
    scope: z.string(),
    kind: IdentityKindSchema,
    name: z.string(),
    nativeId: z.string(),
    url: z.string().optional(),
    status: z.enum(['active', 'disabled']),
    classification: ClassificationSchema,
    /**
     * The provider creates this identity and decides its permissions (an AWS service-linked role, an IAM
     * Identity Center role): the customer cannot change it, so every control judges it not-applicable and says why.
     */
    providerManaged: z.object({ reason: z.string().min(1) }).strict().optional(),
    createdAt: InstantSchema.nullable(),
    lastUsed: LastUsedSchema,
    credentials: z.array(CredentialSchema),
    privilege: PrivilegeSchema,
    trust: z.array(TrustPrincipalSchema).optional(),
    /** A console password or other interactive sign-in path on a machine identity. */
    interactiveLogin: z
      .object({
        enabled: z.boolean(),
        mfa: z.boolean(),
        lastUsed: LastUsedSchema,
        /** How a person signs in with it, in the provider's words (`SAP GUI dialog logon`); a console password when unset. */
        method: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /**
     * Programs known to run as this identity (a scheduled batch job, an interface), as the provider or an export
     * names them: machine use, whatever the account's type says it is for.
     */
    usedBy: z.array(z.object({ type: z.string().min(1), name: z.string().min(1) }).strict()).optional(),
    /** When the identity itself stops working (a break-glass grant's end, a token's expiry); null = never. */
    expiresAt: InstantSchema.nullable().optional(),
    /** The outside party an identity belongs to (a vendor integration, a third-party app's publisher). */
    vendor: z.string().optional(),
    /** An emergency (break-glass) identity or grant: disabled at rest, time-bounded when in use. */
    breakGlass: z.boolean().optional(),
    owner: OwnerSchema.optional(),
    approval: ApprovalSchema.optional(),
    privilegedAccess: PrivilegedAccessSchema.optional(),
    environment: z.string().optional(),
    /** The financial systems the identity reaches, from the systems registry, each with why. */
    systems: z.array(SystemReachSchema).optional(),
    tags: z.record(z.string(), z.string()),
    /** Path inside the pack's raw/ folder of the page this identity was read from, with a pointer into it. */
    rawRef: z.string(),
  })
  .strict();
export type Identity = z.infer<typeof IdentitySchema>;
