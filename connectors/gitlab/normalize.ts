import type { Credential, Identity, LastUsed } from '../../src/sdk/index.js';
import { aggregate, deployKeyPrivilege, ROLES, tokenPrivilege, type Reach } from './privilege.js';
import type { RawAccessToken, RawDeployKey, RawDeployToken, RawPersonalAccessToken, RawRunner, RawServiceAccount, RawTrigger, RawVariable } from './responses.js';

/*
 * Pure mapping from GitLab REST v4 objects (as kept in the pack's raw pages, secret values already removed) to
 * identities. The raw types (responses.ts) name only the fields read here, as the collection checked them.
 */

/** Where an identity came from: its source, scope (a configured group, or `instance`) and raw page. */
export interface Origin {
  source: string;
  scope: string;
  rawRef: string;
}

/** The group or project an identity belongs to: its full path, and whether it is the configured group itself. */
export interface Place {
  level: 'group' | 'project' | 'instance';
  path: string;
  /** The configured group (or the instance): what it holds reaches every project below it. */
  top: boolean;
  webUrl?: string;
}

const MACHINE = (reason: string) => ({ value: 'machine' as const, reason });

/** GitLab sends instants with fractions and offsets, and token expiries as dates (midnight UTC, when they stop). */
export function instant(value: string | null | undefined): string | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString().replace(/\.000Z$/, 'Z');
}

/** A missing field means GitLab keeps no data; `null` means it keeps data and saw no use. */
export function lastUsed(value: string | null | undefined): LastUsed {
  if (value === undefined) return 'unknown';
  const at = instant(value);
  return at ? { at } : 'never';
}

function base(origin: Origin, nativePath: string) {
  return { id: `gitlab:${origin.scope}:${nativePath}`, connector: 'gitlab', source: origin.source, scope: origin.scope, rawRef: origin.rawRef };
}

function placeTags(place: Place): Record<string, string> {
  return place.level === 'instance' ? { 'gitlab.level': 'instance' } : { 'gitlab.level': place.level, [`gitlab.${place.level}`]: place.path };
}

function reachOf(place: Place): Reach {
  return place.top ? 'all' : 'selected';
}

function tokenCredential(raw: { id: number; created_at: string; last_used_at: string | null; expires_at: string | null }, active: boolean): Credential {
  return {
    id: String(raw.id),
    type: 'token',
    status: active ? 'active' : 'inactive',
    createdAt: instant(raw.created_at),
    // Rotating a GitLab token revokes it and issues a new one with a new id.
    rotatedAt: null,
    lastUsed: lastUsed(raw.last_used_at),
    expiresAt: instant(raw.expires_at),
  };
}

/** A group or project access token: the personal access token of the group's or project's bot user. */
export function accessTokenIdentity(raw: RawAccessToken, place: Place, origin: Origin): Identity {
  const active = raw.active && !raw.revoked;
  const credential = tokenCredential(raw, active);
  const role = raw.access_level === undefined ? undefined : (ROLES[raw.access_level] ?? String(raw.access_level));
  return {
    ...base(origin, `${place.level}-access-token/${place.path}/${raw.id}`),
    kind: 'token',
    name: raw.name,
    nativeId: String(raw.id),
    status: active ? 'active' : 'disabled',
    classification: MACHINE(`${place.level} access token: the token of the ${place.level}'s bot user`),
    createdAt: credential.createdAt,
    lastUsed: credential.lastUsed,
    credentials: [credential],
    privilege: tokenPrivilege(raw.scopes, raw.access_level, place.path, reachOf(place)),
    expiresAt: credential.expiresAt,
    tags: {
      ...placeTags(place),
      'gitlab.token_type': `${place.level}-access-token`,
      'gitlab.bot_user_id': String(raw.user_id),
      'gitlab.scopes': [...raw.scopes].sort().join(','),
      ...(role ? { 'gitlab.role': role } : {}),
      ...(raw.revoked ? { 'gitlab.revoked': 'true' } : {}),
    },
  };
}

/**
 * A deploy token. GitLab's API gives neither its creation date nor any record of its use, so both stay
 * unknown (never "never used"): a control that needs them says it cannot judge.
 */
