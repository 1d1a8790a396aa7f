import { z } from 'zod';

/*
 * What the connector reads from each GitHub response, checked before anything uses it (issue 9): the fields
 * the normalizers and the collection's decisions read, typed and required or nullable as GitHub's OpenAPI
 * description (`@octokit/openapi`) and GraphQL schema give them. Every other field passes through untouched,
 * so the pack keeps the body as received.
 */

/** Timestamps are kept as strings; `instant()` reads them, and an unparseable one becomes `null` there. */
const Timestamp = z.string();

export const OrganizationSchema = z.looseObject({
  public_repos: z.number().int().nonnegative(),
  /** Visible to organization owners and Apps with organization administration only. */
  total_private_repos: z.number().int().nonnegative().optional(),
});

export const AuthenticatedUserSchema = z.looseObject({ login: z.string().min(1) });

export const InstallationTokenSchema = z.looseObject({ token: z.string().min(1), expires_at: Timestamp });

/** An App's owner (its publisher) is a user or organization with a login, or an enterprise without one; null when GitHub hides it. */
export const AppSchema = z.looseObject({
  owner: z.looseObject({ login: z.string().optional() }).nullable(),
});

/** The App itself, as GET /app shows it to its own JWT. */
export const AuthenticatedAppSchema = z.looseObject({
  id: z.number().int(),
  slug: z.string().min(1),
  name: z.string(),
});

export const InstallationSchema = z.looseObject({
  id: z.number().int(),
  app_id: z.number().int(),
  app_slug: z.string().min(1),
  repository_selection: z.enum(['all', 'selected']),
  permissions: z.record(z.string(), z.string()),
  events: z.array(z.string()),
  created_at: Timestamp,
  updated_at: Timestamp,
  suspended_at: Timestamp.nullable(),
  html_url: z.string().optional(),
});

export const DeployKeySchema = z.looseObject({
  id: z.number().int(),
  title: z.string(),
  key: z.string(),
  read_only: z.boolean(),
  created_at: Timestamp,
  added_by: z.string().nullable().optional(),
  last_used: Timestamp.nullable().optional(),
  enabled: z.boolean().optional(),
});

export const PatGrantSchema = z.looseObject({
  id: z.number().int(),
  owner: z.looseObject({ login: z.string().min(1) }),
  repository_selection: z.enum(['none', 'all', 'subset']),
  permissions: z.looseObject({
    organization: z.record(z.string(), z.string()).optional(),
    repository: z.record(z.string(), z.string()).optional(),
  }),
  access_granted_at: Timestamp,
  token_id: z.number().int(),
  token_name: z.string(),
  token_expired: z.boolean(),
  token_expires_at: Timestamp.nullable(),
  token_last_used_at: Timestamp.nullable(),
});

export const CredentialAuthorizationSchema = z.looseObject({
  login: z.string().min(1),
  credential_id: z.number().int(),
  credential_type: z.string().min(1),
  token_last_eight: z.string().optional(),
  credential_authorized_at: Timestamp,
  credential_accessed_at: Timestamp.nullable(),
  authorized_credential_title: z.string().nullable().optional(),
  authorized_credential_expires_at: Timestamp.nullable().optional(),
  scopes: z.array(z.string()).optional(),
  fingerprint: z.string().optional(),
});

export const SecretSchema = z.looseObject({
  name: z.string().min(1),
  created_at: Timestamp,
  updated_at: Timestamp,
  /** Organization secrets only. */
  visibility: z.enum(['all', 'private', 'selected']).optional(),
});

export const WebhookSchema = z.looseObject({
  id: z.number().int(),
  active: z.boolean(),
  events: z.array(z.string()),
  config: z.looseObject({
    url: z.string().optional(),
    secret: z.string().optional(),
    insecure_ssl: z.union([z.string(), z.number()]).optional(),
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_response: z.looseObject({ status: z.string().nullable() }).optional(),
});

export const RunnerSchema = z.looseObject({
  id: z.number().int(),
  name: z.string().min(1),
  os: z.string(),
  status: z.string(),
  labels: z.array(z.looseObject({ name: z.string() })),
  runner_group_id: z.number().int().optional(),
  ephemeral: z.boolean().optional(),
});

export const RunnerGroupSchema = z.looseObject({
  id: z.number(),
  name: z.string().min(1),
  visibility: z.string(),
  allows_public_repositories: z.boolean(),
});

export const PropertyValuesSchema = z.looseObject({
  repository_name: z.string().min(1),
  properties: z.array(
    z.looseObject({ property_name: z.string(), value: z.union([z.string(), z.array(z.string())]).nullable() }),
  ),
});

/** An item a list only names: an environment, a repository a secret is shared with. */
export const NamedSchema = z.looseObject({ name: z.string().min(1) });

const CodeownersBlob = z.looseObject({ text: z.string().nullable().optional() }).nullable();

/** A repository as the GraphQL inventory query returns it. */
export const RepositoryNodeSchema = z.looseObject({
  name: z.string().min(1),
  isArchived: z.boolean(),
  visibility: z.string(),
  deployKeys: z.looseObject({ totalCount: z.number().int().nonnegative() }),
  environments: z.looseObject({
    totalCount: z.number().int().nonnegative(),
    nodes: z.array(z.looseObject({ name: z.string().min(1) })),
  }),
  codeownersGithub: CodeownersBlob,
  codeownersRoot: CodeownersBlob,
  codeownersDocs: CodeownersBlob,
});

/** One page of a GraphQL connection: its items, GitHub's own count of them, and where the next page starts. */
export function connectionSchema<Node extends z.ZodType>(node: Node) {
  return z.looseObject({
    totalCount: z.number().int().nonnegative(),
    pageInfo: z.looseObject({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
    nodes: z.array(node),
  });
}

export const RepositoryInventorySchema = z.looseObject({
  data: z.looseObject({
    organization: z.looseObject({ repositories: connectionSchema(RepositoryNodeSchema) }),
  }),
});

export type RawOrganization = z.output<typeof OrganizationSchema>;
export type RawApp = z.output<typeof AppSchema>;
export type RawInstallation = z.output<typeof InstallationSchema>;
export type RawDeployKey = z.output<typeof DeployKeySchema>;
export type RawPatGrant = z.output<typeof PatGrantSchema>;
export type RawCredentialAuthorization = z.output<typeof CredentialAuthorizationSchema>;
export type RawSecret = z.output<typeof SecretSchema>;
export type RawWebhook = z.output<typeof WebhookSchema>;
export type RawRunner = z.output<typeof RunnerSchema>;
export type RawRunnerGroup = z.output<typeof RunnerGroupSchema>;
export type RawPropertyValues = z.output<typeof PropertyValuesSchema>;
export type RepositoryNode = z.output<typeof RepositoryNodeSchema>;
