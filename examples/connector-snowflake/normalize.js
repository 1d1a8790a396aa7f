// @ts-check

/*
 * Pure: what the SQL API returned about one user (its SHOW USERS row, its DESCRIBE USER properties, its role
 * grants and the grants of the roles they inherit) → the Identity nhi-audit judges.
 */

export const CONNECTOR_ID = 'snowflake';

/** @typedef {import('nhi-audit/sdk').Grant} Grant */
/** @typedef {import('nhi-audit/sdk').PrivilegeFlag} PrivilegeFlag */
/** @typedef {import('nhi-audit/sdk').PrivilegeLevel} PrivilegeLevel */
/** @typedef {Record<string, string | null>} Row */
/** @typedef {{ level: PrivilegeLevel; flags: PrivilegeFlag[]; evidence: string[] }} Judgement */

/** The system-defined roles, by what Snowflake documents them to do; their own privileges are not listed by SHOW GRANTS. */
export const SYSTEM_ROLES = /** @type {Record<string, Judgement>} */ ({
  ACCOUNTADMIN: { level: 'admin', flags: ['admin'], evidence: ['ACCOUNTADMIN: every privilege in the account, SYSADMIN and SECURITYADMIN included'] },
  ORGADMIN: { level: 'admin', flags: ['admin'], evidence: ['ORGADMIN: creates and manages the accounts of the organization'] },
  SECURITYADMIN: {
    level: 'admin',
    flags: ['credential-creation', 'iam-write', 'privilege-escalation'],
    evidence: ['SECURITYADMIN: MANAGE GRANTS (grants any privilege to any role, its own included) and USERADMIN'],
  },
  USERADMIN: { level: 'write', flags: ['credential-creation', 'iam-write'], evidence: ['USERADMIN: CREATE USER and CREATE ROLE (sets the keys and passwords of the users it owns)'] },
  SYSADMIN: { level: 'write', flags: [], evidence: ['SYSADMIN: creates warehouses and databases and owns every object in them'] },
  PUBLIC: { level: 'none', flags: [], evidence: ['PUBLIC: granted to every user'] },
});

const ORDER = /** @type {PrivilegeLevel[]} */ (['none', 'read', 'write', 'admin']);
const READ_PRIVILEGES = new Set(['SELECT', 'USAGE', 'REFERENCES', 'MONITOR', 'READ', 'MONITOR USAGE', 'MONITOR EXECUTION', 'IMPORTED PRIVILEGES']);

/** One privilege a role holds directly (a SHOW GRANTS TO ROLE row that is not a role it inherits). @param {Row} row @returns {Judgement} */
export function judgePrivilege(row) {
  const privilege = (row.privilege ?? '').toUpperCase();
  const on = (row.granted_on ?? '').toUpperCase();
  const what = `${privilege} on ${on} ${row.name ?? ''}`.trim();
  if (on === 'ACCOUNT' && privilege === 'MANAGE GRANTS') return { level: 'write', flags: ['iam-write', 'privilege-escalation'], evidence: [what] };
  if (on === 'ACCOUNT' && privilege === 'CREATE USER') return { level: 'write', flags: ['credential-creation', 'iam-write'], evidence: [what] };
  if (on === 'ACCOUNT' && privilege === 'CREATE ROLE') return { level: 'write', flags: ['iam-write'], evidence: [what] };
  if (READ_PRIVILEGES.has(privilege)) return { level: 'read', flags: [], evidence: [what] };
  return { level: 'write', flags: [], evidence: [what] };
}

/** @param {Judgement[]} judgements @returns {Judgement} */
function combine(judgements) {
  const level = judgements.reduce((best, j) => (ORDER.indexOf(j.level) > ORDER.indexOf(best) ? j.level : best), /** @type {PrivilegeLevel} */ ('none'));
  const flags = [...new Set(judgements.flatMap((j) => j.flags))].sort();
  const evidence = [...new Set(judgements.flatMap((j) => j.evidence))].sort().slice(0, 20);
  return { level, flags, evidence };
}

/**
 * What a role gives: a system role by its documented powers, a custom role by its own privileges and every role
 * it inherits (USAGE on ROLE), followed to the end; a cycle is cut where it closes.
 * @param {string} role
 * @param {ReadonlyMap<string, readonly Row[]>} roleGrants SHOW GRANTS TO ROLE rows, by role
 * @param {Set<string>} [seen]
 * @returns {Judgement}
 */
export function judgeRole(role, roleGrants, seen = new Set()) {
  const system = SYSTEM_ROLES[role];
  if (system) return system;
  if (seen.has(role)) return { level: 'none', flags: [], evidence: [] };
  seen.add(role);
  const judgements = (roleGrants.get(role) ?? []).map((row) => {
    const inherited = (row.granted_on ?? '').toUpperCase() === 'ROLE' && (row.privilege ?? '').toUpperCase() === 'USAGE' ? row.name : null;
    if (!inherited) return judgePrivilege(row);
    const judged = judgeRole(inherited, roleGrants, seen);
    return { ...judged, evidence: judged.evidence.map((e) => (e.startsWith(`${inherited}:`) ? `inherits ${e}` : `inherits ${inherited}: ${e}`)) };
  });
  return combine(judgements);
}

