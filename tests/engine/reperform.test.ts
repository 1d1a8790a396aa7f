import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareLists, jsonEqual, ListComparison } from '../../src/engine/reperform.js';
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

describe('compareLists over lists longer than one block of text', () => {
  // Items of about 600 characters: 1 000 of them are several of the 64 KiB blocks the digests are taken in.
  const long = (id: string, v = 1) => ({ id, v, note: `${id} `.repeat(100) });
  const sealedLong = Array.from({ length: 1_000 }, (_, i) => long(`i${String(i).padStart(4, '0')}`));
  const listDigest = (list: unknown[]) => createHash('sha256').update(stableStringify(list)).digest('hex');

  it.each([
    ['the same', sealedLong, []],
    ['parting past the first blocks', sealedLong.map((item, i) => (i === 700 ? long(item.id, 2) : item)), ['i0700']],
    ['parting at the first item', sealedLong.map((item, i) => (i === 0 ? long(item.id, 2) : item)), ['i0000']],
    ['shorter by the last item', sealedLong.slice(0, -1), ['i0999']],
  ] as const)('%s: each digest is its whole list\'s', (_case, again, differing) => {
    const result = compareLists(sealedLong, again, (i) => i.id);
    expect(result.differing).toEqual(differing);
    expect(result.sealedDigest).toBe(listDigest(sealedLong));
    expect(result.againDigest).toBe(listDigest([...again]));
  });
});

describe('compareLists given the sealed list\'s digest, taken as it was read', () => {
  const list: fc.Arbitrary<Item[]> = fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e'), v: fc.integer({ min: 0, max: 2 }) }), { maxLength: 8 });

  it('gives what comparing item by item gives, for lists the same and lists that differ', () => {
    fc.assert(
      fc.property(list, list, fc.boolean(), (sealed, other, same) => {
        // The same values in another key order are the same JSON: the shortcut must give the same digest for them.
        const again = same ? sealed.map((i) => ({ v: i.v, id: i.id })) : other;
        expect(compareLists(sealed, again, (i) => i.id, digest(sealed))).toEqual(compareLists(sealed, again, (i) => i.id));
      }),
      { numRuns: 500 },
    );
  });

  it('takes the digest as given when every item is the same JSON, and works both out anew when one differs', () => {
    const taken = 'f'.repeat(64);
    expect(compareLists(sealed, sealed.map((i) => ({ ...i })), (i) => i.id, taken)).toEqual({ count: 4, sealedDigest: taken, againDigest: taken, differing: [] });
    const changed = compareLists(sealed, [item('a'), item('b', 2), item('c'), item('d')], (i) => i.id, taken);
    expect(changed).toMatchObject({ sealedDigest: digest(sealed), differing: ['b'] });
  });
});

describe('ListComparison: sealed items fed as the text they were sealed in', () => {
  const list: fc.Arbitrary<Item[]> = fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e'), v: fc.integer({ min: 0, max: 2 }) }), { maxLength: 8 });

  it('gives what comparing the values gives, reading only the items that differ', () => {
    fc.assert(
      fc.property(list, list, fc.boolean(), (sealed, again, reordered) => {
        const comparison = new ListComparison(again, (i: Item) => i.id);
        let reads = 0;
        for (const item of sealed) {
          // A pack written by another writer may hold the same JSON in another key order: never taken as the same text.
          const text = reordered ? JSON.stringify({ v: item.v, id: item.id }) : stableStringify(item);
          comparison.text(text, () => (reads++, JSON.parse(text) as Item));
        }
        const result = comparison.finish();
        expect(result).toEqual(compareLists(sealed, again, (i) => i.id));
        // One hash stands for both lists until they part: the digests are still each list's own.
        expect(result.sealedDigest).toBe(digest(sealed));
        expect(result.againDigest).toBe(digest(again));
        const same = sealed.filter((item, i) => !reordered && i < again.length && stableStringify(item) === stableStringify(again[i])).length;
        expect(reads).toBe(sealed.length - same);
      }),
      { numRuns: 500 },
    );
  });
});

describe('jsonEqual: the shortcut compareLists takes for items that came out as sealed', () => {
  const reorder = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(reorder) : value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reorder(v)])) : value;

  it('answers true only for values whose canonical texts are the same', () => {
    const values = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.anything({ maxDepth: 3, withDate: true, withNullPrototype: true, withSparseArray: true }));
    fc.assert(
      fc.property(values, values, (a, b) => {
        if (jsonEqual(a, b)) expect(stableStringify(a)).toBe(stableStringify(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('answers true for the same JSON built in another key order, as a pack read back is', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expect(jsonEqual(JSON.parse(JSON.stringify(value)), reorder(value))).toBe(true);
      }),
    );
  });

  it.each([
    ['an undefined member and an absent one', { a: 1, b: undefined }, { a: 1 }, true],
    ['different values', { a: 1 }, { a: 2 }, false],
    ['an extra member', { a: 1 }, { a: 1, b: null }, false],
    ['a date and its text (left to the texts)', { at: new Date(0) }, { at: '1970-01-01T00:00:00.000Z' }, false],
    ['-0 and 0 (left to the texts)', -0, 0, true],
    ['NaN and NaN (left to the texts)', Number.NaN, Number.NaN, false],
  ])('%s', (_name, a, b, expected) => {
    expect(jsonEqual(a, b)).toBe(expected);
  });
});
