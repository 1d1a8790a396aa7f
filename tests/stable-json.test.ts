import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stableStringify } from '../src/stable-json.js';

const indents = fc.constantFrom(undefined, 0, 2, 4);

/** Every object's keys in the text, depth first, as JSON.parse enumerates them. */
function keyLists(value: unknown, lists: string[][] = []): string[][] {
  if (Array.isArray(value)) value.forEach((item) => keyLists(item, lists));
  else if (value !== null && typeof value === 'object') {
    lists.push(Object.keys(value));
    Object.values(value).forEach((child) => keyLists(child, lists));
  }
  return lists;
}

/** stableStringify as first written: every object copied with its keys sorted, then JSON.stringify. */
function referenceStringify(value: unknown, indent?: number): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
      const sorted = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(v).sort()) if ((v as Record<string, unknown>)[key] !== undefined) sorted[key] = sortKeys((v as Record<string, unknown>)[key]);
      return sorted;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value), null, indent);
}

/** Values as controls and connectors build them: keys in any order, undefined members, dates, integer-like keys, a toJSON member. */
const built: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 1 }),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.constant(() => 'a function'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.constantFrom('a', 'b', 'ab', 'B', '1', '10', '9', '__proto__', 'é', 'toJSON'), tie('value')), { maxLength: 5 }).map((entries) => {
      const object: Record<string, unknown> = {};
      for (const [key, child] of entries) Object.defineProperty(object, key, { value: child, enumerable: true, writable: true, configurable: true });
      return object;
    }),
  ),
})).value;

describe('stableStringify', () => {
  it('is the JSON of the same value, laid out as JSON.stringify lays it out', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), indents, (value, indent) => {
        const text = stableStringify(value, indent);
        const parsed = JSON.parse(text) as unknown;
        expect(parsed).toEqual(JSON.parse(JSON.stringify(value)));
        expect(text).toBe(JSON.stringify(parsed, null, indent));
      }),
    );
  });

  it('writes what copying every object with sorted keys writes, for values built in any order', () => {
    fc.assert(
      fc.property(built, indents, (value, indent) => {
        expect(stableStringify(value, indent)).toBe(referenceStringify(value, indent));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders keys by code point whatever the insertion order (array indexes first, as every pack so far holds them)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 8 }), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        const text = stableStringify(reversed, 2);
        expect(text).toBe(stableStringify(record, 2));
        for (const keys of keyLists(JSON.parse(text))) {
          const named = keys.filter((key) => !/^(?:0|[1-9]\d*)$/.test(key));
          expect(named).toEqual([...named].sort());
        }
      }),
    );
  });

  it('gives the same text for a value built in key order and the same value built in any other order', () => {
    const reorder = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(reorder) : value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reorder(v)])) : value;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = stableStringify(value);
        expect(stableStringify(reorder(value))).toBe(text);
        expect(stableStringify(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it('drops undefined members, writes null for them in arrays, and dates as JSON.stringify does', () => {
    const at = new Date('2026-11-30T00:00:00Z');
    expect(stableStringify({ b: undefined, a: [undefined, at], c: { d: undefined } })).toBe('{"a":[null,"2026-11-30T00:00:00.000Z"],"c":{}}');
    expect(stableStringify(undefined)).toBe(JSON.stringify(undefined));
    expect(stableStringify(JSON.parse('{"z":1,"__proto__":{"a":2}}'))).toBe('{"__proto__":{"a":2},"z":1}');
  });
});
