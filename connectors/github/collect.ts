import pLimit from 'p-limit';
import { ConnectorError, type CollectContext, type Identity } from '../../src/sdk/index.js';
import { refusalStatus, type GitHubClient } from './client.js';
import type { CollectionKind, GitHubConfig } from './config.js';
import {
  credentialAuthorizationIdentity,
  deployKeyIdentity,
  installationIdentity,
  patGrantIdentity,
  repository,
  runnerIdentity,
  secretIdentity,
  webhookIdentity,
  type Origin,
  type Repository,
  type SecretFamily,
} from './normalize.js';
import { OPERATIONS, REPOSITORY_INVENTORY } from './operations.js';
import { Reader, type Reads } from './reader.js';
import type { RawApp, RawOrganization } from './responses.js';

export interface GitHubSession {
  client: GitHubClient;
  config: GitHubConfig;
}

type SecretsOperation = typeof OPERATIONS.listOrgActionsSecrets;
type SecretReposOperation = typeof OPERATIONS.listOrgActionsSecretRepos;

const SECRETS: Record<SecretFamily, { kind: CollectionKind; org: SecretsOperation; selected: SecretReposOperation; repo: SecretsOperation }> = {
  actions: {
    kind: 'actions-secrets',
    org: OPERATIONS.listOrgActionsSecrets,
    selected: OPERATIONS.listOrgActionsSecretRepos,
    repo: OPERATIONS.listRepoActionsSecrets,
  },
  dependabot: {
    kind: 'dependabot-secrets',
    org: OPERATIONS.listOrgDependabotSecrets,
    selected: OPERATIONS.listOrgDependabotSecretRepos,
    repo: OPERATIONS.listRepoDependabotSecrets,
  },
  codespaces: {
    kind: 'codespaces-secrets',
    org: OPERATIONS.listOrgCodespacesSecrets,
    selected: OPERATIONS.listOrgCodespacesSecretRepos,
    repo: OPERATIONS.listRepoCodespacesSecrets,
  },
};
const SECRET_FAMILIES = Object.keys(SECRETS) as SecretFamily[];

const REPOSITORY_KINDS: readonly CollectionKind[] = [
  'deploy-keys',
  'actions-secrets',
  'dependabot-secrets',
  'codespaces-secrets',
  'webhooks',
  'runners',
];

/** The settings that decide what is read in an organization and how it maps to identities. */
export type OrganizationSettings = Pick<GitHubConfig, 'org' | 'kinds' | 'ownerProperty' | 'concurrency'>;

/** Reads one organization through the API, keeping every page as evidence. */
export async function* collectOrganization({ client, config }: GitHubSession, context: CollectContext): AsyncGenerator<Identity> {
  const scope = context.scope(config.org);
  const reader = new Reader(client, scope, context.signal);
  const collector = client.appCollector ?? (await userCollector(reader));
  if (collector) {
    scope.collector(collector);
    context.collector(collector);
  }
  yield* organizationIdentities(reader, config, context.source);
  reader.settle();
}

/**
 * An organization's identities: organization-wide kinds first, then the repository inventory (GraphQL, 100
 * repositories a query) that decides which repositories need which REST reads. The collection reads through
 * the API and a re-read through a pack's pages, so both make the same decisions with the same normalizers.
 */
