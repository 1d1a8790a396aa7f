import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { stableJsonChunks, stableStringify } from '../../src/stable-json.js';
import { csvChunks, toCsv } from '../../src/writers/csv.js';

/** Keys that sort before, between and after the streamed one, with values that hold newlines and quotes. */
const around = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
const items = fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 30 });

describe('streamed outputs give the bytes of the whole', () => {
  it('stableJsonChunks joined is stableStringify of the object with its array, plus a newline', () => {
    fc.assert(
      fc.property(around, fc.constantFrom('findings', 'identities', 'a', '~'), items, (value, key, list) => {
        const rest = Object.fromEntries(Object.entries(value).filter(([k]) => k !== key));
        const chunks = [...stableJsonChunks(rest, key, list)];
        expect(chunks.join('')).toBe(`${stableStringify({ ...rest, [key]: list }, 2)}\n`);
        // One piece per item (the outline rides on the first and last), never the whole population at once.
        expect(chunks.length).toBe(Math.max(list.length, 0) + 1);
      }),
    );
  });

  it('csvChunks joined is toCsv, in pieces of at most 2 000 rows, the header once', () => {
    const rows = Array.from({ length: 4500 }, (_, i) => [`id-${i}`, i % 7 === 0 ? '=cmd()' : `line\n${i}`, i]);
    const chunks = [...csvChunks(['id', 'text', 'n'], rows)];
    expect(chunks).toHaveLength(3);
    expect(chunks.join('')).toBe(toCsv(['id', 'text', 'n'], rows));
    expect(chunks.join('').match(/^id,text,n\r$/gm)).toHaveLength(1);
    expect([...csvChunks(['id'], [])].join('')).toBe('id\r\n');
  });

  it('toCsv writes what csv-stringify writes with the same rules (RFC 4180, CRLF, formulas escaped), byte for byte', () => {
    const cell = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', ' ', ',', '"', '\r', '\n', '=', '+', '-', '@', '\t', "'", '\uFF1D', '\uFF0D', 'é', '😀') }),
      fc.string(),
      fc.integer({ min: -1e6, max: 1e6 }),
      fc.double({ noNaN: true }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.array(cell, { maxLength: 7 }), { maxLength: 20 }), (width, rows) => {
        const columns = Array.from({ length: width }, (_, i) => `c${i}`);
        const expected = stringify(rows, { columns, header: true, record_delimiter: 'windows', quoted_match: /[\r\n]/, escape_formulas: true });
        expect(toCsv(columns, rows)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