/** The custom roles a result names that still need SHOW GRANTS TO ROLE. @param {readonly Row[]} rows @param {string} column */
export function customRoles(rows, column) {
  const names = /** @type {string[]} */ (rows.map((row) => row[column]).filter((name) => typeof name === 'string'));
  return [...new Set(names.filter((name) => !SYSTEM_ROLES[name]))];
}

/**
 * A TIMESTAMP_LTZ as the SQL API writes it (seconds since the epoch, with nine decimals), or a timestamp DESCRIBE
 * writes as text → RFC 3339.
 * @param {string | null | undefined} value
 */
export function instant(value) {
  if (value === null || value === undefined || value === '' || value === 'null') return null;
  const seconds = Number(value.split(' ')[0]);
  const millis = Number.isFinite(seconds) ? Math.round(seconds * 1000) : Date.parse(value);
  return Number.isFinite(millis) ? new Date(millis).toISOString() : null;
}

/** DESCRIBE USER rows → property → value; Snowflake writes an unset property as the text null. @param {readonly Row[]} rows */
export function properties(rows) {
  return /** @type {Record<string, string | null>} */ (Object.fromEntries(rows.map((row) => [String(row.property).toUpperCase(), row.value === 'null' ? null : (row.value ?? null)])));
}

/** @param {Row} user @param {Record<string, string | null>} props @returns {import('nhi-audit/sdk').Classification} */
function classify(user, props) {
  const type = (props.TYPE ?? user.type ?? '').toUpperCase();
  if (type === 'SERVICE') return { value: 'machine', reason: 'TYPE = SERVICE: no password, MFA or SSO sign-in; key pair or OAuth only' };
  if (type === 'LEGACY_SERVICE') return { value: 'machine', reason: 'TYPE = LEGACY_SERVICE: a service user still allowed a password' };
  if (type === 'PERSON') return { value: 'human', reason: 'TYPE = PERSON' };
  if (user.has_password !== 'true' && user.has_rsa_public_key === 'true') return { value: 'machine', reason: 'TYPE not set; key-pair authentication and no password' };
  return { value: 'unknown', reason: 'TYPE not set and a password: set TYPE = SERVICE or PERSON' };
}

/**
 * @param {{ user: Row; describe: readonly Row[]; grants: readonly Row[]; roleGrants: ReadonlyMap<string, readonly Row[]> }} facts
 * @param {{ source: string; account: string; rawRef: string }} where
 * @returns {import('nhi-audit/sdk').Identity}
 */
export function normalizeUser(facts, where) {
  const { user } = facts;
  const props = properties(facts.describe);
  const name = String(user.name);
  const disabled = user.disabled === 'true';
  const lastLogin = instant(user.last_success_login);
  /** @type {import('nhi-audit/sdk').LastUsed} */
  const lastUsed = lastLogin ? { at: lastLogin } : 'never';
  const credentialStatus = disabled ? 'inactive' : 'active';
  /** @type {import('nhi-audit/sdk').Credential[]} */
  const credentials = [];
  // Snowflake holds two key slots so a key can be rotated without downtime; it records no date for either.
  for (const slot of ['RSA_PUBLIC_KEY', 'RSA_PUBLIC_KEY_2']) {
    const fingerprint = props[`${slot}_FP`];
    if (fingerprint) credentials.push({ id: slot, type: 'service-account-key', status: credentialStatus, createdAt: null, rotatedAt: null, lastUsed: 'unknown', expiresAt: null, fingerprint });
  }
  if (user.has_password === 'true') {
    credentials.push({ id: 'PASSWORD', type: 'secret', status: credentialStatus, createdAt: null, rotatedAt: instant(props.PASSWORD_LAST_SET_TIME), lastUsed: 'unknown', expiresAt: null });
  }
  /** @type {Grant[]} */
  const grants = facts.grants
    .map((row) => String(row.role))
    .sort()
    .map((role) => {
      const judged = judgeRole(role, facts.roleGrants);
      return { via: 'binding', name: role, ref: `GRANT ROLE ${role} TO USER ${name}`, level: judged.level, flags: judged.flags, evidence: judged.evidence };
    });
  const privilege = combine(grants.map((g) => ({ level: g.level, flags: g.flags, evidence: [] })));
  const expiresAt = instant(user.expires_at_time);
  return {
    id: `${CONNECTOR_ID}:${where.account}:${name}`,
    connector: CONNECTOR_ID,
    source: where.source,
    scope: where.account,
    kind: 'service-account',
    name,
    nativeId: name,
    status: disabled ? 'disabled' : 'active',
    classification: classify(user, props),
    createdAt: instant(user.created_on),
    lastUsed,
    credentials,
    privilege: { level: privilege.level, grants, flags: privilege.flags },
    interactiveLogin: {
      enabled: user.has_password === 'true',
      mfa: user.has_mfa === 'true' || user.ext_authn_duo === 'true',
      lastUsed,
      method: 'Snowflake password sign-in',
    },
    ...(expiresAt ? { expiresAt } : {}),
    tags: {},
    rawRef: where.rawRef,
  };
}