export async function* organizationIdentities(reader: Reads, config: OrganizationSettings, source: string): AsyncGenerator<Identity> {
  const { org } = config;
  const kinds = new Set(config.kinds);
  const origin = (rawRef: string): Origin => ({ source, org, rawRef });
  const organization = await readOrganization(reader, org, source);

  if (kinds.has('app-installations')) {
    const publishers = new Map<string, RawApp | undefined>();
    for (const { item, rawRef } of (await reader.list('app-installations', OPERATIONS.listAppInstallations, { org })) ?? []) {
      if (!publishers.has(item.app_slug)) publishers.set(item.app_slug, await appPublisher(reader, item.app_slug));
      yield installationIdentity(item, publishers.get(item.app_slug), origin(rawRef));
    }
  }
  if (kinds.has('pat-grants')) {
    for (const { item, rawRef } of (await reader.list('pat-grants', OPERATIONS.listPatGrants, { org })) ?? []) {
      yield patGrantIdentity(item, origin(rawRef));
    }
  }
  if (kinds.has('credential-authorizations')) {
    const reads = await reader.list('credential-authorizations', OPERATIONS.listSamlAuthorizations, { org });
    for (const { item, rawRef } of reads ?? []) yield credentialAuthorizationIdentity(item, origin(rawRef));
  }
  for (const family of SECRET_FAMILIES) {
    const { kind, org: list, selected } = SECRETS[family];
    if (!kinds.has(kind)) continue;
    for (const { item, rawRef } of (await reader.list(kind, list, { org })) ?? []) {
      const selectedRepositories =
        item.visibility === 'selected'
          ? (await reader.list(kind, selected, { org, secret_name: item.name }))?.map((read) => read.item.name)
          : undefined;
      yield secretIdentity(item, family, { level: 'org', ...(selectedRepositories ? { selectedRepositories } : {}) }, origin(rawRef));
    }
  }
  if (kinds.has('webhooks')) {
    for (const { item, rawRef } of (await reader.list('webhooks', OPERATIONS.listOrgWebhooks, { org })) ?? []) {
      yield webhookIdentity(item, undefined, origin(rawRef));
    }
  }
  if (kinds.has('runners')) {
    const groups = await reader.list('runners', OPERATIONS.listOrgRunnerGroups, { org });
    const groupById = new Map(groups?.map(({ item }) => [item.id, item]));
    for (const { item, rawRef } of (await reader.list('runners', OPERATIONS.listOrgRunners, { org })) ?? []) {
      const group = item.runner_group_id === undefined ? undefined : groupById.get(item.runner_group_id);
      yield runnerIdentity(item, group ? { group } : {}, origin(rawRef));
    }
  }

  if (!REPOSITORY_KINDS.some((kind) => kinds.has(kind))) return;
  const repositories = await readRepositories(reader, config, organization);
  if (!repositories) return;
  const limit = pLimit(config.concurrency);
  const perRepository = await Promise.all(
    repositories.map((repo) => limit(() => repositoryIdentities(reader, repo, kinds, org, origin))),
  );
  for (const identities of perRepository) yield* identities;
}

async function userCollector(reader: Reads): Promise<string | undefined> {
  try {
    const { item } = await reader.get(OPERATIONS.getAuthenticatedUser, {});
    return `user:${item.login}`;
  } catch (error) {
    reader.scope.error(OPERATIONS.getAuthenticatedUser.id, error, { recovered: true, hint: 'the collector identity is not recorded' });
    return undefined;
  }
}

async function readOrganization(reader: Reads, org: string, source: string): Promise<RawOrganization> {
  const { id } = OPERATIONS.getOrg;
  try {
    return (await reader.get(OPERATIONS.getOrg, { org })).item;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConnectorError(source, `cannot read organization ${org} (${id}): ${message.replace(`${id}: `, '')}`, {
      cause: error,
      ...(refusalStatus(error) === 404 ? { hint: `check the org name and that the token or App installation can see ${org}` } : {}),
    });
  }
}

/**
 * The publisher of an App (its owner account). GitHub hides a private App of another account (404): its
 * publisher stays unknown, as it is on every run. Any other failure would drop a vendor the inventory
 * names, so the scope is incomplete.
 */
async function appPublisher(reader: Reads, slug: string): Promise<RawApp | undefined> {
  try {
    return (await reader.get(OPERATIONS.getAppBySlug, { app_slug: slug })).item;
  } catch (error) {
    const hidden = refusalStatus(error) === 404;
    reader.scope.error(OPERATIONS.getAppBySlug.id, error, { recovered: hidden, hint: `the publisher of app ${slug} is unknown` });
    return undefined;
  }
}

/**
 * Every repository, with what decides its REST reads (deploy-key count, environments) and its owner hints
 * (CODEOWNERS, custom properties), reconciled with GitHub's own count in the answer and with the
 * organization's repository count where the collector may see it.
 */
