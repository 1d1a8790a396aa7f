// @ts-check

/** The first part of every identity id this connector yields. */
export const CONNECTOR_ID = '__CONNECTOR_ID__';

/** Roles the system documents, by the privilege they give. Unknown roles stay `unknown` rather than guessed. */
const ROLE_LEVELS = /** @type {const} */ ({ owner: 'admin', admin: 'admin', editor: 'write', writer: 'write', viewer: 'read', reader: 'read' });

/**
 * Pure: one service account as the API returned it → the Identity nhi-audit judges.
 * @param {import('./client.js').Account} account
 * @param {{ source: string; scope: string; rawRef: string }} where
 * @returns {import('nhi-audit/sdk').Identity}
 */
export function normalizeAccount(account, where) {
  /** @type {import('nhi-audit/sdk').PrivilegeLevel} */
  const level = ROLE_LEVELS[/** @type {keyof typeof ROLE_LEVELS} */ (account.role)] ?? 'unknown';
  return {
    id: `${CONNECTOR_ID}:${where.scope}:${account.id}`,
    connector: CONNECTOR_ID,
    source: where.source,
    scope: where.scope,
    kind: 'service-account',
    name: account.name,
    nativeId: account.id,
    status: account.disabled ? 'disabled' : 'active',
    classification: { value: 'machine', reason: 'a service account: the API lists people apart' },
    createdAt: instant(account.created_at),
    lastUsed: account.last_used_at ? { at: instant(account.last_used_at) } : 'never',
    credentials: account.keys.map((key) => ({
      id: key.id,
      type: 'token',
      status: key.status,
      createdAt: instant(key.created_at),
      rotatedAt: null,
      lastUsed: key.last_used_at ? { at: instant(key.last_used_at) } : 'never',
      expiresAt: key.expires_at ? instant(key.expires_at) : null,
    })),
    privilege: {
      level,
      grants: [{ via: 'binding', name: account.role, level, flags: level === 'admin' ? ['admin'] : [], evidence: [`role ${account.role}`] }],
      flags: level === 'admin' ? ['admin'] : [],
    },
    ...(account.owner ? { owner: { id: account.owner, source: 'property:owner', status: 'unknown' } } : {}),
    tags: {},
    rawRef: where.rawRef,
  };
}

/** RFC 3339 in UTC with milliseconds, as every instant in the inventory is written. @param {string} text */
function instant(text) {
  return new Date(text).toISOString();
}
