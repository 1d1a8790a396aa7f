import path from 'node:path';
import { describe, expect, it } from 'vitest';
import connector from '../../../connectors/gcp-iam/index.js';
import type { Denial } from '../../../connectors/gcp-iam/sandbox/index.js';
import { parseFaultSpec, type FaultSpec } from '../../../src/sdk/index.js';
import type { SourceResult } from '../../../src/engine/collect.js';
import { collectFromRaw } from '../../../src/engine/from-raw.js';
import { byId, collectFrom, DEMO, removeRun, sandboxOn, TWO_PROJECTS } from './helpers.js';

const NOW = new Date('2026-11-20T00:00:00Z');
const DEMO_ORG = 'organizations/418303000001';
const A = 'alpha-prod-1';
const B = 'beta-data-2';
const sa = (project: string, name: string) => `gcp-iam:${project}:${name}@${project}.iam.gserviceaccount.com`;

/** Collects into a pack's raw/ folder from a fresh sandbox, then re-reads that folder with no sandbox at all. */
async function collectThenReread(
  dataset: string,
  settings: Record<string, unknown>,
  conditions: { denials?: Denial[]; faults?: FaultSpec[] } = {},
): Promise<{ collected: SourceResult; reread: SourceResult; statuses: (operation: string, resource: string) => number[] }> {
  const sandbox = await sandboxOn(dataset, conditions);
  const run = await collectFrom(sandbox, sandbox.token, settings, NOW);
  await sandbox.close();
  try {
    const reread = await collectFromRaw(connector, run.packDir, run.completeness, NOW);
    const statuses = (operation: string, resource: string) =>
      sandbox.calls.filter((c) => c.operation === operation && c.resource === resource).map((c) => c.status);
    return { collected: run, reread, statuses };
  } finally {
    await removeRun(run);
  }
}

describe('gcp-iam: re-reading raw pages gives the identities the collection gave, field for field', () => {
  it('for the demo organization read project by project', async () => {
    const { collected, reread } = await collectThenReread(path.join(DEMO, 'dataset.json'), { organization: DEMO_ORG });
    expect(collected.completeness.verdict).toBe('unreconciled');
    expect(collected.identities).toHaveLength(11);
    expect(reread.identities).toEqual(collected.identities);
    expect(reread.completeness).toEqual(collected.completeness);
  });

  it('for the demo organization read through Cloud Asset Inventory, creation dates included', async () => {
    const { collected, reread } = await collectThenReread(path.join(DEMO, 'dataset.json'), {
      organization: DEMO_ORG,
      assetInventory: { scope: DEMO_ORG },
      pageSize: { assets: 5 },
    });
    expect(collected.completeness.verdict).toBe('complete');
    expect(collected.identities).toHaveLength(11);
    expect(collected.identities.filter((i) => i.createdAt !== null).length).toBeGreaterThan(5);
    expect(reread.identities).toEqual(collected.identities);
  });

  it('for two projects read in small pages, one with Policy Analyzer disabled', async () => {
    const { collected, reread } = await collectThenReread(TWO_PROJECTS, { projects: [A, B], pageSize: { serviceAccounts: 2, activities: 1 } });
    expect(collected.identities).toHaveLength(7);
    expect(reread.identities).toEqual(collected.identities);
    // Denied analyzer queries kept no page: last use stays unknown, not never.
    expect(byId(reread.identities, sa(B, 'etl')).lastUsed).toBe('unknown');
    expect(byId(reread.identities, sa(A, 'key-never')).credentials[0]!.lastUsed).toBe('never');
  });
});

