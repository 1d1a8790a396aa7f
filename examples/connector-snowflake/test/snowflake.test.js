// @ts-check
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectorProblems, runConnector } from 'nhi-audit/sdk';
import connector from '../index.js';
import { loadSnowflakeDataset, startSnowflakeSandbox } from '../sandbox/index.js';

const now = new Date('2026-11-20T00:00:00Z');
const pem = (/** @type {import('node:crypto').KeyObject} */ key) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('snowflake connector against its SQL API sandbox', () => {
  const auditor = generateKeyPairSync('rsa', { modulusLength: 2048 });
  /** @type {Awaited<ReturnType<typeof startSnowflakeSandbox>>} */
  let sandbox;
  /** @param {string} privateKey */
  const run = (privateKey = pem(auditor.privateKey)) =>
    runConnector(
      connector,
      { account: 'ACME-PROD', baseUrl: sandbox.url, user: 'AUDITOR', privateKeyEnv: 'SNOWFLAKE_KEY', retry: { baseDelayMs: 1, maxDelayMs: 5 } },
      { now, env: { SNOWFLAKE_KEY: privateKey } },
    );

  before(async () => {
    const dataset = await loadSnowflakeDataset(path.join(import.meta.dirname, 'dataset.json'));
    sandbox = await startSnowflakeSandbox({ dataset, now, keys: new Map([['AUDITOR', auditor.publicKey]]), partitionRows: 2 });
  });
  after(() => sandbox.close());

  it('is a connector nhi-audit can load, built for SDK 1', () => {
    assert.deepEqual(connectorProblems(connector), []);
    assert.equal(connector.sdkVersion, 1);
  });

  it('reads every user across partitions and reconciles them with ACCOUNT_USAGE', async () => {
    const { identities, scopes, problems } = await run();
    assert.deepEqual(problems, []);
    assert.deepEqual(identities.map((i) => i.nativeId), ['AUDITOR', 'JDOE', 'SVC_ADMIN_JOB', 'SVC_BI', 'SVC_GRANTS']);
    const [scope] = scopes;
    assert.deepEqual(scope?.reconciliations.map((r) => [r.expected, r.observed, r.matches]), [[5, 5, true]]);
    assert.equal(scope?.pages.filter((p) => p.operation === 'ShowUsers').length, 3, 'five users in partitions of two');
    assert.equal(scope?.collector, 'ACME-PROD.AUDITOR');
  });

  it('judges ACCOUNTADMIN admin, SECURITYADMIN through a role hierarchy an escalation, and keeps both key slots', async () => {
    const byName = new Map((await run()).identities.map((i) => [i.nativeId, i]));
    const admin = byName.get('SVC_ADMIN_JOB');
    assert.equal(admin?.privilege.level, 'admin');
    assert.deepEqual(admin?.credentials.map((c) => [c.id, c.fingerprint]), [['RSA_PUBLIC_KEY', 'SHA256:AAAA'], ['RSA_PUBLIC_KEY_2', 'SHA256:BBBB']]);
    assert.equal(admin?.lastUsed, 'never');
    const grants = byName.get('SVC_GRANTS');
    assert.equal(grants?.classification.value, 'machine', 'TYPE unset, key pair and no password');
    assert.deepEqual(grants?.privilege.flags, ['credential-creation', 'iam-write', 'privilege-escalation']);
    assert.match(grants?.privilege.grants[0]?.evidence.join('\n') ?? '', /inherits DEPLOY: inherits SECURITYADMIN/);
    assert.equal(byName.get('JDOE')?.classification.value, 'human');
    assert.equal(byName.get('JDOE')?.privilege.level, 'write', 'SYSADMIN');
  });

  it('reports a legacy service user that still signs in with a password', async () => {
    const bi = (await run()).identities.find((i) => i.nativeId === 'SVC_BI');
    assert.deepEqual(bi?.interactiveLogin, { enabled: true, mfa: false, lastUsed: { at: '2026-11-19T12:00:00.000Z' }, method: 'Snowflake password sign-in' });
    assert.deepEqual(bi?.credentials.map((c) => [c.id, c.rotatedAt]), [['PASSWORD', '2023-01-15T00:00:00.000Z']]);
  });

  it('re-reads its kept pages into the same identities, with no statement run', async () => {
    const { identities, scopes } = await run();
    const statements = sandbox.statements.length;
    /** @type {import('nhi-audit/sdk').RawPages} */
    const raw = {
      scopes: () => scopes.map((s) => s.scope),
      pages: async (scope, operation) =>
        (scopes.find((s) => s.scope === scope)?.pages ?? [])
          .map((p, i) => ({ ...p, page: i + 1, path: `raw/test/${scope}/${p.operation}-${i}` }))
          .filter((p) => p.operation === operation),
    };
    const again = await connector.fromRaw?.(raw, { source: 'test', now });
    assert.deepEqual(again?.map(({ rawRef: _ref, ...rest }) => rest), identities.map(({ rawRef: _ref, ...rest }) => rest));
    assert.equal(sandbox.statements.length, statements);
  });

  it('is refused with a key the account does not hold for the user', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { identities, problems } = await run(pem(stranger.privateKey));
    assert.equal(identities.length, 0);
    assert.match(problems.join('\n'), /ShowUsers: HTTP 401 390144: JWT token is invalid/);
  });

  it('retries a server error, and never passes off a partition that lost its rows', async () => {
    sandbox.faults.set([{ connector: 'snowflake', operation: '*', kind: '5xx', times: 1 }]);
    assert.equal((await run()).identities.length, 5);
    sandbox.faults.set([{ connector: 'snowflake', operation: 'ShowUsers', kind: 'empty-page-more' }]);
    const cut = await run();
    sandbox.faults.set([]);
    assert.equal(cut.identities.length, 0);
    assert.match(cut.problems.join('\n'), /ShowUsers: the response is not what the operation returns: partition 0 holds 0 rows, but partitionInfo announced 2/);
    sandbox.faults.set([{ connector: 'snowflake', operation: 'DescribeUser', kind: 'truncate' }]);
    const truncated = await run();
    sandbox.faults.set([]);
    assert.match(truncated.problems.join('\n'), /^DescribeUser: the response is not what the operation returns: the body is not JSON/);
  });
});
