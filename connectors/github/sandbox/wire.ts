import { createHash } from 'node:crypto';
import type { Dataset, DatasetRepository } from './dataset.js';

/*
 * Dataset items rendered as GitHub's REST API returns them (the response schemas of @octokit/openapi):
 * URLs point at the sandbox's own API origin, and the fields a dataset leaves out are filled as GitHub
 * fills them.
 */

type Item = Record<string, any>;

export interface Wire {
  /** API base as clients address it: origin plus any GHES `/api/v3` prefix. */
  api: string;
  /** Web base for html_url fields. */
  web: string;
  org: Dataset['org'];
}

/** A stable numeric id for a login the dataset names without one. */
function userId(login: string): number {
  return 1_000_000 + (createHash('sha256').update(login).digest().readUInt32BE(0) % 9_000_000);
}

function nodeId(kind: string, id: number): string {
  return Buffer.from(`0:${kind}${id}`).toString('base64');
}

export function simpleUser(wire: Wire, login: string, type: 'User' | 'Organization' = 'User'): Item {
  const id = type === 'Organization' && login === wire.org.login ? wire.org.id : userId(login);
  const url = `${wire.api}/users/${login}`;
  return {
    login,
    id,
    node_id: nodeId(type === 'User' ? 'User' : 'Organization', id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${wire.web}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

export function organization(wire: Wire, repositories: readonly DatasetRepository[], updatedAt: string): Item {
  const { login, id, name, description, created_at } = wire.org;
  const url = `${wire.api}/orgs/${login}`;
  const publicRepos = repositories.filter((repo) => repo.visibility === 'public').length;
  return {
    login,
    id,
    node_id: nodeId('Organization', id),
    url,
    repos_url: `${url}/repos`,
    events_url: `${url}/events`,
    hooks_url: `${url}/hooks`,
    issues_url: `${url}/issues`,
    members_url: `${url}/members{/member}`,
    public_members_url: `${url}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    description,
    name,
    html_url: `${wire.web}/${login}`,
    has_organization_projects: true,
    has_repository_projects: true,
    public_repos: publicRepos,
    public_gists: 0,
    followers: 0,
    following: 0,
    type: 'Organization',
    // Visible to organization owners and Apps with organization administration: read.
    total_private_repos: repositories.length - publicRepos,
    owned_private_repos: repositories.length - publicRepos,
    two_factor_requirement_enabled: true,
    created_at,
    updated_at: updatedAt,
    archived_at: null,
  };
}

export function installation(wire: Wire, item: Item): Item {
  const { app: _app, suspended_by, ...fields } = item;
  return {
    ...fields,
    account: simpleUser(wire, wire.org.login, 'Organization'),
    access_tokens_url: `${wire.api}/app/installations/${item.id}/access_tokens`,
    repositories_url: `${wire.api}/installation/repositories`,
    html_url: `${wire.web}/organizations/${wire.org.login}/settings/installations/${item.id}`,
    client_id: `Iv23li${String(item.app_id).padStart(14, '0')}`,
    target_id: wire.org.id,
    target_type: 'Organization',
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: suspended_by ? simpleUser(wire, suspended_by) : null,
  };
}

export function integration(wire: Wire, item: Item): Item {
  const { app } = item;
  return {
    id: item.app_id,
    slug: item.app_slug,
    node_id: nodeId('Integration', item.app_id),
    client_id: `Iv23li${String(item.app_id).padStart(14, '0')}`,
    owner: simpleUser(wire, app.owner, 'Organization'),
    name: app.name,
    description: app.description,
    external_url: app.external_url,
    html_url: `${wire.web}/apps/${item.app_slug}`,
    created_at: item.created_at,
    updated_at: item.updated_at,
    permissions: item.permissions,
    events: item.events,
  };
}

export function deployKey(wire: Wire, repo: string, item: Item): Item {
  return { ...item, url: `${wire.api}/repos/${wire.org.login}/${repo}/keys/${item.id}` };
}

export function patGrant(wire: Wire, item: Item, now: Date): Item {
  const expires = item.token_expires_at as string | null;
  return {
    ...item,
    owner: simpleUser(wire, item.owner),
    repositories_url: `${wire.api}/orgs/${wire.org.login}/personal-access-tokens/${item.id}/repositories`,
    token_expired: expires !== null && Date.parse(expires) <= now.getTime(),
  };
}

export function orgSecret(wire: Wire, family: string, item: Item): Item {
  const { selected_repositories: _selected, ...fields } = item;
  return item.visibility === 'selected'
    ? { ...fields, selected_repositories_url: `${wire.api}/orgs/${wire.org.login}/${family}/secrets/${item.name}/repositories` }
    : fields;
}

export function minimalRepository(wire: Wire, repo: DatasetRepository): Item {
  const fullName = `${wire.org.login}/${repo.name}`;
  const url = `${wire.api}/repos/${fullName}`;
  const templated: Record<string, string> = {
    archive_url: '/{archive_format}{/ref}',
    assignees_url: '/assignees{/user}',
    blobs_url: '/git/blobs{/sha}',
    branches_url: '/branches{/branch}',
    collaborators_url: '/collaborators{/collaborator}',
    comments_url: '/comments{/number}',
    commits_url: '/commits{/sha}',
    compare_url: '/compare/{base}...{head}',
    contents_url: '/contents/{+path}',
    contributors_url: '/contributors',
    deployments_url: '/deployments',
    downloads_url: '/downloads',
    events_url: '/events',
    forks_url: '/forks',
    git_commits_url: '/git/commits{/sha}',
    git_refs_url: '/git/refs{/sha}',
    git_tags_url: '/git/tags{/sha}',
    hooks_url: '/hooks',
    issue_comment_url: '/issues/comments{/number}',
    issue_events_url: '/issues/events{/number}',
    issues_url: '/issues{/number}',
    keys_url: '/keys{/key_id}',
    labels_url: '/labels{/name}',
    languages_url: '/languages',
    merges_url: '/merges',
    milestones_url: '/milestones{/number}',
    notifications_url: '/notifications{?since,all,participating}',
    pulls_url: '/pulls{/number}',
    releases_url: '/releases{/id}',
    stargazers_url: '/stargazers',
    statuses_url: '/statuses/{sha}',
    subscribers_url: '/subscribers',
    subscription_url: '/subscription',
    tags_url: '/tags',
    teams_url: '/teams',
    trees_url: '/git/trees{/sha}',
  };
  return {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: fullName,
    owner: simpleUser(wire, wire.org.login, 'Organization'),
    private: repo.visibility !== 'public',
    visibility: repo.visibility,
    archived: repo.archived,
    html_url: `${wire.web}/${fullName}`,
    description: repo.description,
    fork: false,
    url,
    ...Object.fromEntries(Object.entries(templated).map(([field, suffix]) => [field, `${url}${suffix}`])),
  };
}

export function propertyValues(wire: Wire, repo: DatasetRepository): Item {
  return {
    repository_id: repo.id,
    repository_name: repo.name,
    repository_full_name: `${wire.org.login}/${repo.name}`,
    properties: Object.entries(repo.properties)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([property_name, value]) => ({ property_name, value })),
  };
}

export function environment(wire: Wire, repo: string, item: Item): Item {
  const { secrets: _secrets, ...fields } = item;
  return {
    ...fields,
    node_id: nodeId('Environment', item.id),
    url: `${wire.api}/repos/${wire.org.login}/${repo}/environments/${encodeURIComponent(item.name)}`,
    html_url: `${wire.web}/${wire.org.login}/${repo}/deployments/activity_log?environments_filter=${encodeURIComponent(item.name)}`,
    protection_rules: [],
  };
}

export function secret(item: Item): Item {
  return { name: item.name, created_at: item.created_at, updated_at: item.updated_at };
}

export function hook(wire: Wire, item: Item, repo?: string): Item {
  const url = repo ? `${wire.api}/repos/${wire.org.login}/${repo}/hooks/${item.id}` : `${wire.api}/orgs/${wire.org.login}/hooks/${item.id}`;
  const common = {
    id: item.id,
    url,
    ping_url: `${url}/pings`,
    deliveries_url: `${url}/deliveries`,
    name: 'web',
    events: item.events,
    active: item.active,
    config: { content_type: 'json', insecure_ssl: '0', ...item.config },
    created_at: item.created_at,
    updated_at: item.updated_at,
  };
  return repo
    ? { ...common, type: 'Repository', test_url: `${url}/test`, last_response: item.last_response ?? { code: null, status: 'unused', message: null } }
    : { ...common, type: 'Organization' };
}

export function runner(item: Item): Item {
  const { labels, ...fields } = item;
  const builtIn = new Set(['self-hosted', 'linux', 'windows', 'macos', 'x64', 'arm64', 'arm']);
  return {
    ...fields,
    labels: (labels as string[]).map((name, index) => ({
      id: index + 1,
      name,
      type: builtIn.has(name.toLowerCase()) ? 'read-only' : 'custom',
    })),
  };
}

export function runnerGroup(wire: Wire, item: Item): Item {
  const url = `${wire.api}/orgs/${wire.org.login}/actions/runner-groups/${item.id}`;
  return {
    ...item,
    runners_url: `${url}/runners`,
    ...(item.visibility === 'selected' ? { selected_repositories_url: `${url}/repositories` } : {}),
    inherited: false,
    restricted_to_workflows: false,
    selected_workflows: [],
    workflow_restrictions_read_only: false,
  };
}