export function deployTokenIdentity(raw: RawDeployToken, place: Place, origin: Origin): Identity {
  const active = !raw.revoked && !raw.expired;
  const expiresAt = instant(raw.expires_at);
  const credential: Credential = { id: String(raw.id), type: 'token', status: active ? 'active' : 'inactive', createdAt: null, rotatedAt: null, lastUsed: 'unknown', expiresAt };
  const grants = [...raw.scopes].sort().map((scope) => ({
    via: 'scope' as const,
    name: scope,
    ref: place.path,
    level: scope.startsWith('write_') ? ('write' as const) : scope.startsWith('read_') ? ('read' as const) : ('unknown' as const),
    flags: [],
    evidence: [scope],
  }));
  return {
    ...base(origin, `deploy-token/${place.path}/${raw.id}`),
    kind: 'token',
    name: raw.name,
    nativeId: String(raw.id),
    status: active ? 'active' : 'disabled',
    classification: MACHINE(`deploy token ${raw.username}: a username and token for automation, not a person`),
    createdAt: null,
    lastUsed: 'unknown',
    credentials: [credential],
    privilege: aggregate(grants, reachOf(place)),
    expiresAt,
    tags: {
      ...placeTags(place),
      'gitlab.token_type': 'deploy-token',
      'gitlab.deploy_token_username': raw.username,
      'gitlab.scopes': [...raw.scopes].sort().join(','),
      ...(raw.revoked ? { 'gitlab.revoked': 'true' } : {}),
    },
  };
}

export function deployKeyIdentity(raw: RawDeployKey, place: Place, origin: Origin): Identity {
  const expiresAt = instant(raw.expires_at);
  const credential: Credential = {
    id: String(raw.id),
    type: 'ssh-key',
    status: 'active',
    createdAt: instant(raw.created_at),
    // A deploy key cannot be changed in place: replacing it makes a new key with a new id.
    rotatedAt: null,
    // GitLab's deploy keys API reports no use.
    lastUsed: 'unknown',
    expiresAt,
    ...(raw.fingerprint_sha256 ? { fingerprint: raw.fingerprint_sha256 } : {}),
  };
  return {
    ...base(origin, `deploy-key/${place.path}/${raw.id}`),
    kind: 'deploy-key',
    name: raw.title,
    nativeId: String(raw.id),
    status: 'active',
    classification: MACHINE('deploy keys authenticate automation to the projects they are enabled for'),
    createdAt: credential.createdAt,
    lastUsed: 'unknown',
    credentials: [credential],
    privilege: deployKeyPrivilege(raw.can_push, place.path),
    expiresAt,
    tags: { ...placeTags(place), 'gitlab.can_push': String(raw.can_push) },
  };
}

/** A variable's place in its group or project: its key, and its environment scope unless it is every environment. */
export function variablePath(raw: RawVariable, place: Place): string {
  const environment = raw.environment_scope && raw.environment_scope !== '*' ? `@${raw.environment_scope}` : '';
  return place.level === 'instance' ? `ci-variable/${raw.key}` : `ci-variable/${place.path}/${raw.key}${environment}`;
}

/**
 * A CI/CD variable, judged like any CI secret. Its value is never read; GitLab records neither when a variable
 * was created nor when its value was last set, so its age stays unknown.
 */
export function variableIdentity(raw: RawVariable, place: Place, origin: Origin): Identity {
  const nativePath = variablePath(raw, place);
  const credential: Credential = { id: nativePath, type: 'secret', status: 'active', createdAt: null, rotatedAt: null, lastUsed: 'unknown', expiresAt: null };
  const environment = raw.environment_scope ?? '*';
  const protection = [`protected:${raw.protected}`, `masked:${raw.masked}`, ...(raw.hidden ? ['hidden:true'] : [])];
  return {
    ...base(origin, nativePath),
    kind: 'ci-secret',
    name: raw.key,
    nativeId: nativePath.slice('ci-variable/'.length),
    status: 'active',
    classification: MACHINE('CI/CD variable: a value handed to pipelines'),
    createdAt: null,
    lastUsed: 'unknown',
    credentials: [credential],
    privilege: aggregate([{ via: 'scope', name: `environment_scope:${environment}`, ref: place.path, level: 'unknown', flags: [], evidence: protection }], reachOf(place)),
    ...(environment !== '*' ? { environment } : {}),
    tags: {
      ...placeTags(place),
      'gitlab.variable_type': raw.variable_type,
      'gitlab.protected': String(raw.protected),
      'gitlab.masked': String(raw.masked),
      'gitlab.environment_scope': environment,
      ...(raw.hidden !== undefined ? { 'gitlab.hidden': String(raw.hidden) } : {}),
    },
  };
}

