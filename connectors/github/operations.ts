import { z } from 'zod';
import {
  AppSchema,
  AuthenticatedAppSchema,
  AuthenticatedUserSchema,
  CredentialAuthorizationSchema,
  DeployKeySchema,
  InstallationSchema,
  InstallationTokenSchema,
  NamedSchema,
  OrganizationSchema,
  PatGrantSchema,
  PropertyValuesSchema,
  RepositoryInventorySchema,
  RunnerGroupSchema,
  RunnerSchema,
  SecretSchema,
  WebhookSchema,
  type RepositoryNode,
} from './responses.js';

/**
 * The REST operations the connector calls, named by their operationId in GitHub's OpenAPI description
 * (`@octokit/openapi`). The sandbox routes the same table, and a test checks every entry against the spec.
 */
export interface Operation<Schema extends z.ZodType = z.ZodType> {
  id: string;
  /** Octokit route: method and path template. */
  route: string;
  /** What the connector reads from the body, or from each item of a list. */
  schema: Schema;
  /** Where a list response keeps its items: a property of the body, or `null` when the body is the array. */
  items?: string | null;
  /** Fine-grained permission the operation needs, as GitHub names it in `X-Accepted-GitHub-Permissions`. */
  permission?: string;
}

/** What the connector reads from one object of the operation: the body, or one item of the list. */
export type ItemOf<O extends Operation> = z.output<O['schema']>;

function op<Schema extends z.ZodType>(id: string, route: string, schema: Schema, items?: string | null, permission?: string): Operation<Schema> {
  return { id, route, schema, ...(items !== undefined ? { items } : {}), ...(permission ? { permission } : {}) };
}

/**
 * What a response of the operation must hold: its object, a list of its items, or GitHub's list envelope
 * (`{total_count, <items>: [...]}`), whose count is kept for reconciliation.
 */
export function responseSchema(operation: Operation): z.ZodType {
  let schema = RESPONSE_SCHEMAS.get(operation);
  if (!schema) {
    const list = z.array(operation.schema);
    schema =
      operation.items === undefined
        ? operation.schema
        : operation.items === null
          ? list
          : z.looseObject({ total_count: z.number().int().nonnegative().optional(), [operation.items]: list });
    RESPONSE_SCHEMAS.set(operation, schema);
  }
  return schema;
}

/** Built once per operation: zod compiles a schema on its first use. */
const RESPONSE_SCHEMAS = new WeakMap<Operation, z.ZodType>();

/** A list page's items and the JSON pointer to them inside its body, for `Identity.rawRef`. */
export function listItems(operation: Operation, body: unknown): { items: unknown[]; pointer: string } {
  const items = operation.items ? (body as Record<string, unknown> | null)?.[operation.items] : body;
  if (!Array.isArray(items)) throw new Error(`${operation.id} returned no ${operation.items ?? 'list'}`);
  return { items, pointer: operation.items ? `/${operation.items}` : '' };
}

