import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { stableJsonChunks, stableJsonChunksWithin, stableStringify } from '../../src/stable-json.js';
import type { Finding } from '../../src/sdk/index.js';
import { csvChunks, toCsv } from '../../src/writers/csv.js';
import { inventoryJson, locateIdentities } from '../../src/writers/json.js';
import junit, { junitStreamed } from '../../src/writers/junit.js';
import sarif from '../../src/writers/sarif.js';
import codequality from '../../src/writers/codequality.js';
import { sortResultSet } from '../../src/writers/sorted.js';
import { isListed, summarize } from '../../src/writers/summary.js';
import type { ResultSet } from '../../src/writers/types.js';
import { aResultSet } from '../helpers/result-set-builder.js';

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

  it('stableJsonChunksWithin joined is stableStringify of the outline around its items, plus a newline, wherever the array sits', () => {
    fc.assert(
      fc.property(around, fc.constantFrom(0, 1, 2, 3), items, (value, depth, list) => {
        // The array `depth` levels down, in a list and beside other keys at each level.
        const outline = (inner: unknown[]): unknown => {
          let nested: unknown = inner;
          for (let level = 0; level < depth; level++) nested = level % 2 === 0 ? { ...value, '~list': nested } : [nested, value];
          return { ...value, '~list': nested };
        };
        const chunks = [...stableJsonChunksWithin(outline, list)];
        expect(chunks.join('')).toBe(`${stableStringify(outline(list), 2)}\n`);
        expect(chunks.length).toBe(list.length + 1);
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

/** A run's results as it holds them (the listed findings and the summary of all), and every finding in canonical order. */
function asARunHoldsThem(results: ResultSet): { held: ResultSet; every: Finding[] } {
  const sorted = sortResultSet(results);
  return { held: { ...sorted, findings: sorted.findings.filter(isListed), summary: summarize(sorted) }, every: sorted.findings };
}

async function streamedJunit(held: ResultSet, findings: Finding[]): Promise<string> {
  async function* each() {
    yield* findings;
  }
  let text = '';
  for await (const piece of junitStreamed(held, each())) text += piece;
  return text;
}

describe('JUnit streamed from a run\'s findings', () => {
  it('gives the bytes the writer renders from every finding held: every status, a waiver, hostile text, a control with none, an incomplete source', async () => {
    const results = aResultSet();
    const { held, every } = asARunHoldsThem(results);
    expect(new Set(every.map((f) => f.status))).toEqual(new Set(['pass', 'fail', 'excepted', 'not-applicable']));
    expect(results.controls.some((c) => !every.some((f) => f.controlId === c.id))).toBe(true);
    expect(await streamedJunit(held, every)).toBe(junit.render(results));
  });

  it('gives the same bytes when a control has more testcases than are built at once', async () => {
    const base = aResultSet();
    const [first] = sortResultSet(base).findings;
    const { credentialId: _credential, ...identityLevel } = first!;
    const many = Array.from({ length: 2500 }, (_, i): Finding => ({ ...identityLevel, identityId: `aws-iam:prod:user/svc-${String(i).padStart(5, '0')}`, status: i % 3 === 0 ? 'fail' : 'pass' }));
    const results = { ...base, findings: [...base.findings, ...many] };
    const { held, every } = asARunHoldsThem(results);
    expect(await streamedJunit(held, every)).toBe(junit.render(results));
  });

  it('refuses findings that are out of control order, or more or fewer than the summary counts', async () => {
    const { held, every } = asARunHoldsThem(aResultSet());
    await expect(streamedJunit(held, [...every].reverse())).rejects.toThrow(/where the summary counts/);
    await expect(streamedJunit(held, every.slice(1))).rejects.toThrow(/./);
    await expect(streamedJunit(held, [...every, every.at(-1)!])).rejects.toThrow(/more findings than the summary counts/);
    await expect(streamedJunit(held, every.slice(0, -1))).rejects.toThrow(/fewer findings than the summary counts/);
  });
});

describe('SARIF written a result at a time', () => {
  it('is the whole log as stable JSON, pointing into the pack, at the config, or nowhere, with results and with none', () => {
    const results = aResultSet();
    const none = { ...results, findings: results.findings.filter((f) => f.status === 'pass') };
    for (const set of [results, none]) {
      for (const options of [{ pack: 'evidence/2026-Q4/run' }, { config: 'nhi-audit.yaml' }, {}]) {
        const chunks = [...sarif.chunks!(set, options)];
        const text = chunks.join('');
        const log = JSON.parse(text) as { runs: { results: unknown[] }[] };
        expect(text).toBe(`${stableStringify(log, 2)}\n`);
        expect(log.runs[0]!.results).toHaveLength(set.findings.filter((f) => f.status === 'fail' || f.status === 'excepted').length);
        expect(chunks.length).toBe(log.runs[0]!.results.length + 1);
      }
    }
    expect(new Set(sortResultSet(results).findings.map((f) => f.status))).toContain('fail');
  });

  it('GitLab Code Quality likewise: the whole report as stable JSON, an issue a piece, or [] with none', () => {
    const results = aResultSet();
    for (const set of [results, { ...results, findings: [] }]) {
      for (const options of [{ pack: 'evidence/2026-Q4/run' }, { config: 'nhi-audit.yaml' }]) {
        const chunks = [...codequality.chunks!(set, options)];
        const issues = JSON.parse(chunks.join('')) as { location: { lines: { begin: number } } }[];
        expect(chunks.join('')).toBe(`${stableStringify(issues, 2)}\n`);
        expect(issues).toHaveLength(set.findings.filter((f) => f.status === 'fail').length);
        expect(chunks.length).toBe(issues.length + 1);
        if ('pack' in options && issues.length > 0) expect(issues.some((i) => i.location.lines.begin > 1)).toBe(true);
      }
    }
  });

  it('finds each identity in inventory.json from its pieces as from the whole text', () => {
    const results = aResultSet();
    const pieces = [...inventoryJson.chunks!(results)];
    const whole = pieces.join('');
    expect(locateIdentities(pieces)).toEqual(locateIdentities(whole));
    // Cut anywhere, even inside a line.
    const cut = whole.match(/[\s\S]{1,7}/g)!;
    expect(locateIdentities(cut)).toEqual(locateIdentities(whole));
    expect(locateIdentities(whole).size).toBe(results.identities.length);
  });
});