async function readRepositories(reader: Reads, config: OrganizationSettings, organization: RawOrganization): Promise<Repository[] | undefined> {
  const { org } = config;
  const { id } = REPOSITORY_INVENTORY;
  let inventory;
  try {
    inventory = await reader.connection(REPOSITORY_INVENTORY, { org });
  } catch (error) {
    reader.scope.error(id, error, { hint: 'no repository-level kind could be read without the repository list' });
    return undefined;
  }
  const { nodes, totalCount } = inventory;
  reader.scope.reconcile(`${id}: totalCount`, totalCount, nodes.length, "GitHub's count of the organization's repositories in the query's answer");
  if (typeof organization.total_private_repos === 'number') {
    reader.scope.reconcile(
      `${id}: ${OPERATIONS.getOrg.id} public_repos + total_private_repos`,
      organization.public_repos + organization.total_private_repos,
      nodes.length,
      'the organization\'s own repository count (visible to organization owners and Apps with organization administration)',
    );
  }

  const values = await reader.enrichment(
    OPERATIONS.listRepoPropertyValues,
    { org },
    'owners and tags from repository custom properties are missing',
    { ownerProperty: config.ownerProperty },
  );
  const propertiesByName = new Map(values.map(({ item }) => [item.repository_name, item]));
  return nodes.map((node) => repository(node, propertiesByName.get(node.name), config.ownerProperty));
}

async function repositoryIdentities(
  reader: Reads,
  repo: Repository,
  kinds: ReadonlySet<CollectionKind>,
  org: string,
  origin: (rawRef: string) => Origin,
): Promise<Identity[]> {
  const identities: Identity[] = [];
  const parameters = { owner: org, repo: repo.name };
  if (kinds.has('deploy-keys') && repo.deployKeyCount > 0) {
    const keys = await reader.list('deploy-keys', OPERATIONS.listDeployKeys, parameters);
    if (keys) reader.count(`deployKeys.totalCount (${REPOSITORY_INVENTORY.id})`, OPERATIONS.listDeployKeys.id, `repo=${repo.name}`, repo.deployKeyCount, keys.length);
    for (const { item, rawRef } of keys ?? []) identities.push(deployKeyIdentity(item, repo, origin(rawRef)));
  }
  for (const family of SECRET_FAMILIES) {
    const { kind, repo: list } = SECRETS[family];
    if (!kinds.has(kind)) continue;
    for (const { item, rawRef } of (await reader.list(kind, list, parameters)) ?? []) {
      identities.push(secretIdentity(item, family, { level: 'repo', repo }, origin(rawRef)));
    }
  }
  if (kinds.has('actions-secrets')) {
    for (const environment of await environments(reader, repo, parameters)) {
      const reads = await reader.list('actions-secrets', OPERATIONS.listEnvironmentSecrets, { ...parameters, environment_name: environment });
      for (const { item, rawRef } of reads ?? []) {
        identities.push(secretIdentity(item, 'actions', { level: 'env', repo, environment }, origin(rawRef)));
      }
    }
  }
  if (kinds.has('webhooks')) {
    for (const { item, rawRef } of (await reader.list('webhooks', OPERATIONS.listRepoWebhooks, parameters)) ?? []) {
      identities.push(webhookIdentity(item, repo, origin(rawRef)));
    }
  }
  if (kinds.has('runners')) {
    for (const { item, rawRef } of (await reader.list('runners', OPERATIONS.listRepoRunners, parameters)) ?? []) {
      identities.push(runnerIdentity(item, { repo }, origin(rawRef)));
    }
  }
  return identities;
}

/** The inventory query lists up to 100 environments per repository; more are read with REST. */
async function environments(reader: Reads, repo: Repository, parameters: { owner: string; repo: string }): Promise<string[]> {
  if (!repo.environmentsTruncated) return repo.environments;
  const reads = await reader.list('actions-secrets', OPERATIONS.listEnvironments, parameters);
  return reads?.map(({ item }) => item.name) ?? [];
}