describe('gcp-iam: re-reading an incomplete collection keeps exactly what was collected', () => {
  it('a project whose account listing was denied stays empty', async () => {
    const { collected, reread } = await collectThenReread(TWO_PROJECTS, { projects: [A, B] }, {
      denials: [{ operation: 'iam.projects.serviceAccounts.list', resource: B }],
    });
    expect(collected.completeness.verdict).toBe('incomplete');
    expect(collected.identities).toHaveLength(5);
    expect(reread.identities).toEqual(collected.identities);
    expect(reread.completeness.verdict).toBe('incomplete');
  });

  it('a project whose account listing was denied partway gives no identity from the pages it kept', async () => {
    const { collected, reread, statuses } = await collectThenReread(TWO_PROJECTS, { projects: [A, B], pageSize: { serviceAccounts: 2 } }, {
      denials: [{ operation: 'iam.projects.serviceAccounts.list', resource: A, after: 1 }],
    });
    expect(statuses('iam.projects.serviceAccounts.list', A)).toEqual([200, 403]);
    expect(collected.identities.map((i) => i.scope)).toEqual([B, B]);
    expect(reread.identities).toEqual(collected.identities);
  });

  it('an analyzer query denied partway leaves last use unknown, as the collection did', async () => {
    // The account activity query's first page passes and its second is denied; the key query is untouched.
    const { collected, reread, statuses } = await collectThenReread(TWO_PROJECTS, { projects: [A], pageSize: { activities: 1 } }, {
      denials: [{ operation: 'policyanalyzer.activities.query', resource: A, pathIncludes: 'serviceAccountLastAuthentication', after: 1 }],
    });
    expect(statuses('policyanalyzer.activities.query', A)).toContain(403);
    const runner = byId(collected.identities, sa(A, 'app-runner'));
    expect(runner.lastUsed).toBe('unknown');
    expect(runner.credentials[0]!.lastUsed).toEqual({ at: '2026-11-18T08:00:00.000Z' });
    expect(reread.identities).toEqual(collected.identities);
  });

  it('a folder policy and a custom role denied leave the same unknown grants, naming what could not be read', async () => {
    const { collected, reread } = await collectThenReread(TWO_PROJECTS, { projects: [A, B] }, {
      denials: [
        { operation: 'cloudresourcemanager.folders.getIamPolicy' },
        { operation: 'iam.organizations.roles.get' },
      ],
    });
    const runner = byId(collected.identities, sa(A, 'app-runner'));
    expect(runner.privilege.grants).toContainEqual(expect.objectContaining({ ref: 'folders/620000000001', level: 'unknown' }));
    expect(reread.identities).toEqual(collected.identities);
  });

  it('an ancestry that failed leaves the same unknown grant', async () => {
    const { collected, reread } = await collectThenReread(TWO_PROJECTS, { projects: [A, B], retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }, {
      faults: [parseFaultSpec('gcp-iam:cloudresourcemanager.projects.getAncestry:5xx')],
    });
    expect(collected.completeness.verdict).toBe('incomplete');
    expect(new Set(collected.identities.map((i) => i.privilege.level))).toEqual(new Set(['unknown', 'admin']));
    expect(reread.identities).toEqual(collected.identities);
  });

  it('an inventory search denied partway gives no creation date from the results it kept', async () => {
    const { collected, reread, statuses } = await collectThenReread(
      path.join(DEMO, 'dataset.json'),
      { organization: DEMO_ORG, assetInventory: { scope: DEMO_ORG }, pageSize: { assets: 5 } },
      { denials: [{ operation: 'cloudasset.searchAllResources', after: 1 }] },
    );
    expect(statuses('cloudasset.searchAllResources', DEMO_ORG)).toEqual([200, 403]);
    expect(collected.completeness.verdict).toBe('incomplete');
    expect(collected.identities).toHaveLength(11);
    expect(collected.identities.every((i) => i.createdAt === null)).toBe(true);
    expect(reread.identities).toEqual(collected.identities);
  });
});

describe('gcp-iam: re-reading a collection that met faults keeps exactly what it kept', () => {
  const settings = {
    organization: DEMO_ORG,
    assetInventory: { scope: DEMO_ORG },
    pageSize: { serviceAccounts: 2, activities: 2, assets: 5, projects: 1 },
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
  };
  it.each([
    // Retried, or followed through extra empty pages: the collection is whole.
    'gcp-iam:*:throttle:1',
    'gcp-iam:*:empty-page-more:1',
    // Stopped partway: a listing that led back to records already read, or to its own page.
    'gcp-iam:policyanalyzer.activities.query:self-link:1',
    'gcp-iam:iam.projects.serviceAccounts.list:repeat-cursor',
    'gcp-iam:cloudasset.searchAllResources:self-link',
    'gcp-iam:iam.projects.serviceAccounts.keys.list:truncate',
  ])('%s', async (spec) => {
    const { collected, reread } = await collectThenReread(path.join(DEMO, 'dataset.json'), settings, { faults: [parseFaultSpec(spec)] });
    expect(reread.identities).toEqual(collected.identities);
  });
});
