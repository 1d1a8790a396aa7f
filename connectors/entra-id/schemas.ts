import { z } from 'zod';

/**
 * The fields the normalizer reads from each Microsoft Graph answer, as Graph v1.0 (and beta where named)
 * documents them. Each answer is checked against its schema before it is used; what the schema does not name is
 * kept in the raw page but never read.
 */

const Text = z.string().min(1);
const Instant = z.iso.datetime({ offset: true });
const Optional = <T extends z.ZodType>(schema: T) => schema.nullish();

/** An OData collection page: `value`, and `@odata.nextLink` / `@odata.count` where Graph sends them. */
export function page<Item extends z.ZodType>(item: Item) {
  return z.object({
    value: z.array(item),
    '@odata.nextLink': Optional(z.url()),
    '@odata.count': Optional(z.number().int().nonnegative()),
  });
}

export const PasswordCredentialSchema = z.object({
  keyId: Text,
  displayName: Optional(z.string()),
  startDateTime: Optional(Instant),
  endDateTime: Optional(Instant),
});
export type PasswordCredential = z.infer<typeof PasswordCredentialSchema>;

export const KeyCredentialSchema = z.object({
  keyId: Text,
  displayName: Optional(z.string()),
  type: Optional(z.string()),
  usage: Optional(z.string()),
  customKeyIdentifier: Optional(z.string()),
  startDateTime: Optional(Instant),
  endDateTime: Optional(Instant),
});
export type KeyCredential = z.infer<typeof KeyCredentialSchema>;

export const ApplicationSchema = z.object({
  id: Text,
  appId: Text,
  displayName: Optional(z.string()),
  createdDateTime: Optional(Instant),
  signInAudience: Optional(z.string()),
  passwordCredentials: z.array(PasswordCredentialSchema),
  keyCredentials: z.array(KeyCredentialSchema),
});
export type Application = z.infer<typeof ApplicationSchema>;

export const AppRoleSchema = z.object({ id: Text, value: Optional(z.string()), allowedMemberTypes: Optional(z.array(z.string())) });

export const ServicePrincipalSchema = z.object({
  id: Text,
  appId: Text,
  displayName: Optional(z.string()),
  servicePrincipalType: Optional(z.string()),
  appOwnerOrganizationId: Optional(z.string()),
  accountEnabled: Optional(z.boolean()),
  publisherName: Optional(z.string()),
  verifiedPublisher: Optional(z.object({ displayName: Optional(z.string()) })),
  appRoles: z.array(AppRoleSchema),
  passwordCredentials: z.array(PasswordCredentialSchema),
  keyCredentials: z.array(KeyCredentialSchema),
});
export type ServicePrincipal = z.infer<typeof ServicePrincipalSchema>;

/** An owner is a user or a service principal; `@odata.type` says which. */
export const OwnerSchema = z.object({
  id: Text,
  '@odata.type': Optional(z.string()),
  displayName: Optional(z.string()),
  userPrincipalName: Optional(z.string()),
  mail: Optional(z.string()),
  appId: Optional(z.string()),
});
export type DirectoryOwner = z.infer<typeof OwnerSchema>;

/**
 * Beta: v1.0 has no `claimsMatchingExpression`, the flexible form that trusts a pattern of subjects
 * (`claims['sub'] matches 'repo:org/repo:ref:refs/heads/*'`).
 */
export const FederatedCredentialSchema = z.object({
  id: Text,
  name: Optional(z.string()),
  issuer: Text,
  subject: Optional(z.string()),
  audiences: z.array(z.string()),
  claimsMatchingExpression: Optional(z.object({ value: Text, languageVersion: Optional(z.number()) })),
});
export type FederatedCredential = z.infer<typeof FederatedCredentialSchema>;

export const AppRoleAssignmentSchema = z.object({
  id: Text,
  appRoleId: Text,
  principalId: Text,
  principalType: Optional(z.string()),
  resourceId: Text,
  resourceDisplayName: Optional(z.string()),
  createdDateTime: Optional(Instant),
});
export type AppRoleAssignment = z.infer<typeof AppRoleAssignmentSchema>;

export const PermissionGrantSchema = z.object({
  id: Text,
  clientId: Text,
  consentType: Text,
  principalId: Optional(z.string()),
  resourceId: Text,
  scope: Optional(z.string()),
});
export type PermissionGrant = z.infer<typeof PermissionGrantSchema>;

export const RoleDefinitionSchema = z.object({ id: Text, displayName: Text, templateId: Optional(z.string()), isBuiltIn: Optional(z.boolean()) });
export type RoleDefinition = z.infer<typeof RoleDefinitionSchema>;

export const RoleAssignmentSchema = z.object({ id: Text, principalId: Text, roleDefinitionId: Text, directoryScopeId: Optional(z.string()) });
export type RoleAssignment = z.infer<typeof RoleAssignmentSchema>;

const SignInActivity = Optional(z.object({ lastSignInDateTime: Optional(Instant) }));

/** Beta: the service principal sign-in activity report (Entra ID P1 or P2). */
export const ServicePrincipalActivitySchema = z.object({ id: Text, appId: Text, lastSignInActivity: SignInActivity });
export type ServicePrincipalActivity = z.infer<typeof ServicePrincipalActivitySchema>;

/** Beta: the application credential sign-in activity report (Entra ID P1 or P2). */
export const CredentialActivitySchema = z.object({
  id: Text,
  keyId: Text,
  appId: Optional(z.string()),
  credentialOrigin: Optional(z.string()),
  signInActivity: SignInActivity,
});
export type CredentialActivity = z.infer<typeof CredentialActivitySchema>;
