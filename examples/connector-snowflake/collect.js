// @ts-check
import { toRows } from './client.js';
import { customRoles, normalizeUser } from './normalize.js';

/** Snowflake quotes an identifier in double quotes, doubling any inside. @param {string} name */
const quoted = (name) => `"${name.replaceAll('"', '""')}"`;

/** @typedef {import('./normalize.js').Row} Row */

/**
 * Runs `work` over `items`, at most `limit` at a time, keeping their order.
 * @template T, R
 * @param {readonly T[]} items @param {number} limit @param {(item: T) => Promise<R>} work
 * @returns {Promise<R[]>}
 */
async function inPool(items, limit, work) {
  /** @type {R[]} */
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(/** @type {T} */ (items[index]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * One account: its users (SHOW USERS), each user's key fingerprints (DESCRIBE USER) and roles (SHOW GRANTS TO USER),
 * the grants of every custom role they reach (SHOW GRANTS TO ROLE), and the independent count of users.
 * @param {import('./client.js').SnowflakeClient} client
 * @param {import('nhi-audit/sdk').CollectContext} context
 * @returns {AsyncGenerator<import('nhi-audit/sdk').Identity>}
 */
export async function* collectAccount(client, context) {
  const account = client.config.account.toUpperCase();
  const scope = context.scope(account);
  const { signal } = context;
  scope.collector(`${account}.${client.config.user.toUpperCase()}`);

  const users = await client.query(scope, 'ShowUsers', 'SHOW USERS', signal);
  const details = await inPool(users.rows, client.config.concurrency, async (user) => {
    const name = String(user.name);
    const [describe, grants] = await Promise.all([
      client.query(scope, 'DescribeUser', `DESCRIBE USER ${quoted(name)}`, signal),
      client.query(scope, 'ShowGrantsToUser', `SHOW GRANTS TO USER ${quoted(name)}`, signal),
    ]);
    return { describe: describe.rows, grants: grants.rows };
  });

  /** @type {Map<string, import('./normalize.js').Row[]>} */
  const roleGrants = new Map();
  let pending = customRoles(details.flatMap((d) => d.grants), 'role');
  while (pending.length > 0) {
    const read = await inPool(pending, client.config.concurrency, (role) => client.query(scope, 'ShowGrantsToRole', `SHOW GRANTS TO ROLE ${quoted(role)}`, signal));
    pending.forEach((role, i) => roleGrants.set(role, read[i]?.rows ?? []));
    const inherited = read.flatMap((r) => r.rows).filter((row) => row.granted_on === 'ROLE' && row.privilege === 'USAGE');
    pending = customRoles(inherited, 'name').filter((role) => !roleGrants.has(role));
  }

  const counted = await client.query(scope, 'CountUsers', 'SELECT COUNT(*) AS USERS FROM SNOWFLAKE.ACCOUNT_USAGE.USERS WHERE DELETED_ON IS NULL', signal);
  scope.reconcile(
    'users (SNOWFLAKE.ACCOUNT_USAGE.USERS where DELETED_ON is null)',
    Number(counted.rows[0]?.users ?? -1),
    users.rows.length,
    'ACCOUNT_USAGE lags by up to two hours: a user created or dropped just before the run can differ',
  );

  for (const [i, user] of users.rows.entries()) {
    const detail = /** @type {{ describe: import('./normalize.js').Row[]; grants: import('./normalize.js').Row[] }} */ (details[i]);
    yield normalizeUser({ user, describe: detail.describe, grants: detail.grants, roleGrants }, { source: context.source, account, rawRef: users.refs[i] ?? '' });
  }
}

/**
 * The rows of each statement from its kept pages, in the order they were read: the first page of a statement holds
 * the row type, the following ones its further partitions.
 * @param {readonly import('nhi-audit/sdk').RawPage[]} pages
 * @returns {Map<string, { rows: Row[]; refs: string[] }>}
 */
function statementRows(pages) {
  /** @type {Map<string, { rowType: { name: string }[]; rows: Row[]; refs: string[] }>} */
  const results = new Map();
  for (const page of pages) {
    const statement = String(page.parameters.statement);
    const body = /** @type {{ resultSetMetaData?: { rowType: { name: string }[] }; data: (string | null)[][] }} */ (page.body);
    let result = results.get(statement);
    if (!result) {
      result = { rowType: body.resultSetMetaData?.rowType ?? [], rows: [], refs: [] };
      results.set(statement, result);
    }
    result.rows.push(...toRows(result.rowType, body.data));
    result.refs.push(...body.data.map(() => page.path));
  }
  return results;
}

/**
 * Maps a pack's kept pages to identities again, as the collection did, without a statement run.
 * @param {import('nhi-audit/sdk').RawPages} raw
 * @param {import('nhi-audit/sdk').FromRawContext} context
 */
export async function identitiesFromRaw(raw, context) {
  /** @type {import('nhi-audit/sdk').Identity[]} */
  const identities = [];
  for (const account of raw.scopes()) {
    const read = async (/** @type {string} */ operation) => statementRows(await raw.pages(account, operation));
    const users = (await read('ShowUsers')).get('SHOW USERS') ?? { rows: [], refs: [] };
    const [describes, userGrants, roles] = await Promise.all([read('DescribeUser'), read('ShowGrantsToUser'), read('ShowGrantsToRole')]);
    const roleGrants = new Map([...roles].map(([statement, result]) => [statement.replace(/^SHOW GRANTS TO ROLE "(.*)"$/, '$1').replaceAll('""', '"'), result.rows]));
    for (const [i, user] of users.rows.entries()) {
      const name = String(user.name);
      const describe = describes.get(`DESCRIBE USER ${quoted(name)}`)?.rows ?? [];
      const grants = userGrants.get(`SHOW GRANTS TO USER ${quoted(name)}`)?.rows ?? [];
      identities.push(normalizeUser({ user, describe, grants, roleGrants }, { source: context.source, account, rawRef: users.refs[i] ?? '' }));
    }
  }
  return identities;
}
