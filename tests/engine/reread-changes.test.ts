import { describe, expect, it } from 'vitest';
import { rereadChanges } from '../../src/engine/from-raw.js';
import type { Identity } from '../../src/sdk/index.js';
import { anIdentity } from '../helpers/identity-builder.js';

const named = (...names: string[]) => names.map((name) => anIdentity({ name }));
/** The sealed inventory handed over in batches of `size`, counting the walks made over it. */
function sealedIn(identities: Identity[], size: number) {
  const walks = { count: 0 };
  const read = async function* () {
    walks.count++;
    for (let start = 0; start < identities.length; start += size) yield identities.slice(start, start + size);
  };
  return { read, walks };
}

describe('rereadChanges', () => {
  it.each([
    { case: 'the same', again: ['a', 'b', 'c'], sealed: ['a', 'b', 'c'], added: [], removed: [] },
    { case: 'new at each end and between', again: ['0', 'a', 'ab', 'b', 'z'], sealed: ['a', 'b'], added: ['0', 'ab', 'z'], removed: [] },
    { case: 'gone at each end and between', again: ['b'], sealed: ['a', 'b', 'c', 'd'], added: [], removed: ['a', 'c', 'd'] },
    { case: 'nothing re-read', again: [], sealed: ['a', 'b'], added: [], removed: ['a', 'b'] },
    { case: 'nothing sealed', again: ['a'], sealed: [], added: ['a'], removed: [] },
  ])('$case: new and gone ids, whatever the batch size', async ({ again, sealed, added, removed }) => {
    for (const size of [1, 2, 500]) {
      const changes = await rereadChanges(named(...again).reverse(), sealedIn(named(...sealed), size).read);
      expect(changes).toEqual({ changed: [], added: added.map((n) => anIdentity({ name: n }).id), removed: removed.map((n) => anIdentity({ name: n }).id) });
    }
  });

  it('names an identity normalized differently, and not one that only enrichment changed', async () => {
    const sealed = [anIdentity({ name: 'a', status: 'disabled' }), anIdentity({ name: 'b', owner: { id: 'team-x', source: 'tag:owner', status: 'active' } })];
    const again = [anIdentity({ name: 'a' }), anIdentity({ name: 'b' })];
    const changes = await rereadChanges(again, sealedIn(sealed, 1).read);
    expect(changes).toEqual({ changed: [sealed[0]!.id], added: [], removed: [] });
  });

  it('reads a sealed inventory out of id order again whole, and gives the same answer', async () => {
    const sealed = sealedIn(named('c', 'a', 'd'), 1);
    const changes = await rereadChanges(named('a', 'b', 'c'), sealed.read);
    expect(changes).toEqual({ changed: [], added: [anIdentity({ name: 'b' }).id], removed: [anIdentity({ name: 'd' }).id] });
    expect(sealed.walks.count).toBe(2);
  });
});