export const OPERATIONS = {
  getOrg: op('orgs/get', 'GET /orgs/{org}', OrganizationSchema),
  getAuthenticatedUser: op('users/get-authenticated', 'GET /user', AuthenticatedUserSchema),
  createInstallationAccessToken: op('apps/create-installation-access-token', 'POST /app/installations/{installation_id}/access_tokens', InstallationTokenSchema),
  getAppBySlug: op('apps/get-by-slug', 'GET /apps/{app_slug}', AppSchema),
  getAuthenticatedApp: op('apps/get-authenticated', 'GET /app', AuthenticatedAppSchema),
  getInstallation: op('apps/get-installation', 'GET /app/installations/{installation_id}', InstallationSchema),
  listAppInstallations: op('orgs/list-app-installations', 'GET /orgs/{org}/installations', InstallationSchema, 'installations', 'organization_administration=read'),
  listRepoPropertyValues: op(
    'orgs/custom-properties-for-repos-get-organization-values',
    'GET /orgs/{org}/properties/values',
    PropertyValuesSchema,
    null,
    'organization_custom_properties=read',
  ),
  listEnvironments: op('repos/get-all-environments', 'GET /repos/{owner}/{repo}/environments', NamedSchema, 'environments', 'metadata=read'),
  listDeployKeys: op('repos/list-deploy-keys', 'GET /repos/{owner}/{repo}/keys', DeployKeySchema, null, 'administration=read'),
  listPatGrants: op('orgs/list-pat-grants', 'GET /orgs/{org}/personal-access-tokens', PatGrantSchema, null, 'organization_personal_access_tokens=read'),
  listSamlAuthorizations: op(
    'orgs/list-saml-sso-authorizations',
    'GET /orgs/{org}/credential-authorizations',
    CredentialAuthorizationSchema,
    null,
    'organization_administration=read',
  ),
  listOrgActionsSecrets: op('actions/list-org-secrets', 'GET /orgs/{org}/actions/secrets', SecretSchema, 'secrets', 'organization_secrets=read'),
  listOrgActionsSecretRepos: op(
    'actions/list-selected-repos-for-org-secret',
    'GET /orgs/{org}/actions/secrets/{secret_name}/repositories',
    NamedSchema,
    'repositories',
    'organization_secrets=read',
  ),
  listRepoActionsSecrets: op('actions/list-repo-secrets', 'GET /repos/{owner}/{repo}/actions/secrets', SecretSchema, 'secrets', 'secrets=read'),
  listEnvironmentSecrets: op(
    'actions/list-environment-secrets',
    'GET /repos/{owner}/{repo}/environments/{environment_name}/secrets',
    SecretSchema,
    'secrets',
    'environments=read',
  ),
  listOrgDependabotSecrets: op('dependabot/list-org-secrets', 'GET /orgs/{org}/dependabot/secrets', SecretSchema, 'secrets', 'dependabot_secrets=read'),
  listOrgDependabotSecretRepos: op(
    'dependabot/list-selected-repos-for-org-secret',
    'GET /orgs/{org}/dependabot/secrets/{secret_name}/repositories',
    NamedSchema,
    'repositories',
    'dependabot_secrets=read',
  ),
  listRepoDependabotSecrets: op('dependabot/list-repo-secrets', 'GET /repos/{owner}/{repo}/dependabot/secrets', SecretSchema, 'secrets', 'dependabot_secrets=read'),
  listOrgCodespacesSecrets: op('codespaces/list-org-secrets', 'GET /orgs/{org}/codespaces/secrets', SecretSchema, 'secrets', 'organization_codespaces_secrets=read'),
  listOrgCodespacesSecretRepos: op(
    'codespaces/list-selected-repos-for-org-secret',
    'GET /orgs/{org}/codespaces/secrets/{secret_name}/repositories',
    NamedSchema,
    'repositories',
    'organization_codespaces_secrets=read',
  ),
  // GitHub lists a repository's Codespaces secrets only to a token holding write on them (its REST reference, and
  // the X-Accepted-GitHub-Permissions it answers); nhi-audit still only reads.
  listRepoCodespacesSecrets: op('codespaces/list-repo-secrets', 'GET /repos/{owner}/{repo}/codespaces/secrets', SecretSchema, 'secrets', 'codespaces_secrets=write'),
  listOrgWebhooks: op('orgs/list-webhooks', 'GET /orgs/{org}/hooks', WebhookSchema, null, 'organization_hooks=read'),
  listRepoWebhooks: op('repos/list-webhooks', 'GET /repos/{owner}/{repo}/hooks', WebhookSchema, null, 'repository_hooks=read'),
  listOrgRunners: op(
    'actions/list-self-hosted-runners-for-org',
    'GET /orgs/{org}/actions/runners',
    RunnerSchema,
    'runners',
    'organization_self_hosted_runners=read',
  ),
  listOrgRunnerGroups: op(
    'actions/list-self-hosted-runner-groups-for-org',
    'GET /orgs/{org}/actions/runner-groups',
    RunnerGroupSchema,
    'runner_groups',
    'organization_self_hosted_runners=read',
  ),
  listRepoRunners: op('actions/list-self-hosted-runners-for-repo', 'GET /repos/{owner}/{repo}/actions/runners', RunnerSchema, 'runners', 'administration=read'),
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;

/** The one GraphQL query: every repository with the counts that decide which REST reads it needs. */
const REPOSITORY_INVENTORY_QUERY = /* GraphQL */ `
  query RepositoryInventory($org: String!, $after: String) {
    organization(login: $org) {
      repositories(first: 100, after: $after, orderBy: { field: NAME, direction: ASC }) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          name
          databaseId
          isArchived
          visibility
          deployKeys {
            totalCount
          }
          environments(first: 100) {
            totalCount
            nodes {
              name
            }
          }
          codeownersGithub: object(expression: "HEAD:.github/CODEOWNERS") {
            ... on Blob {
              text
            }
          }
          codeownersRoot: object(expression: "HEAD:CODEOWNERS") {
            ... on Blob {
              text
            }
          }
          codeownersDocs: object(expression: "HEAD:docs/CODEOWNERS") {
            ... on Blob {
              text
            }
          }
        }
      }
    }
  }
`;

/** One page of a GraphQL connection. */
export interface GraphqlConnection<Node> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: Node[];
}

/** A GraphQL query that pages one connection, named in the manifest as `graphql/<query in kebab-case>`. */
export interface GraphqlOperation<Body = unknown, Node = unknown> {
  id: string;
  /** The query's own name, by which the sandbox routes it. */
  name: string;
  query: string;
  /** What the connector reads from the answer (`{data}`). */
  schema: z.ZodType<Body>;
  /** The connection the query pages, inside its answer. */
  connection(body: Body): GraphqlConnection<Node>;
}

export const REPOSITORY_INVENTORY: GraphqlOperation<z.output<typeof RepositoryInventorySchema>, RepositoryNode> = {
  id: 'graphql/repository-inventory',
  name: 'RepositoryInventory',
  query: REPOSITORY_INVENTORY_QUERY,
  schema: RepositoryInventorySchema,
  connection: (body) => body.data.organization.repositories,
};

export const GRAPHQL_OPERATIONS: readonly GraphqlOperation<any, unknown>[] = [REPOSITORY_INVENTORY];
