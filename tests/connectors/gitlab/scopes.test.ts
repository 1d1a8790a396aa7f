import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitLabConfigSchema } from '../../../connectors/gitlab/config.js';
import connector from '../../../connectors/gitlab/index.js';
import { loadDataset } from '../../../connectors/gitlab/sandbox/dataset.js';
import type { GitLabSandbox } from '../../../connectors/gitlab/sandbox/index.js';
import { collectSource } from '../../../src/engine/collect.js';
import { silentLogger } from '../../../src/sdk/index.js';
import { unrecordedContext } from '../../helpers/collect-context.js';
import { DEMO_DIR, FAST_RETRY, FIXTURE_NOW, sandboxOver, TOKEN } from './harness.js';

/** A sharded collection (issue 12, point 7): GitLab plans a scope per group, and the instance for an administrator. */
describe('gitlab listScopes and onlyScopes', () => {
  let sandbox: GitLabSandbox;
  const settings = () => ({ name: 'gl', connector: 'gitlab', host: sandbox.host, tokenEnv: 'GITLAB_TOKEN', retry: FAST_RETRY, groups: ['corvid-finance'], admin: true });
  const collect = async (onlyScopes?: string[]) => {
    const rawDir = await mkdtemp(path.join(tmpdir(), 'nhi-gitlab-scopes-'));
    try {
      return await collectSource(connector, settings(), {
        now: FIXTURE_NOW,
        env: { GITLAB_TOKEN: TOKEN },
        baseDir: DEMO_DIR,
        rawDir,
        log: silentLogger,
        ...(onlyScopes ? { onlyScopes } : {}),
      });
    } finally {
      await rm(rawDir, { recursive: true, force: true });
    }
  };

  beforeAll(async () => {
    const dataset = await loadDataset(DEMO_DIR);
    sandbox = await sandboxOver({ ...dataset, collector: { ...dataset.collector, is_admin: true } });
  });
  afterAll(() => sandbox.close());

  it('lists each configured group, then the instance, without reading a page', async () => {
    const { name: _name, connector: _id, ...fields } = settings();
    const context = unrecordedContext({ source: 'gl', env: { GITLAB_TOKEN: TOKEN }, baseDir: DEMO_DIR, now: FIXTURE_NOW });
    const client = await connector.connect(GitLabConfigSchema.parse(fields), context);
    expect(await connector.listScopes!(client, context)).toEqual({ scopes: ['corvid-finance', 'instance'] });
  });

  it('reads only the scopes a shard is given, and two shards together read what one collection reads', async () => {
    const whole = await collect();
    const group = await collect(['corvid-finance']);
    const instance = await collect(['instance']);
    expect(group.completeness.scopes.map((s) => s.scope)).toEqual(['corvid-finance']);
    expect(instance.completeness.scopes.map((s) => s.scope)).toEqual(['instance']);
    expect(instance.identities.length).toBeGreaterThan(0);
    expect(group.identities.length).toBeGreaterThan(0);
    const ids = (identities: { id: string }[]) => identities.map((i) => i.id).sort();
    expect(ids([...group.identities, ...instance.identities])).toEqual(ids(whole.identities));
    expect(whole.completeness.verdict).toBe('complete');
    expect([group.completeness.verdict, instance.completeness.verdict]).toEqual(['complete', 'complete']);
  });
});
