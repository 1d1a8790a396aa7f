// @ts-check
import { customRoles, normalizeUser } from './normalize.js';

/** Snowflake quotes an identifier in double quotes, doubling any inside. @param {string} name */
const quoted = (name) => `"${name.replaceAll('"', '""')}"`;

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
