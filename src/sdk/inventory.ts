import { z } from 'zod';

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
    type: z.enum(['access-key', 'service-account-key', 'token', 'ssh-key', 'secret', 'certificate']),
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
 * `iam-write` changes who can do what there, `passrole-any` hands any role to a service, `privilege-escalation`
 * and `credential-creation` let the holder raise its own access or mint credentials for others, `impersonation`
 * acts as other identities. A capability limited to named resources is not flagged.
 */
export const PrivilegeFlagSchema = z.enum([
  'admin',
  'wildcard-action',
  'service-wildcard',
  'not-action',
  'iam-write',
  'passrole-any',
  'privilege-escalation',
  'credential-creation',
  'impersonation',
]);
export type PrivilegeFlag = z.infer<typeof PrivilegeFlagSchema>;

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
  })
  .strict();
export type Grant = z.infer<typeof GrantSchema>;

/** How findings name a grant: the policy or role, and where an auditor finds it. */
export function grantLabel(grant: Pick<Grant, 'name' | 'ref'>): string {
  return grant.ref ? `${grant.name} (${grant.ref})` : grant.name;
}

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
    tags: z.record(z.string(), z.string()),
    /** Path inside the pack's raw/ folder of the page this identity was read from, with a pointer into it. */
    rawRef: z.string(),
  })
  .strict();
export type Identity = z.infer<typeof IdentitySchema>;