/** A pipeline trigger token: it starts pipelines of its project as the user who owns it. */
export function triggerIdentity(raw: RawTrigger, place: Place, origin: Origin): Identity {
  const expiresAt = instant(raw.expires_at);
  const credential: Credential = {
    id: String(raw.id),
    type: 'token',
    status: 'active',
    createdAt: instant(raw.created_at),
    rotatedAt: null,
    lastUsed: lastUsed(raw.last_used),
    expiresAt,
  };
  return {
    ...base(origin, `trigger-token/${place.path}/${raw.id}`),
    kind: 'token',
    name: raw.description || `trigger ${raw.id}`,
    nativeId: String(raw.id),
    status: 'active',
    classification: MACHINE('pipeline trigger token: starts pipelines from outside GitLab'),
    createdAt: credential.createdAt,
    lastUsed: credential.lastUsed,
    credentials: [credential],
    privilege: aggregate([{ via: 'permission', name: 'pipelines:trigger', ref: place.path, level: 'write', flags: [], evidence: [`owner:${raw.owner?.username ?? 'none'}`] }], 'selected'),
    ...(raw.owner ? { owner: { id: raw.owner.username, source: 'trigger-owner', status: 'unknown' as const } } : {}),
    ...(raw.expires_at !== undefined ? { expiresAt } : {}),
    tags: { ...placeTags(place), 'gitlab.token_type': 'trigger-token' },
  };
}

/**
 * A runner registered to a group or project: a machine that holds its own authentication token and runs jobs
 * with the variables those jobs receive. It appears under every project it is enabled for; `places` lists them.
 */
export function runnerIdentity(raw: RawRunner, places: readonly Place[], origin: Origin): Identity {
  const registered = places[0]!;
  const contacted = raw.contacted_at === undefined ? 'unknown' : lastUsed(raw.contacted_at);
  const grants = places.map((place) => ({ via: 'binding' as const, name: `${place.level}-runner`, ref: place.path, level: 'unknown' as const, flags: [], evidence: [raw.runner_type] }));
  return {
    ...base(origin, `runner/${raw.id}`),
    kind: 'service-account',
    name: raw.description || raw.name || `runner ${raw.id}`,
    nativeId: String(raw.id),
    status: raw.paused ? 'disabled' : 'active',
    classification: MACHINE('GitLab runner: a machine that runs CI/CD jobs'),
    createdAt: instant(raw.created_at),
    lastUsed: contacted,
    credentials: [],
    privilege: { ...aggregate(grants, places.some((place) => place.top) ? 'all' : 'selected'), level: 'unknown' },
    tags: {
      ...placeTags(registered),
      'gitlab.runner_type': raw.runner_type,
      'gitlab.runner_status': raw.status,
      'gitlab.runner_shared': String(raw.is_shared),
    },
  };
}

/** A service account with its personal access tokens, each a credential judged on its own. */
export function serviceAccountIdentity(raw: RawServiceAccount, tokens: readonly RawPersonalAccessToken[] | undefined, place: Place, origin: Origin): Identity {
  const credentials = (tokens ?? []).map((token) => tokenCredential(token, token.active && !token.revoked));
  const active = credentials.filter((credential) => credential.status === 'active');
  const used = active.map((credential) => credential.lastUsed).filter((use): use is { at: string } => typeof use === 'object' && 'at' in use);
  const latest = used.map((use) => use.at).sort().at(-1);
  const grants = (tokens ?? [])
    .filter((token) => token.active && !token.revoked)
    .flatMap((token) => tokenPrivilege(token.scopes, undefined, `${raw.username}/${token.name}`, undefined).grants);
  return {
    ...base(origin, `service-account/${raw.username}`),
    kind: 'service-account',
    name: raw.username,
    nativeId: String(raw.id),
    status: 'active',
    classification: MACHINE(`GitLab service account (${raw.name})`),
    createdAt: credentials.map((credential) => credential.createdAt).filter((at): at is string => at !== null).sort()[0] ?? null,
    lastUsed: tokens === undefined ? 'unknown' : latest ? { at: latest } : 'never',
    credentials,
    // Its tokens act with the account's memberships, which the service accounts API does not list.
    privilege: aggregate(grants, place.top && place.level === 'instance' ? 'all' : undefined),
    tags: { ...placeTags(place), 'gitlab.user_id': String(raw.id) },
  };
}
