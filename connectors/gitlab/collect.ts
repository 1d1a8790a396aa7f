import pLimit from 'p-limit';
import type { CollectContext, Identity, ScopePlan } from '../../src/sdk/index.js';
import type { GitLabClient } from './client.js';
import type { CollectionKind, GitLabConfig } from './config.js';
import {
  accessTokenIdentity,
  deployKeyIdentity,
  deployTokenIdentity,
  runnerIdentity,
  serviceAccountIdentity,
  triggerIdentity,
  variableIdentity,
  type Origin,
  type Place,
} from './normalize.js';
import { OPERATIONS, type ItemOf } from './operations.js';
import { Reader, type Read, type Reads } from './reader.js';
import type { RawRunner } from './responses.js';

export interface GitLabSession {
  client: GitLabClient;
  config: GitLabConfig;
}

/** The scope of what an administrator token reads beyond the configured groups. */
export const INSTANCE_SCOPE = 'instance';

/** The settings that decide what is read in a group and how it maps to identities. */
export type GroupSettings = Pick<GitLabConfig, 'kinds' | 'concurrency'>;

/** Reads every configured group (a scope each), then, with an administrator token, the instance. */
export async function* collectGitLab({ client, config }: GitLabSession, context: CollectContext): AsyncGenerator<Identity> {
  let collector: string | undefined;
  const open = async (name: string) => {
    const scope = context.scope(name);
    const reader = new Reader(client, scope, context.signal);
    const who = await collectorOf(reader);
    if (who) {
      scope.collector(who);
      if (!collector) context.collector((collector = who));
    }
    return reader;
  };
  const read = (scope: string) => !context.onlyScopes || context.onlyScopes.includes(scope);
  for (const group of config.groups.filter(read)) {
    const reader = await open(group);
    yield* groupIdentities(reader, group, config, context.source);
    reader.settle();
  }
  if (config.admin && read(INSTANCE_SCOPE)) {
    const reader = await open(INSTANCE_SCOPE);
    yield* instanceIdentities(reader, config, context.source);
    reader.settle();
  }
}

/** The scopes a plan can hand to shards: each configured group, and the instance for an administrator token. */
export function gitLabScopes(config: GitLabConfig): ScopePlan {
  return { scopes: [...config.groups, ...(config.admin ? [INSTANCE_SCOPE] : [])] };
}

/** The token's user, for the manifest; a failure leaves it unrecorded without losing any identity. */
async function collectorOf(reader: Reads): Promise<string | undefined> {
  try {
    const { item } = await reader.get(OPERATIONS.currentUser, {});
    return `user:${item.username}`;
  } catch (error) {
    reader.scope.error(OPERATIONS.currentUser.id, error, { recovered: true, hint: 'the collector identity is not recorded' });
    return undefined;
  }
}

/**
 * A configured group's identities: its own and its subgroups' (access tokens, deploy tokens, variables,
 * runners, and the top group's service accounts), then every project below it. The collection reads through the
 * API and a re-read through a pack's pages, so both make the same decisions with the same normalizers.
 */
export async function* groupIdentities(reader: Reads, path: string, settings: GroupSettings, source: string): AsyncGenerator<Identity> {
  const kinds = new Set(settings.kinds);
  const origin = (rawRef: string): Origin => ({ source, scope: path, rawRef });
  let top: Read<ItemOf<typeof OPERATIONS.showGroup>>;
  try {
    top = await reader.get(OPERATIONS.showGroup, { group: path });
  } catch (error) {
    reader.scope.error(OPERATIONS.showGroup.id, error, { hint: `check the group path ${path} and that the token's user is a member of it` });
    return;
  }
  const topPlace: Place = { level: 'group', path: top.item.full_path, top: true };
  const subgroups = (await reader.list(undefined, OPERATIONS.descendantGroups, { group: top.item.id })) ?? [];
  const projects = (await reader.list(undefined, OPERATIONS.groupProjects, { group: top.item.id })) ?? [];

  const limit = pLimit(settings.concurrency);
  const groupPlaces = [{ id: top.item.id, place: topPlace }, ...subgroups.map(({ item }) => ({ id: item.id, place: { level: 'group' as const, path: item.full_path, top: false } }))];
  const projectPlaces = projects.map(({ item }) => ({ id: item.id, place: { level: 'project' as const, path: item.path_with_namespace, top: false }, archived: item.archived === true }));
  const results = await Promise.all([
    ...groupPlaces.map(({ id, place }) => limit(() => groupHolds(reader, id, place, kinds, origin))),
    ...projectPlaces.map(({ id, place, archived }) => limit(() => projectHolds(reader, id, place, archived, kinds, origin))),
  ]);
  for (const { identities } of results) yield* identities;
  yield* runners(results, origin);
  if (kinds.has('service-accounts')) yield* await groupServiceAccounts(reader, top.item.id, topPlace, origin);
}

/** What one group or project holds, and the runners registered to it (merged across places afterwards). */
interface Holdings {
  identities: Identity[];
  runners: { read: Read<RawRunner>; place: Place }[];
}

