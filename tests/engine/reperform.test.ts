import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compareLists } from '../../src/engine/reperform.js';
import { stableStringify } from '../../src/stable-json.js';

type Item = { id: string; v: number };
const item = (id: string, v = 1): Item => ({ id, v });
const sealed = [item('a'), item('b'), item('c'), item('d')];
const digest = (list: Item[]) => createHash('sha256').update(stableStringify(list)).digest('hex');

describe('compareLists: the re-performed list against the sealed one, an item at a time', () => {
  it.each([
    ['the same list', sealed, []],
    ['one item changed', [item('a'), item('b', 2), item('c'), item('d')], ['b']],
    ['one item missing', [item('a'), item('c'), item('d')], ['b']],
    ['one item extra', [item('a'), item('b'), item('bb'), item('c'), item('d')], ['bb']],
    ['the last item missing', sealed.slice(0, 3), ['d']],
    ['two items swapped, both the same', [item('a'), item('c'), item('b'), item('d')], []],
    ['empty', [], ['a', 'b', 'c', 'd']],
  ] as const)('%s', (_case, again, differing) => {
    const result = compareLists(sealed, again, (i) => i.id);
    expect(result.differing).toEqual(differing);
    expect(result.count).toBe(again.length);
    // The digests are those of the whole list's canonical text, so equal digests mean byte-identical lists.
    expect(result.sealedDigest).toBe(digest(sealed));
    expect(result.againDigest).toBe(digest([...again]));
  });
});
