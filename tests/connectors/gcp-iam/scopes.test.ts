import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcpIamConfigSchema } from '../../../connectors/gcp-iam/config.js';
import connector from '../../../connectors/gcp-iam/index.js';
import { startDemo } from '../../../connectors/gcp-iam/sandbox/index.js';
import { collectSource, type SourceResult } from '../../../src/engine/collect.js';
import { silentLogger, type DemoSandbox, type Identity } from '../../../src/sdk/index.js';
import { unrecordedContext } from '../../helpers/collect-context.js';
import { DEMO } from './helpers.js';

const ORG = 'organizations/418303000001';
const NOW = new Date('2026-11-20T00:00:00Z');

/** A sharded collection (issue 12, point 7): GCP plans a scope per project; the organization is read by every shard. */
describe('gcp-iam listScopes and onlyScopes', () => {
  let demo: DemoSandbox;
  const settings = () => ({ name: 'gcp', connector: 'gcp-iam', organization: ORG, assetInventory: { scope: ORG }, ...demo.sourceOverrides });
  const collect = async (onlyScopes?: string[]): Promise<SourceResult & { organizationPages: string }> => {
    const rawDir = await mkdtemp(path.join(os.tmpdir(), 'nhi-gcp-scopes-'));
    try {
      const result = await collectSource(connector, settings(), { now: NOW, log: silentLogger, env: demo.env, baseDir: DEMO, rawDir, ...(onlyScopes ? { onlyScopes } : {}) });
      const folder = path.join(rawDir, 'gcp', 'organizations_418303000001');
      const files = (await readdir(folder)).sort();
      const organizationPages = (await Promise.all(files.map((f) => readFile(path.join(folder, f), 'utf8')))).join('\n');
      return { ...result, organizationPages };
    } finally {
      await rm(rawDir, { recursive: true, force: true });
    }
  };

  beforeAll(async () => {
    demo = await startDemo(DEMO, { now: NOW });
  });
  afterAll(() => demo.close());

  it('lists the projects found under the organization, and shares the organization', async () => {
    const { name: _name, connector: _id, ...fields } = settings();
    const context = unrecordedContext({ source: 'gcp', env: demo.env, baseDir: DEMO, now: NOW });
    const client = await connector.connect(GcpIamConfigSchema.parse(fields), context);
    const listed = await connector.listScopes!(client, context);
    expect({ ...listed, scopes: [...listed!.scopes].sort() }).toEqual({ scopes: ['corvid-analytics', 'corvid-finance-prod'], shared: [ORG] });
  });

  it('reads only the projects a shard is given; two shards read the same identities as one collection, and the same organization pages', async () => {
    const whole = await collect();
    const finance = await collect(['corvid-finance-prod']);
    const analytics = await collect(['corvid-analytics']);
    expect(finance.completeness.scopes.map((s) => s.scope).filter((s) => s !== ORG)).toEqual(['corvid-finance-prod']);
    expect(analytics.completeness.scopes.map((s) => s.scope).filter((s) => s !== ORG)).toEqual(['corvid-analytics']);
    expect([whole, finance, analytics].map((r) => r.completeness.verdict)).toEqual(['complete', 'complete', 'complete']);
    expect(finance.organizationPages).toBe(analytics.organizationPages);
    const sorted = (identities: Identity[]) => JSON.stringify([...identities].sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(whole.identities.length).toBe(11);
    expect(sorted([...finance.identities, ...analytics.identities])).toBe(sorted(whole.identities));
  });
});
