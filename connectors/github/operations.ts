/**
 * The REST operations the connector calls, named by their operationId in GitHub's OpenAPI description
 * (`@octokit/openapi`). The sandbox routes the same table, and a test checks every entry against the spec.
 */
export interface Operation {
  id: string;
  /** Octokit route: method and path template. */
  route: string;
  /** Where a list response keeps its items: a property of the body, or `null` when the body is the array. */
  items?: string | null;
  /** Fine-grained permission the operation needs, as GitHub names it in `X-Accepted-GitHub-Permissions`. */
  permission?: string;
}

function op(id: string, route: string, items?: string | null, permission?: string): Operation {
  return { id, route, ...(items !== undefined ? { items } : {}), ...(permission ? { permission } : {}) };
}

/** A list page's items and the JSON pointer to them inside its body, for `Identity.rawRef`. */
export function listItems(operation: Operation, body: unknown): { items: unknown[]; pointer: string } {
  const items = operation.items ? (body as Record<string, unknown> | null)?.[operation.items] : body;
  if (!Array.isArray(items)) throw new Error(`${operation.id} returned no ${operation.items ?? 'list'}`);
  return { items, pointer: operation.items ? `/${operation.items}` : '' };
}

export const OPERATIONS = {
  getOrg: op('orgs/get', 'GET /orgs/{org}'),
  getAuthenticatedUser: op('users/get-authenticated', 'GET /user'),
  createInstallationAccessToken: op('apps/create-installation-access-token', 'POST /app/installations/{installation_id}/access_tokens'),
  getAppBySlug: op('apps/get-by-slug', 'GET /apps/{app_slug}'),
  listAppInstallations: op('orgs/list-app-installations', 'GET /orgs/{org}/installations', 'installations', 'organization_administration=read'),
  listRepoPropertyValues: op(
    'orgs/custom-properties-for-repos-get-organization-values',
    'GET /orgs/{org}/properties/values',
    null,
    'organization_custom_properties=read',
  ),
  listEnvironments: op('repos/get-all-environments', 'GET /repos/{owner}/{repo}/environments', 'environments', 'metadata=read'),
  listDeployKeys: op('repos/list-deploy-keys', 'GET /repos/{owner}/{repo}/keys', null, 'administration=read'),
  listPatGrants: op('orgs/list-pat-grants', 'GET /orgs/{org}/personal-access-tokens', null, 'organization_personal_access_tokens=read'),
  listSamlAuthorizations: op(
    'orgs/list-saml-sso-authorizations',
    'GET /orgs/{org}/credential-authorizations',
    null,
    'organization_administration=read',
  ),
  listOrgActionsSecrets: op('actions/list-org-secrets', 'GET /orgs/{org}/actions/secrets', 'secrets', 'organization_secrets=read'),
  listOrgActionsSecretRepos: op(
    'actions/list-selected-repos-for-org-secret',
    'GET /orgs/{org}/actions/secrets/{secret_name}/repositories',
    'repositories',
    'organization_secrets=read',
  ),
  listRepoActionsSecrets: op('actions/list-repo-secrets', 'GET /repos/{owner}/{repo}/actions/secrets', 'secrets', 'secrets=read'),
  listEnvironmentSecrets: op(
    'actions/list-environment-secrets',
    'GET /repos/{owner}/{repo}/environments/{environment_name}/secrets',
    'secrets',
    'environments=read',
  ),
  listOrgDependabotSecrets: op('dependabot/list-org-secrets', 'GET /orgs/{org}/dependabot/secrets', 'secrets', 'dependabot_secrets=read'),
  listOrgDependabotSecretRepos: op(
    'dependabot/list-selected-repos-for-org-secret',
    'GET /orgs/{org}/dependabot/secrets/{secret_name}/repositories',
    'repositories',
    'dependabot_secrets=read',
  ),
  listRepoDependabotSecrets: op('dependabot/list-repo-secrets', 'GET /repos/{owner}/{repo}/dependabot/secrets', 'secrets', 'dependabot_secrets=read'),
  listOrgCodespacesSecrets: op('codespaces/list-org-secrets', 'GET /orgs/{org}/codespaces/secrets', 'secrets', 'codespaces=read'),
  listOrgCodespacesSecretRepos: op(
    'codespaces/list-selected-repos-for-org-secret',
    'GET /orgs/{org}/codespaces/secrets/{secret_name}/repositories',
    'repositories',
    'codespaces=read',
  ),
  listRepoCodespacesSecrets: op('codespaces/list-repo-secrets', 'GET /repos/{owner}/{repo}/codespaces/secrets', 'secrets', 'codespaces=read'),
  listOrgWebhooks: op('orgs/list-webhooks', 'GET /orgs/{org}/hooks', null, 'organization_hooks=read'),
  listRepoWebhooks: op('repos/list-webhooks', 'GET /repos/{owner}/{repo}/hooks', null, 'repository_hooks=read'),
  listOrgRunners: op(
    'actions/list-self-hosted-runners-for-org',
    'GET /orgs/{org}/actions/runners',
    'runners',
    'organization_self_hosted_runners=read',
  ),
  listOrgRunnerGroups: op(
    'actions/list-self-hosted-runner-groups-for-org',
    'GET /orgs/{org}/actions/runner-groups',
    'runner_groups',
    'organization_self_hosted_runners=read',
  ),
  listRepoRunners: op('actions/list-self-hosted-runners-for-repo', 'GET /repos/{owner}/{repo}/actions/runners', 'runners', 'administration=read'),
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;

/** The one GraphQL query: every repository with the counts that decide which REST reads it needs. */
export const REPOSITORY_INVENTORY_QUERY = /* GraphQL */ `
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
