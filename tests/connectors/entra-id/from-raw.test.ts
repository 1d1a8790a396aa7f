import { describe, expect, it } from 'vitest';
import connector from '../../../connectors/entra-id/index.js';
import { OP } from '../../../connectors/entra-id/client.js';
import { collectFromRaw } from '../../../src/engine/from-raw.js';
import type { FaultSpec } from '../../../src/sdk/index.js';
import { collectFrom, DEMO, NOW, UNLICENSED } from './helpers.js';

/** Collects into a pack's raw/ folder from a sandbox, then re-reads that folder with no sandbox at all. */
async function collectThenReread(dataset: string, settings: Record<string, unknown>, faults: FaultSpec[] = []) {
  const collected = await collectFrom(dataset, settings, { faults });
  try {
    return { collected, reread: await collectFromRaw(connector, collected.packDir, collected.completeness, NOW) };
  } finally {
    await collected.remove();
  }
}

describe('entra-id: re-reading raw pages gives the identities the collection gave, field for field', () => {
  it('for the demo tenant', async () => {
    const { collected, reread } = await collectThenReread(DEMO, {});
    expect(collected.identities).toHaveLength(10);
    expect(reread.identities).toEqual(collected.identities);
    expect(reread.completeness).toEqual(collected.completeness);
  });

  it('for a tenant read in pages of one, its reports refused', async () => {
    const { collected, reread } = await collectThenReread(UNLICENSED, { pageSize: 1 });
    expect(collected.identities).toHaveLength(5);
    expect(reread.identities).toEqual(collected.identities);
  });

  it('where an owners listing and the role assignments failed: the same identities, privilege unknown rather than none', async () => {
    const faults: FaultSpec[] = [
      { connector: 'entra-id', operation: OP.applicationOwners, kind: '5xx' },
      { connector: 'entra-id', operation: OP.roleAssignments, kind: 'html' },
    ];
    const { collected, reread } = await collectThenReread(DEMO, {}, faults);
    expect(collected.completeness.verdict).toBe('incomplete');
    expect(collected.identities.find((i) => i.name === 'revenue-close-sync')).toMatchObject({ privilege: { level: 'unknown' } });
    expect(collected.identities.find((i) => i.name === 'close-incident-fix')?.owner).toBeUndefined();
    expect(reread.identities).toEqual(collected.identities);
  });

  it('where the service principal listing failed: nothing, on both sides', async () => {
    const { collected, reread } = await collectThenReread(DEMO, {}, [{ connector: 'entra-id', operation: OP.servicePrincipals, kind: 'empty-object' }]);
    expect(collected.identities).toEqual([]);
    expect(collected.completeness.scopes[0]?.errors.map((e) => e.operation)).toEqual([OP.servicePrincipals]);
    expect(reread.identities).toEqual([]);
  });
});
