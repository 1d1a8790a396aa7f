// @ts-check
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectorProblems, runConnector } from 'nhi-audit/sdk';
import connector from '../index.js';
import { loadDataset, startSandbox } from '../sandbox/index.js';

const now = new Date('2026-11-20T00:00:00Z');
const token = 'test-token-not-a-secret';

describe('__CONNECTOR_ID__ against its sandbox', () => {
  /** @type {Awaited<ReturnType<typeof startSandbox>>} */
  let sandbox;
  /** @param {Record<string, unknown>} [extra] */
  const run = (extra = {}) =>
    runConnector(connector, { baseUrl: sandbox.url, tokenEnv: 'API_TOKEN', pageSize: 2, retry: { baseDelayMs: 1 }, ...extra }, { now, env: { API_TOKEN: token } });

  before(async () => {
    sandbox = await startSandbox({ dataset: await loadDataset(path.join(import.meta.dirname, '../sandbox/dataset.json')), token });
  });
  after(() => sandbox.close());

  it('is a connector nhi-audit can load', () => {
    assert.deepEqual(connectorProblems(connector), []);
  });

  it('reads every service account across pages, reconciled with the API count', async () => {
    const result = await run();
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.identities.map((i) => i.id), ['__CONNECTOR_ID__:default:sa-1001', '__CONNECTOR_ID__:default:sa-1002', '__CONNECTOR_ID__:default:sa-1003']);
    const admin = result.identities.find((i) => i.name === 'provisioning-bot');
    assert.equal(admin?.privilege.level, 'admin');
    assert.equal(admin?.credentials[0]?.lastUsed, 'never');
    assert.deepEqual(result.scopes[0]?.reconciliations.map((r) => r.matches), [true]);
    assert.equal(result.scopes[0]?.pages.filter((p) => p.operation === 'ListServiceAccounts').length, 2);
  });

  it('retries a server error and still reads everything', async () => {
    sandbox.faults.set([{ connector: '__CONNECTOR_ID__', operation: '*', kind: '5xx', times: 1 }]);
    try {
      const result = await run();
      assert.deepEqual(result.problems, []);
      assert.equal(result.identities.length, 3);
    } finally {
      sandbox.faults.set([]);
    }
  });

  it('stops a listing whose cursor repeats instead of passing off a partial population', async () => {
    sandbox.faults.set([{ connector: '__CONNECTOR_ID__', operation: 'ListServiceAccounts', kind: 'repeat-cursor' }]);
    try {
      const result = await run();
      assert.match(result.problems.join('\n'), /ListServiceAccounts: page 2 leads back to a page already read/);
    } finally {
      sandbox.faults.set([]);
    }
  });
});
