import { validate as validateGraphql } from '@octokit/graphql-schema';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, REPOSITORY_INVENTORY } from '../../../connectors/github/operations.js';
import { startSandbox, type SandboxCall } from '../../../connectors/github/sandbox/index.js';
import { DatasetSchema, loadDataset, type Dataset } from '../../../connectors/github/sandbox/dataset.js';
import { appKeys, collect, DEMO_DIR, doctor, FIXTURE_NOW, loadFixture } from './harness.js';
import { ResponseValidator } from './openapi.js';

const validator = new ResponseValidator();
const keys = appKeys();
const TOKEN = 'ghp_schemaToken000000000000000000000000001';
const calls: SandboxCall[] = [];

/** Runs the connector over a dataset as an App and with a token (faults on), and keeps every call. */
async function exercise(dataset: Dataset, installation: { appId: number; installationId: number }, appOnly = false) {
  const org = dataset.org.login;
  const sandbox = await startSandbox({
    dataset,
    now: FIXTURE_NOW,
    tokens: [{ token: TOKEN, login: 'octo-admin' }],
    app: { ...installation, publicKey: keys.publicKey },
    faults: [
      { connector: 'github', operation: 'orgs/list-webhooks', kind: 'throttle', times: 1 },
      { connector: 'github', operation: 'actions/list-org-secrets', kind: '5xx', times: 1 },
    ],
    refusals: [
      { operation: 'orgs/list-app-installations', type: 'secondary-rate-limit', times: 1 },
      { operation: 'orgs/get', type: 'primary-rate-limit', times: 1 },
    ],
  });
  try {
    await collect({ org, baseUrl: sandbox.baseUrl, app: { ...installation, privateKeyEnv: 'KEY' } }, { KEY: keys.pem });
    if (!appOnly) {
      await doctor({ org, baseUrl: sandbox.baseUrl, app: { ...installation, privateKeyEnv: 'KEY' } }, { KEY: keys.pem });
      await collect({ org, baseUrl: sandbox.baseUrl, tokenEnv: 'TOKEN' }, { TOKEN });
      await collect({ org: 'no-such-org', baseUrl: sandbox.baseUrl, tokenEnv: 'TOKEN' }, { TOKEN });
      await collect({ org, baseUrl: sandbox.baseUrl, tokenEnv: 'TOKEN' }, { TOKEN: 'ghp_wrong' });
    }
    calls.push(...sandbox.calls);
  } finally {
    await sandbox.close();
  }
}

/** A repository with more environments than the inventory query lists, so they are read with REST. */
const manyEnvironments = DatasetSchema.parse({
  org: { login: 'env-org', id: 8101, name: 'Env Org', created_at: '2020-01-01T00:00:00Z' },
  repositories: [
    {
      id: 1,
      name: 'deployments',
      created_at: '2020-01-01T00:00:00Z',
      environments: Array.from({ length: 101 }, (_, index) => ({
        id: 10 + index,
        name: `env-${index}`,
        created_at: '2021-01-01T00:00:00Z',
        updated_at: '2021-01-01T00:00:00Z',
        secrets: [{ name: 'DEPLOY_KEY', created_at: '2021-01-01T00:00:00Z', updated_at: '2021-01-01T00:00:00Z' }],
      })),
    },
  ],
});

beforeAll(async () => {
  const demo = await loadDataset(DEMO_DIR);
  const collector = demo.installations.find((installation) => installation.id === demo.collector_installation_id)!;
  await exercise(await loadFixture(), { appId: 301, installationId: 9001 });
  await exercise(demo, { appId: collector.app_id, installationId: collector.id });
  await exercise(manyEnvironments, { appId: 1, installationId: 1 }, true);
}, 120_000);

describe('the sandbox speaks GitHub as GitHub publishes it', () => {
  it('calls only operations of the OpenAPI description, with their method, path and list shape', () => {
    for (const operation of Object.values(OPERATIONS)) {
      const spec = validator.operation(operation.id);
      expect(spec, operation.id).toBeDefined();
      expect(`${spec!.method} ${spec!.path}`).toBe(operation.route);
      if ('items' in operation) {
        const listKey = spec!.successSchema?.type === 'array' ? null : Object.keys(spec!.successSchema?.properties ?? {}).find((key) => key !== 'total_count');
        expect(listKey, operation.id).toBe(operation.items);
      }
    }
  });

  it('answers every REST call with a body valid against its operation and status', () => {
    const rest = calls.filter((call) => call.operation !== REPOSITORY_INVENTORY.id);
    const statuses = new Set(rest.map((call) => call.status));
    expect([...statuses].sort()).toEqual([200, 201, 401, 403, 404, 429, 503]);
    const problems = rest
      .filter((call) => call.operation !== undefined)
      .map((call) => ({ call: `${call.method} ${call.path} → ${call.status}`, errors: validator.validate(call.operation!, call.status, call.body) }))
      .filter((result) => result.errors.length > 0);
    expect(problems).toEqual([]);
    expect(new Set(rest.map((call) => call.operation))).toEqual(new Set(Object.values(OPERATIONS).map((operation) => operation.id)));
  });

  it('reads environments past the 100 the inventory query lists with REST, following its Link header', () => {
    const environmentPages = calls.filter((call) => call.operation === 'repos/get-all-environments' && call.status === 200);
    expect(environmentPages.map((call) => new URL(call.path, 'http://sandbox').searchParams.get('page'))).toEqual([null, '2']);
    const secretReads = calls.filter((call) => call.operation === 'actions/list-environment-secrets' && call.path.includes('/repos/env-org/'));
    expect(new Set(secretReads.map((call) => call.path.split('/')[5])).size).toBe(101);
  });

  it('has a validator that rejects a body drifting from the schema', () => {
    expect(validator.validate('repos/list-deploy-keys', 200, [{ id: 'one', read_only: 'no' }])).not.toEqual([]);
    expect(validator.validate('orgs/list-pat-grants', 200, [{ token_expires_at: null }]).join()).toMatch(/token_id/);
  });

  it('sends a GraphQL query that GitHub’s schema accepts', () => {
    expect(validateGraphql(REPOSITORY_INVENTORY.query).map((error) => error.message)).toEqual([]);
    expect(calls.filter((call) => call.operation === REPOSITORY_INVENTORY.id && call.status === 200).length).toBeGreaterThan(0);
  });
});
