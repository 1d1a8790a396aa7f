import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import connector from '../../../connectors/gitlab/index.js';
import { startDemo } from '../../../connectors/gitlab/sandbox/index.js';
import { collectSource } from '../../../src/engine/collect.js';
import { collectFromRaw } from '../../../src/engine/from-raw.js';
import { silentLogger, type FaultSpec } from '../../../src/sdk/index.js';
import { DEMO_DIR, FAST_RETRY, FIXTURE_DIR, FIXTURE_NOW } from './harness.js';

/** Collects the demo group into a temporary pack, then re-reads that pack's raw pages with no API call. */
async function collectThenReread(faults: FaultSpec[] = []) {
  const sandbox = await startDemo(DEMO_DIR, { now: FIXTURE_NOW, faults });
  const pack = await mkdtemp(path.join(os.tmpdir(), 'nhi-gitlab-reread-'));
  try {
    const settings = { name: 'gl', connector: 'gitlab', groups: ['corvid-finance'], admin: true, retry: FAST_RETRY, ...sandbox.sourceOverrides };
    const collected = await collectSource(connector, settings, { now: FIXTURE_NOW, log: silentLogger, env: sandbox.env, baseDir: FIXTURE_DIR, rawDir: path.join(pack, 'raw') });
    const reread = await collectFromRaw(connector, pack, collected.completeness, FIXTURE_NOW);
    return { collected, reread };
  } finally {
    await sandbox.close();
    await rm(pack, { recursive: true, force: true });
  }
}

describe('gitlab: re-reading raw pages', () => {
  it('gives the identities the demo collection gave, field for field, rawRef included, in both scopes', async () => {
    const { collected, reread } = await collectThenReread();
    expect(collected.completeness.verdict).toBe('complete');
    expect(new Set(collected.identities.map((identity) => identity.scope))).toEqual(new Set(['corvid-finance', 'instance']));
    expect(new Set(collected.identities.map((identity) => identity.kind))).toEqual(new Set(['token', 'deploy-key', 'ci-secret', 'service-account']));
    expect(reread.identities).toEqual(collected.identities);
    expect(reread.completeness).toEqual(collected.completeness);
  });

  it('re-reads exactly what a collection kept when a kind failed partway', async () => {
    const { collected, reread } = await collectThenReread([{ connector: 'gitlab', operation: 'projects/triggers', kind: '5xx' }]);
    expect(collected.completeness.verdict).toBe('incomplete');
    expect(collected.identities.some((identity) => identity.id.includes(':trigger-token/'))).toBe(false);
    expect(reread.identities).toEqual(collected.identities);
  });
});
