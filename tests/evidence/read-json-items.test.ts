import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonItems } from '../../src/evidence/read-pack.js';
import { stableJsonChunks, stableStringify } from '../../src/stable-json.js';

const Item = z.object({ id: z.string(), note: z.string().optional(), nested: z.unknown().optional() });
const items = fc.array(
  fc.record({ id: fc.string(), note: fc.string(), nested: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: ['id'] }),
  { maxLength: 12 },
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-read-items-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readJsonItems reads a pack file in any layout', () => {
  it('gives the same items from the indented layout, the one-line layout and any other JSON', async () => {
    await fc.assert(
      fc.asyncProperty(items, async (list) => {
        const around = { asOf: '2026-11-30T00:00:00.000Z', zzz: { last: true } };
        await writeFile(path.join(dir, 'indented.json'), stableJsonChunks(around, 'findings', list));
        await writeFile(path.join(dir, 'line.json'), stableJsonChunks(around, 'findings', list, 'line'));
        await writeFile(path.join(dir, 'compact.json'), stableStringify({ ...around, findings: list }));
        const expected = list.map((item) => Item.parse(JSON.parse(JSON.stringify(item))));
        for (const file of ['indented.json', 'line.json', 'compact.json']) {
          expect(await readJsonItems(dir, file, 'findings', Item)).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('writes each item of the one-line layout on a line of its own', () => {
    const text = [...stableJsonChunks({ a: 1 }, 'findings', [{ id: 'x', note: 'two\nlines' }, { id: 'y' }], 'line')].join('');
    expect(text).toBe('{\n  "a": 1,\n  "findings": [\n    {"id":"x","note":"two\\nlines"},\n    {"id":"y"}\n  ]\n}\n');
  });

  it('names the item and field of an invalid item, in either layout', async () => {
    for (const layout of ['indented', 'line'] as const) {
      await writeFile(path.join(dir, `${layout}-bad.json`), stableJsonChunks({}, 'findings', [{ id: 'ok' }, { id: 7 }], layout));
      await expect(readJsonItems(dir, `${layout}-bad.json`, 'findings', Item)).rejects.toMatchObject({ problems: [{ path: 'findings[1].id' }] });
    }
  });
});
