// @ts-check

/*
 * The account a sandbox serves: a dataset of users and roles, answered as Snowflake's SQL API answers the statements
 * the connector runs: the columns of SHOW USERS, DESCRIBE USER, SHOW GRANTS TO USER / TO ROLE, and a count from
 * SNOWFLAKE.ACCOUNT_USAGE.USERS, with values written as the API's jsonv2 format writes them (text, and
 * TIMESTAMP_LTZ as seconds since the epoch).
 */

/**
 * @typedef {{
 *   name: string; createdOn: string; type: 'SERVICE' | 'LEGACY_SERVICE' | 'PERSON' | null; loginName?: string; displayName?: string;
 *   email?: string | null; comment?: string | null; disabled?: boolean; defaultRole?: string | null; defaultWarehouse?: string | null;
 *   owner?: string; lastSuccessLogin?: string | null; expiresAt?: string | null; password?: boolean; passwordLastSet?: string | null; mfa?: boolean;
 *   rsaPublicKeyFp?: string | null; rsaPublicKey2Fp?: string | null; roles?: string[]
 * }} DatasetUser
 * @typedef {{ privilege: string; on: string; name: string; grantOption?: boolean }} DatasetGrant
 * @typedef {{ account: string; users: DatasetUser[]; roles: Record<string, { createdOn: string; grants: DatasetGrant[] }> }} Dataset
 * @typedef {{ name: string; type: string }} Column
 * @typedef {{ operation: string; columns: Column[]; rows: (string | null)[][] } | { error: { status: number; code: string; sqlState: string; message: string } }} Answer
 */

/** @param {string | null | undefined} iso */
const ltz = (iso) => (iso ? (Date.parse(iso) / 1000).toFixed(9) : null);
/** @param {boolean | undefined} value */
const flag = (value) => (value ? 'true' : 'false');
/** @param {string[]} names @param {string} [type] @returns {Column[]} */
const text = (names, type = 'text') => names.map((name) => ({ name, type }));

const SHOW_USERS = [
  ...text(['name']), ...text(['created_on'], 'timestamp_ltz'),
  ...text(['login_name', 'display_name', 'first_name', 'last_name', 'email', 'mins_to_unlock', 'days_to_expiry', 'comment', 'disabled', 'must_change_password', 'snowflake_lock', 'default_warehouse', 'default_namespace', 'default_role', 'default_secondary_roles', 'ext_authn_duo', 'ext_authn_uid', 'mins_to_bypass_mfa', 'owner']),
  ...text(['last_success_login', 'expires_at_time', 'locked_until_time'], 'timestamp_ltz'),
  ...text(['has_password', 'has_rsa_public_key', 'type', 'has_mfa']),
];
const DESCRIBE = text(['property', 'value', 'default', 'description']);
const GRANTS_TO_USER = [...text(['created_on'], 'timestamp_ltz'), ...text(['role', 'granted_to', 'grantee_name', 'granted_by'])];
const GRANTS_TO_ROLE = [...text(['created_on'], 'timestamp_ltz'), ...text(['privilege', 'granted_on', 'name', 'granted_to', 'grantee_name', 'grant_option', 'granted_by'])];

/** @param {string} message @returns {Answer} */
const compilationError = (message) => ({ error: { status: 422, code: '002003', sqlState: '02000', message: `SQL compilation error:\n${message}` } });

/** An identifier as written in a statement: "quoted" (doubled quotes inside) or plain (upper-cased, as Snowflake resolves it). @param {string} text */
function identifier(text) {
  const quoted = /^"((?:[^"]|"")*)"$/.exec(text.trim());
  return quoted ? /** @type {string} */ (quoted[1]).replaceAll('""', '"') : text.trim().toUpperCase();
}

export class SandboxAccount {
  /**
   * @param {Dataset} dataset
   * @param {Date} now users created after it do not exist yet
   * @param {Map<string, string>} fingerprints key fingerprints of users the sandbox authenticates, by user
   */
  constructor(dataset, now, fingerprints) {
    this.dataset = dataset;
    this.users = dataset.users.filter((u) => Date.parse(u.createdOn) <= now.getTime()).sort((a, b) => (a.name < b.name ? -1 : 1));
    this.fingerprints = fingerprints;
  }

  /** @param {string} name */
  user(name) {
    return this.users.find((u) => u.name === name);
  }

  /** @param {DatasetUser} user */
  fingerprint(user) {
    return this.fingerprints.get(user.name) ?? user.rsaPublicKeyFp ?? null;
  }

