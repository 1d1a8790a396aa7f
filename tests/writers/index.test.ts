import { describe, expect, it } from 'vitest';
import { exceptionsCsv, inventoryCsv } from '../../src/writers/csv.js';
import { OUTPUT_FORMATS, packWriters, writers } from '../../src/writers/index.js';
import { inventoryJson } from '../../src/writers/json.js';
import type { Writer } from '../../src/writers/types.js';
import { aResultSet, reordered } from '../helpers/result-set-builder.js';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const everyWriter: Writer[] = [...Object.values(writers), inventoryJson, inventoryCsv, exceptionsCsv];

describe('writer registry', () => {
  it('maps the --format names, sorted, each to the writer with that id', () => {
    expect(OUTPUT_FORMATS).toEqual(['codequality', 'csv', 'json', 'junit', 'md', 'oscal', 'sarif', 'table']);
    for (const format of OUTPUT_FORMATS) expect(writers[format].id).toBe(format);
  });

  it('lists the pack files of DESIGN §6 once each, sorted by file name', () => {
    const names = packWriters.map((w) => w.fileName);
    expect(names).toEqual(['assessment-results.json', 'exceptions.csv', 'findings.csv', 'findings.json', 'inventory.csv', 'inventory.json', 'summary.md']);
  });
});

describe.each(everyWriter.map((w) => [w.fileName, w] as const))('%s', (_name, writer) => {
  it('gives the same bytes for the same input, without touching it', () => {
    const input = deepFreeze(aResultSet());
    expect(writer.render(input)).toBe(writer.render(aResultSet()));
  });

  it('gives the same bytes whatever order the input comes in', () => {
    expect(writer.render(reordered(aResultSet()))).toBe(writer.render(aResultSet()));
  });

  it('renders an empty run', () => {
    const empty = aResultSet({ identities: [], findings: [], sources: [], waivers: [], controls: [] });
    expect(writer.render(empty).length).toBeGreaterThan(0);
  });
});
