import { createHash } from 'node:crypto';
import type { Credential, Identity, LastUsed, Owner, Privilege } from '../../src/sdk/index.js';
import { aggregate, deployKeyPrivilege, permissionPrivilege, scopePrivilege, tokenPermissions, type Reach } from './privilege.js';
import type {
  RawApp,
  RawCredentialAuthorization,
  RawDeployKey,
  RawInstallation,
  RawPatGrant,
  RawPropertyValues,
  RawRunner,
  RawRunnerGroup,
  RawSecret,
  RawWebhook,
  RepositoryNode,
} from './responses.js';

/*
 * Pure mapping from GitHub's API objects (as kept in the pack's raw pages) to identities. The raw types
 * (responses.ts) name only the fields read here, as the collection checked them; GitHub's OpenAPI
 * description has the rest.
 */

/** What the identities of one repository share: its name, custom properties and owner hint. */
export interface Repository {
  name: string;
  archived: boolean;
  deployKeyCount: number;
  environments: string[];
  /** More environments than the inventory query lists: they must be read with REST. */
  environmentsTruncated: boolean;
  properties: Record<string, string>;
  owner?: Owner;
}

/** Where an identity came from: the source it belongs to and the raw page it was read from. */
export interface Origin {
  source: string;
  org: string;
  rawRef: string;
}

const MACHINE = (reason: string) => ({ value: 'machine' as const, reason });

export function repository(node: RepositoryNode, properties: RawPropertyValues | undefined, ownerProperty: string): Repository {
  const values: Record<string, string> = {};
  for (const { property_name, value } of properties?.properties ?? []) {
    if (value !== null) values[property_name] = Array.isArray(value) ? value.join(',') : value;
  }
  const codeownersText = node.codeownersGithub?.text ?? node.codeownersRoot?.text ?? node.codeownersDocs?.text ?? undefined;
  const codeowner = codeownersText ? defaultCodeowner(codeownersText) : undefined;
  const ownerValue = values[ownerProperty];
  const owner: Owner | undefined = ownerValue
    ? { id: ownerValue, source: `property:${ownerProperty}`, status: 'unknown' }
    : codeowner
      ? { id: codeowner, source: 'codeowners', status: 'unknown' }
      : undefined;
  return {
    name: node.name,
    archived: node.isArchived,
    deployKeyCount: node.deployKeys.totalCount,
    environments: node.environments.nodes.map((environment) => environment.name),
    environmentsTruncated: node.environments.totalCount > node.environments.nodes.length,
    properties: values,
    ...(owner ? { owner } : {}),
  };
}

/**
 * The owner of the whole repository in a CODEOWNERS file: the last `*` rule wins, as on GitHub, and a
 * team is preferred over a person because teams outlive their members.
 */
export function defaultCodeowner(text: string): string | undefined {
  let owners: string[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    const [pattern, ...rest] = line.replace(/(^|\s)#.*$/, '').trim().split(/\s+/);
    if (pattern === '*' || pattern === '/*' || pattern === '**') owners = rest.filter((owner) => owner.startsWith('@'));
  }
  const chosen = owners?.find((owner) => owner.includes('/')) ?? owners?.[0];
  return chosen?.slice(1);
}

/** GitHub sends offsets (`-07:00`) and fractions; the inventory keeps whole-second UTC instants. */
export function instant(value: string | null | undefined): string | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString().replace(/\.000Z$/, 'Z');
}

/** A missing field means GitHub keeps no data; `null` means it keeps data and saw no use. */
export function lastUsed(value: string | null | undefined): LastUsed {
  if (value === undefined) return 'unknown';
  const at = instant(value);
  return at ? { at } : 'never';
}

function base(origin: Origin, nativePath: string) {
  return {
    id: `github:${origin.org}:${nativePath}`,
    connector: 'github',
    source: origin.source,
    scope: origin.org,
    rawRef: origin.rawRef,
  };
}

/** A repository's custom properties, its name and whether it is archived, on every identity it holds. */
function repositoryTags(repo: Repository | undefined): Record<string, string> {
  if (!repo) return {};
  return { ...repo.properties, 'github.repository': repo.name, ...(repo.archived ? { 'github.repository_archived': 'true' } : {}) };
}

