import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector from '../../../connectors/github/index.js';
import { startDemo, startSandbox, type GitHubSandbox } from '../../../connectors/github/sandbox/index.js';
import { collectSource } from '../../../src/engine/collect.js';
import { collectFromRaw } from '../../../src/engine/from-raw.js';
import { FaultPlan, silentLogger } from '../../../src/sdk/index.js';
import { appKeys, DEMO_DIR, FAST_RETRY, FIXTURE_DIR, FIXTURE_NOW, largeOrganization, loadFixture } from './harness.js';

const keys = appKeys();
const TOKEN = 'ghp_rereadToken00000000000000000000000001';
const APP = { appId: 301, installationId: 9001, privateKeyEnv: 'GH_APP_KEY' };

/** Collects into a temporary pack, then re-reads that pack's raw pages with no API call. */
async function collectThenReread(settings: Record<string, unknown>, env: Record<string, string>, now = FIXTURE_NOW) {
  const pack = await mkdtemp(path.join(os.tmpdir(), 'nhi-github-reread-'));
  try {
    const collected = await collectSource(connector, { name: 'gh', connector: 'github', retry: FAST_RETRY, ...settings }, {
      now,
      log: silentLogger,
      env,
      baseDir: FIXTURE_DIR,
      rawDir: path.join(pack, 'raw'),
    });
    const reread = await collectFromRaw(connector, pack, collected.completeness, now);
    return { collected, reread };
  } finally {
    await rm(pack, { recursive: true, force: true });
  }
}

describe('github: re-reading raw pages of the demo organization', () => {
  it('gives the identities the collection gave, field for field, rawRef included', async () => {
    const sandbox = await startDemo(DEMO_DIR, { now: FIXTURE_NOW });
    try {
      const { collected, reread } = await collectThenReread({ org: 'corvid-systems', ...sandbox.sourceOverrides }, sandbox.env);
      expect(collected.completeness.verdict).toBe('complete');
      expect(collected.identities.length).toBeGreaterThan(30);
      expect(new Set(collected.identities.map((identity) => identity.kind))).toEqual(
        new Set(['app', 'deploy-key', 'token', 'ci-secret', 'api-key', 'service-account']),
      );
      expect(reread.identities).toEqual(collected.identities);
      expect(reread.completeness).toEqual(collected.completeness);
    } finally {
      await sandbox.close();
    }
  });
});

describe('github: re-reading raw pages of the basic dataset', () => {
  let sandbox: GitHubSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      dataset: await loadFixture(),
      now: FIXTURE_NOW,
      tokens: [{ token: TOKEN, login: 'octo-admin' }],
      app: { appId: APP.appId, installationId: APP.installationId, publicKey: keys.publicKey },
    });
  });
  afterAll(() => sandbox?.close());

  it('gives the identities an App installation collected, field for field', async () => {
    const { collected, reread } = await collectThenReread({ org: 'octo-fixture', baseUrl: sandbox.baseUrl, app: APP }, { GH_APP_KEY: keys.pem });
    expect(collected.completeness.verdict).toBe('complete');
    expect(collected.identities).toHaveLength(23);
    expect(reread.identities).toEqual(collected.identities);
  });

  it('keeps exactly the identities a token collected when some kinds were unreadable', async () => {
    const { collected, reread } = await collectThenReread({ org: 'octo-fixture', baseUrl: sandbox.baseUrl, tokenEnv: 'GH_TOKEN' }, { GH_TOKEN: TOKEN });
    expect(collected.completeness.scopes[0]!.unreadable.map((entry) => entry.kind)).toEqual(['pat-grants']);
    expect(collected.identities.some((identity) => identity.id.includes(':token/'))).toBe(false);
    expect(collected.identities.length).toBeGreaterThan(15);
    expect(reread.identities).toEqual(collected.identities);
    expect(reread.completeness).toEqual(collected.completeness);
  });

  it('maps owners with the owner property the collection was configured with, which the pack keeps', async () => {
    const { collected, reread } = await collectThenReread(
      { org: 'octo-fixture', baseUrl: sandbox.baseUrl, app: APP, kinds: ['deploy-keys'], ownerProperty: 'data-class' },
      { GH_APP_KEY: keys.pem },
    );
    const owners = collected.identities.map((identity) => identity.owner?.source);
    expect(owners).toContain('property:data-class');
    expect(reread.identities).toEqual(collected.identities);
  });

  it('re-reads only the configured kinds, as they were collected', async () => {
    const { collected, reread } = await collectThenReread(
      { org: 'octo-fixture', baseUrl: sandbox.baseUrl, app: APP, kinds: ['app-installations', 'webhooks'] },
      { GH_APP_KEY: keys.pem },
    );
    expect(new Set(collected.identities.map((identity) => identity.kind))).toEqual(new Set(['app', 'api-key']));
    expect(reread.identities).toEqual(collected.identities);
  });
});

/** A server error on every request for the second page of one operation's listings, and only there. */
class SecondPageFails extends FaultPlan {
  constructor(operation: string) {
    super('github', [{ connector: 'github', operation, kind: '5xx' }]);
  }

  override take(operation: string, key: string) {
    return key.includes(' page=2 ') ? super.take(operation, key) : undefined;
  }
}

describe('github: re-reading a list that failed after its first page', () => {
  it('keeps the items of the pages read before the failure, in the collection and in the re-read', async () => {
    // 150 deploy keys in one repository: two pages of 100, the second failing every time.
    const dataset = largeOrganization(1, 0);
    dataset.repositories[0]!.deploy_keys = Array.from({ length: 150 }, (_, index) => ({
      id: 600_000 + index,
      title: `key-${index}`,
      key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPageKey',
      read_only: true,
      verified: true,
      created_at: '2025-01-01T00:00:00Z',
    }));
    const sandbox = await startSandbox({ dataset, now: FIXTURE_NOW, tokens: [{ token: TOKEN, login: 'auditor' }], faults: new SecondPageFails('repos/list-deploy-keys') });
    try {
      const { collected, reread } = await collectThenReread(
        { org: 'big-org', baseUrl: sandbox.baseUrl, tokenEnv: 'GH_TOKEN', kinds: ['deploy-keys'] },
        { GH_TOKEN: TOKEN },
      );
      expect(collected.completeness.verdict).toBe('incomplete');
      expect(collected.completeness.scopes[0]!.errors).toEqual([expect.objectContaining({ operation: 'repos/list-deploy-keys', code: 'HttpError' })]);
      expect(collected.identities).toHaveLength(100);
      expect(reread.identities).toEqual(collected.identities);
    } finally {
      await sandbox.close();
    }
  });
});