  /** Runs one statement; only the ones the connector sends are understood. @param {string} statement @returns {Answer} */
  run(statement) {
    const sql = statement.trim().replace(/;$/, '').trim();
    let match;
    if (/^SHOW\s+USERS$/i.test(sql)) return { operation: 'ShowUsers', columns: SHOW_USERS, rows: this.users.map((u) => this.showUser(u)) };
    if ((match = /^DESC(?:RIBE)?\s+USER\s+(.+)$/i.exec(sql))) return this.describe(identifier(/** @type {string} */ (match[1])));
    if ((match = /^SHOW\s+GRANTS\s+TO\s+USER\s+(.+)$/i.exec(sql))) return this.grantsToUser(identifier(/** @type {string} */ (match[1])));
    if ((match = /^SHOW\s+GRANTS\s+TO\s+ROLE\s+(.+)$/i.exec(sql))) return this.grantsToRole(identifier(/** @type {string} */ (match[1])));
    if (/^SELECT\s+COUNT\(\*\)\s+AS\s+USERS\s+FROM\s+SNOWFLAKE\.ACCOUNT_USAGE\.USERS\s+WHERE\s+DELETED_ON\s+IS\s+NULL$/i.test(sql)) {
      return { operation: 'CountUsers', columns: [{ name: 'USERS', type: 'fixed' }], rows: [[String(this.users.length)]] };
    }
    return { error: { status: 422, code: '001003', sqlState: '42000', message: `SQL compilation error:\nsyntax error line 1 at position 0 unexpected '${sql.split(/\s+/)[0] ?? ''}'.` } };
  }

  /** @param {DatasetUser} u */
  showUser(u) {
    return [
      u.name, ltz(u.createdOn), u.loginName ?? u.name, u.displayName ?? u.name, null, null, u.email ?? null, null, null, u.comment ?? null,
      flag(u.disabled), 'false', 'false', u.defaultWarehouse ?? null, null, u.defaultRole ?? null, null, 'false', null, null, u.owner ?? 'USERADMIN',
      ltz(u.lastSuccessLogin), ltz(u.expiresAt), null,
      flag(u.password), flag(Boolean(this.fingerprint(u) || u.rsaPublicKey2Fp)), u.type ?? null, flag(u.mfa),
    ];
  }

  /** @param {string} name @returns {Answer} */
  describe(name) {
    const u = this.user(name);
    if (!u) return compilationError(`User '${name}' does not exist or not authorized.`);
    const fp = this.fingerprint(u);
    /** @type {[string, string | null, string | null, string][]} */
    const props = [
      ['NAME', u.name, null, 'Name'],
      ['COMMENT', u.comment ?? null, null, 'user comment associated to an object in the dictionary'],
      ['DISPLAY_NAME', u.displayName ?? u.name, null, 'Display name of the associated object'],
      ['TYPE', u.type ?? null, null, 'Type of the user'],
      ['LOGIN_NAME', u.loginName ?? u.name, null, 'Login name of the user'],
      ['EMAIL', u.email ?? null, null, 'Email address of the user'],
      ['PASSWORD', u.password ? '********' : null, null, 'Password of the user'],
      ['DISABLED', flag(u.disabled), 'false', 'Whether the user is disabled'],
      ['DEFAULT_ROLE', u.defaultRole ?? null, null, 'Primary principal of user session will be set to this role'],
      ['EXT_AUTHN_DUO', 'false', 'false', 'Whether Duo Security is enabled as second factor authentication'],
      ['RSA_PUBLIC_KEY', fp ? '(public key)' : null, null, 'RSA public key of the user'],
      ['RSA_PUBLIC_KEY_FP', fp, null, 'Fingerprint of user\'s RSA public key.'],
      ['RSA_PUBLIC_KEY_2', u.rsaPublicKey2Fp ? '(public key)' : null, null, 'Second RSA public key of the user'],
      ['RSA_PUBLIC_KEY_2_FP', u.rsaPublicKey2Fp ?? null, null, 'Fingerprint of user\'s second RSA public key.'],
      ['PASSWORD_LAST_SET_TIME', u.password ? (u.passwordLastSet ?? u.createdOn) : null, null, 'The timestamp on which the last non-null password was set for the user. Default to null if no password has been set yet.'],
    ];
    // DESCRIBE writes an unset property as the text null.
    return { operation: 'DescribeUser', columns: DESCRIBE, rows: props.map(([p, v, d, desc]) => [p, v ?? 'null', d ?? 'null', desc]) };
  }

  /** @param {string} name @returns {Answer} */
  grantsToUser(name) {
    const u = this.user(name);
    if (!u) return compilationError(`User '${name}' does not exist or not authorized.`);
    return { operation: 'ShowGrantsToUser', columns: GRANTS_TO_USER, rows: (u.roles ?? []).map((role) => [ltz(u.createdOn), role, 'USER', u.name, 'SECURITYADMIN']) };
  }

  /** @param {string} name @returns {Answer} */
  grantsToRole(name) {
    const role = this.dataset.roles[name];
    if (!role) return compilationError(`Role '${name}' does not exist or not authorized.`);
    return {
      operation: 'ShowGrantsToRole',
      columns: GRANTS_TO_ROLE,
      rows: role.grants.map((g) => [ltz(role.createdOn), g.privilege, g.on, g.name, 'ROLE', name, flag(g.grantOption), 'SECURITYADMIN']),
    };
  }
}