async function groupHolds(reader: Reads, id: number, place: Place, kinds: ReadonlySet<CollectionKind>, origin: (rawRef: string) => Origin): Promise<Holdings> {
  const parameters = { group: id };
  const identities: Identity[] = [];
  if (kinds.has('access-tokens')) {
    for (const { item, rawRef } of (await reader.list('access-tokens', OPERATIONS.groupAccessTokens, parameters)) ?? []) identities.push(accessTokenIdentity(item, place, origin(rawRef)));
  }
  if (kinds.has('deploy-tokens')) {
    for (const { item, rawRef } of (await reader.list('deploy-tokens', OPERATIONS.groupDeployTokens, parameters)) ?? []) identities.push(deployTokenIdentity(item, place, origin(rawRef)));
  }
  if (kinds.has('ci-variables')) {
    for (const { item, rawRef } of (await reader.list('ci-variables', OPERATIONS.groupVariables, parameters)) ?? []) identities.push(variableIdentity(item, place, origin(rawRef)));
  }
  const runners = kinds.has('runners') ? ((await reader.list('runners', OPERATIONS.groupRunners, parameters)) ?? []).map((read) => ({ read, place })) : [];
  return { identities, runners };
}

async function projectHolds(
  reader: Reads,
  id: number,
  place: Place,
  archived: boolean,
  kinds: ReadonlySet<CollectionKind>,
  origin: (rawRef: string) => Origin,
): Promise<Holdings> {
  const parameters = { project: id };
  const identities: Identity[] = [];
  const add = (identity: Identity) => identities.push(archived ? { ...identity, tags: { ...identity.tags, 'gitlab.project_archived': 'true' } } : identity);
  if (kinds.has('access-tokens')) {
    for (const { item, rawRef } of (await reader.list('access-tokens', OPERATIONS.projectAccessTokens, parameters)) ?? []) add(accessTokenIdentity(item, place, origin(rawRef)));
  }
  if (kinds.has('deploy-tokens')) {
    for (const { item, rawRef } of (await reader.list('deploy-tokens', OPERATIONS.projectDeployTokens, parameters)) ?? []) add(deployTokenIdentity(item, place, origin(rawRef)));
  }
  if (kinds.has('deploy-keys')) {
    for (const { item, rawRef } of (await reader.list('deploy-keys', OPERATIONS.projectDeployKeys, parameters)) ?? []) add(deployKeyIdentity(item, place, origin(rawRef)));
  }
  if (kinds.has('ci-variables')) {
    for (const { item, rawRef } of (await reader.list('ci-variables', OPERATIONS.projectVariables, parameters)) ?? []) add(variableIdentity(item, place, origin(rawRef)));
  }
  if (kinds.has('trigger-tokens')) {
    for (const { item, rawRef } of (await reader.list('trigger-tokens', OPERATIONS.projectTriggers, parameters)) ?? []) add(triggerIdentity(item, place, origin(rawRef)));
  }
  const runners = kinds.has('runners') ? ((await reader.list('runners', OPERATIONS.projectRunners, parameters)) ?? []).map((read) => ({ read, place })) : [];
  return { identities, runners };
}

/** One identity per runner, however many groups and projects list it, kept from the first page that did. */
function runners(results: readonly Holdings[], origin: (rawRef: string) => Origin): Identity[] {
  const byId = new Map<number, { read: Read<RawRunner>; places: Place[] }>();
  for (const { read, place } of results.flatMap((result) => result.runners)) {
    const seen = byId.get(read.item.id);
    if (seen) seen.places.push(place);
    else byId.set(read.item.id, { read, places: [place] });
  }
  return [...byId.values()].map(({ read, places }) => runnerIdentity(read.item, places, origin(read.rawRef)));
}

/** The top-level group's service accounts, each with its personal access tokens (GitLab Premium and Ultimate). */
async function groupServiceAccounts(reader: Reads, groupId: number, place: Place, origin: (rawRef: string) => Origin): Promise<Identity[]> {
  const accounts = (await reader.list('service-accounts', OPERATIONS.groupServiceAccounts, { group: groupId })) ?? [];
  const identities: Identity[] = [];
  for (const { item, rawRef } of accounts) {
    const tokens = await reader.list('service-accounts', OPERATIONS.groupServiceAccountTokens, { group: groupId, user: item.id });
    identities.push(serviceAccountIdentity(item, tokens?.map((read) => read.item), place, origin(rawRef)));
  }
  return identities;
}

/** What only an administrator reads: instance-level CI/CD variables and the instance's service accounts with their tokens. */
export async function* instanceIdentities(reader: Reads, settings: GroupSettings, source: string): AsyncGenerator<Identity> {
  const kinds = new Set(settings.kinds);
  const origin = (rawRef: string): Origin => ({ source, scope: INSTANCE_SCOPE, rawRef });
  const place: Place = { level: 'instance', path: INSTANCE_SCOPE, top: true };
  if (kinds.has('ci-variables')) {
    for (const { item, rawRef } of (await reader.list('ci-variables', OPERATIONS.instanceVariables, {})) ?? []) yield variableIdentity(item, place, origin(rawRef));
  }
  if (kinds.has('service-accounts')) {
    for (const { item, rawRef } of (await reader.list('service-accounts', OPERATIONS.instanceServiceAccounts, {})) ?? []) {
      const tokens = await reader.list('service-accounts', OPERATIONS.personalAccessTokens, { user_id: item.id });
      yield serviceAccountIdentity(item, tokens?.map((read) => read.item), place, origin(rawRef));
    }
  }
}