export function installationIdentity(raw: RawInstallation, app: RawApp | undefined, origin: Origin): Identity {
  const publisher = app?.owner?.login;
  const reach: Reach = raw.repository_selection === 'all' ? 'all' : 'selected';
  return {
    ...base(origin, `app/${raw.app_slug}`),
    kind: 'app',
    name: raw.app_slug,
    nativeId: String(raw.id),
    ...(raw.html_url ? { url: raw.html_url } : {}),
    status: raw.suspended_at ? 'disabled' : 'active',
    classification: MACHINE('GitHub App installation'),
    createdAt: instant(raw.created_at),
    lastUsed: 'unknown',
    // Installation tokens are minted from the App's private key, which the organization cannot see.
    credentials: [],
    privilege: permissionPrivilege(raw.permissions, reach),
    ...(publisher && publisher.toLowerCase() !== origin.org.toLowerCase() ? { vendor: publisher } : {}),
    tags: { 'github.app_id': String(raw.app_id), 'github.repository_selection': raw.repository_selection },
  };
}

/** SHA256 fingerprint as `ssh-keygen -lf` prints it, so a key can be matched across systems. */
export function sshFingerprint(publicKey: string): string | undefined {
  const blob = publicKey.trim().split(/\s+/)[1];
  if (!blob) return undefined;
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

export function deployKeyIdentity(raw: RawDeployKey, repo: Repository, origin: Origin): Identity {
  const used = lastUsed(raw.last_used);
  const active = raw.enabled !== false;
  const fingerprint = sshFingerprint(raw.key);
  const credential: Credential = {
    id: String(raw.id),
    type: 'ssh-key',
    status: active ? 'active' : 'inactive',
    createdAt: instant(raw.created_at),
    // A deploy key cannot be changed in place: replacing it makes a new key with a new id.
    rotatedAt: null,
    lastUsed: used,
    expiresAt: null,
    ...(fingerprint ? { fingerprint } : {}),
  };
  const owner: Owner | undefined = repo.owner ?? (raw.added_by ? { id: raw.added_by, source: 'added_by', status: 'unknown' } : undefined);
  return {
    ...base(origin, `deploy-key/${repo.name}/${raw.id}`),
    kind: 'deploy-key',
    name: raw.title,
    nativeId: String(raw.id),
    status: active ? 'active' : 'disabled',
    classification: MACHINE('deploy keys authenticate automation to a single repository'),
    createdAt: credential.createdAt,
    lastUsed: used,
    credentials: [credential],
    privilege: deployKeyPrivilege(raw.read_only, repo.name),
    ...(owner ? { owner } : {}),
    tags: { ...repositoryTags(repo), ...(raw.added_by ? { 'github.added_by': raw.added_by } : {}) },
  };
}

const SELECTION_REACH: Record<RawPatGrant['repository_selection'], Reach> = { all: 'all', subset: 'selected', none: 'none' };

export function patGrantIdentity(raw: RawPatGrant, origin: Origin): Identity {
  const used = lastUsed(raw.token_last_used_at);
  const expiresAt = instant(raw.token_expires_at);
  const credential: Credential = {
    id: String(raw.token_id),
    type: 'token',
    status: raw.token_expired ? 'inactive' : 'active',
    // GitHub reports when the token was granted access to the organization, not when it was made:
    // the token is at least this old.
    createdAt: instant(raw.access_granted_at),
    rotatedAt: null,
    lastUsed: used,
    expiresAt,
  };
  return {
    ...base(origin, `token/${raw.token_id}`),
    kind: 'token',
    name: raw.token_name,
    nativeId: String(raw.token_id),
    status: raw.token_expired ? 'disabled' : 'active',
    classification: MACHINE(`fine-grained personal access token of ${raw.owner.login}, used by programs`),
    createdAt: credential.createdAt,
    lastUsed: used,
    credentials: [credential],
    privilege: permissionPrivilege(tokenPermissions(raw.permissions), SELECTION_REACH[raw.repository_selection]),
    expiresAt,
    owner: { id: raw.owner.login, source: 'token-owner', status: 'unknown' },
    tags: { 'github.token_type': 'fine-grained', 'github.grant_id': String(raw.id) },
  };
}

export function credentialAuthorizationIdentity(raw: RawCredentialAuthorization, origin: Origin): Identity {
  const isSshKey = raw.credential_type === 'SSH key';
  const used = lastUsed(raw.credential_accessed_at);
  const expiresAt = instant(raw.authorized_credential_expires_at);
  // GitHub's own identifiers for the credential: the last eight characters it shows for a token, or an
  // SSH key's fingerprint. Secret scanners report the same, so leaks can be joined on it.
  const fingerprint = isSshKey ? raw.fingerprint : raw.token_last_eight ? `last8:${raw.token_last_eight}` : undefined;
  const credential: Credential = {
    id: String(raw.credential_id),
    type: isSshKey ? 'ssh-key' : 'token',
    status: 'active',
    // SAML authorization comes after creation, so the credential is at least this old.
    createdAt: instant(raw.credential_authorized_at),
    rotatedAt: null,
    lastUsed: used,
    expiresAt,
    ...(fingerprint ? { fingerprint } : {}),
  };
  const privilege: Privilege = isSshKey ? aggregate([], 'all') : scopePrivilege(raw.scopes ?? []);
  return {
    ...base(origin, `credential-authorization/${raw.credential_id}`),
    kind: 'token',
    name: raw.authorized_credential_title ?? `${raw.credential_type} of ${raw.login}`,
    nativeId: String(raw.credential_id),
    status: 'active',
    classification: MACHINE(`${raw.credential_type} of ${raw.login} authorized for SAML single sign-on`),
    createdAt: credential.createdAt,
    lastUsed: used,
    credentials: [credential],
    // An SSH key carries its user's own repository access, which no scope describes.
    privilege: isSshKey ? { ...privilege, level: 'unknown' } : privilege,
    expiresAt,
    owner: { id: raw.login, source: 'token-owner', status: 'unknown' },
    tags: { 'github.token_type': isSshKey ? 'ssh-key' : raw.credential_type === 'personal access token' ? 'classic' : raw.credential_type },
  };
}

export type SecretFamily = 'actions' | 'dependabot' | 'codespaces';

/** Where a secret lives: the organization (with its visibility), a repository, or a repository's environment. */
export type SecretPlace =
  | { level: 'org'; selectedRepositories?: string[] }
  | { level: 'repo'; repo: Repository }
  | { level: 'env'; repo: Repository; environment: string };

export function secretIdentity(raw: RawSecret, family: SecretFamily, place: SecretPlace, origin: Origin): Identity {
  const path =
    place.level === 'org'
      ? `org/${raw.name}`
      : place.level === 'repo'
        ? `repo/${place.repo.name}/${raw.name}`
        : `env/${place.repo.name}/${place.environment}/${raw.name}`;
  const nativePath = `${family}-secret/${path}`;
  const credential: Credential = {
    id: nativePath,
    type: 'secret',
    status: 'active',
    createdAt: instant(raw.created_at),
    // A secret's value can only be replaced, which moves updated_at: the last rotation.
    rotatedAt: instant(raw.updated_at),
    // GitHub does not record when workflows read a secret.
    lastUsed: 'unknown',
    expiresAt: null,
  };
  const repo = place.level === 'org' ? undefined : place.repo;
  return {
    ...base(origin, nativePath),
    kind: 'ci-secret',
    name: raw.name,
    nativeId: path,
    status: 'active',
    classification: MACHINE(`${family} secret: a credential handed to automation`),
    createdAt: credential.createdAt,
    lastUsed: 'unknown',
    credentials: [credential],
    privilege: secretPrivilege(raw, place),
    ...(repo?.owner ? { owner: repo.owner } : {}),
    ...(place.level === 'env' ? { environment: place.environment } : {}),
    tags: {
      ...repositoryTags(repo),
      'github.secret_type': family,
      'github.secret_level': place.level,
      ...(raw.visibility ? { 'github.visibility': raw.visibility } : {}),
    },
  };
}

/** A secret's value is opaque, so its privilege is unknown; what is known is how many repositories read it. */
function secretPrivilege(raw: RawSecret, place: SecretPlace): Privilege {
  if (place.level !== 'org') {
    const repository = place.repo.name;
    return aggregate([{ via: 'scope', name: place.level === 'env' ? `environment:${place.environment}` : 'repository', ref: repository, level: 'unknown', flags: [], evidence: [repository] }], 'selected');
  }
  const visibility = raw.visibility ?? 'all';
  const evidence = visibility === 'selected' ? [...(place.selectedRepositories ?? [])].sort() : [visibility];
  return aggregate([{ via: 'scope', name: `visibility:${visibility}`, level: 'unknown', flags: [], evidence }], visibility === 'all' ? 'all' : 'selected');
}

export function webhookIdentity(raw: RawWebhook, repo: Repository | undefined, origin: Origin): Identity {
  const nativePath = repo ? `webhook/repo/${repo.name}/${raw.id}` : `webhook/org/${raw.id}`;
  // GitHub masks a set secret as "********" (the pack keeps it redacted); no field at all means none.
  const hasSecret = typeof raw.config.secret === 'string' && raw.config.secret.length > 0;
  const used: LastUsed = raw.last_response?.status === 'unused' ? 'never' : 'unknown';
  const insecureSsl = String(raw.config.insecure_ssl ?? '0') === '1';
  const credentials: Credential[] = hasSecret
    ? [
        {
          id: `${nativePath}/secret`,
          type: 'secret',
          status: raw.active ? 'active' : 'inactive',
          createdAt: instant(raw.created_at),
          // updated_at moves with any change to the hook, so it does not date the secret.
          rotatedAt: null,
          lastUsed: used,
          expiresAt: null,
        },
      ]
    : [];
  const events = [...raw.events].sort();
  return {
    ...base(origin, nativePath),
    kind: 'api-key',
    name: hookHost(raw.config.url) ?? `webhook ${raw.id}`,
    nativeId: String(raw.id),
    status: raw.active ? 'active' : 'disabled',
    classification: MACHINE('webhook: GitHub delivers signed event payloads to an external endpoint'),
    createdAt: instant(raw.created_at),
    lastUsed: used,
    credentials,
    privilege: aggregate(
      [{ via: 'scope', name: `events:${events.join(',')}`, level: 'read', flags: [], evidence: events }],
      repo ? 'selected' : 'all',
    ),
    ...(repo?.owner ? { owner: repo.owner } : {}),
    tags: {
      ...repositoryTags(repo),
      'github.webhook_secret': hasSecret ? 'set' : 'none',
      'github.insecure_ssl': insecureSsl ? '1' : '0',
    },
  };
}

/** The host a webhook delivers to, without the path or query (which can carry tokens). */
function hookHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * A self-hosted runner is a machine that holds its own registration credential and runs jobs with the
 * secrets and tokens those jobs receive: a compute identity, the nearest kind being a service account.
 */
export function runnerIdentity(raw: RawRunner, place: { repo?: Repository; group?: RawRunnerGroup }, origin: Origin): Identity {
  const { repo, group } = place;
  const nativePath = repo ? `runner/repo/${repo.name}/${raw.id}` : `runner/org/${raw.id}`;
  // Without its group (groups unreadable) an organization runner's reach is not known.
  const reach: Reach | undefined = repo ? 'selected' : group ? (group.visibility === 'all' ? 'all' : 'selected') : undefined;
  const grants = group
    ? [{ via: 'binding' as const, name: `runner-group:${group.name}`, level: 'unknown' as const, flags: [], evidence: [`visibility:${group.visibility}`] }]
    : [];
  return {
    ...base(origin, nativePath),
    kind: 'service-account',
    name: raw.name,
    nativeId: String(raw.id),
    status: 'active',
    classification: MACHINE('self-hosted GitHub Actions runner'),
    // The runners API carries no timestamps.
    createdAt: null,
    lastUsed: 'unknown',
    credentials: [],
    privilege: { ...aggregate(grants, reach), level: 'unknown' },
    ...(repo?.owner ? { owner: repo.owner } : {}),
    tags: {
      ...repositoryTags(repo),
      'github.runner_os': raw.os,
      'github.runner_status': raw.status,
      'github.runner_labels': raw.labels.map((label) => label.name).sort().join(','),
      'github.runner_ephemeral': String(raw.ephemeral ?? false),
      ...(group
        ? { 'github.runner_group': group.name, 'github.runner_group_public_repositories': String(group.allows_public_repositories) }
        : {}),
    },
  };
}
