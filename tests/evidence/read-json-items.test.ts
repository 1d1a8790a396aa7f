import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ItemScanner } from '../../src/evidence/item-scanner.js';
import { forEachJsonItem, jsonItems, readJsonItems } from '../../src/evidence/read-pack.js';
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
          const walked: unknown[] = [];
          for await (const item of jsonItems(dir, file, 'findings', Item)) walked.push(item);
          expect(walked).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('gives what the file holds around the array, the array left empty, in any layout', async () => {
    await fc.assert(
      fc.asyncProperty(items, fc.dictionary(fc.constantFrom('asOf', 'summary', 'zzz', 'collection'), fc.jsonValue({ maxDepth: 2 })), async (list, around) => {
        await writeFile(path.join(dir, 'a-indented.json'), stableJsonChunks(around, 'findings', list));
        await writeFile(path.join(dir, 'a-line.json'), stableJsonChunks(around, 'findings', list, 'line'));
        await writeFile(path.join(dir, 'a-compact.json'), stableStringify({ ...around, findings: list }));
        for (const file of ['a-indented.json', 'a-line.json', 'a-compact.json']) {
          let seen = 0;
          const outside = await forEachJsonItem(dir, file, 'findings', Item, () => ((seen = 0), { item: () => void seen++ }), 'around');
          expect(outside).toEqual(JSON.parse(JSON.stringify({ ...around, findings: [] })));
          expect(seen).toBe(list.length);
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
      const walk = async () => {
        for await (const _item of jsonItems(dir, `${layout}-bad.json`, 'findings', Item));
      };
      await expect(walk()).rejects.toMatchObject({ problems: [{ path: 'findings[1].id' }] });
    }
  });

  // Read by the streaming tokenizer (no layout packs write): every reader names the file and says what is wrong.
  it.each([
    ['cut short', '{"asOf": "x", "findings": [{"id": "a"}', '', /cannot read it as JSON \(the file ends before its JSON does\); is .+ a sealed pack\?/],
    ['not JSON', '{"findings": [{"id": "a"}, nope]}', '', /cannot read it as JSON \(.+\); is .+ a sealed pack\?/],
    ['no array', '{"findings": {"id": "a"}}', 'findings', /expected an array/],
  ])('refuses a file %s, in every reader', async (name, text, at, message) => {
    const file = `tokenized-${name.replace(/ /g, '-')}.json`;
    await writeFile(path.join(dir, file), text);
    const walk = async () => {
      for await (const _item of jsonItems(dir, file, 'findings', Item));
    };
    for (const read of [() => readJsonItems(dir, file, 'findings', Item), walk, () => forEachJsonItem(dir, file, 'findings', Item, () => ({ item: () => undefined }))]) {
      const error = await read().catch((e: unknown) => e);
      expect(error).toMatchObject({ file: path.join(dir, file) });
      const [first] = (error as { problems: { path: string; message: string }[] }).problems;
      expect(first!.path).toBe(at);
      expect(first!.message).toMatch(message);
    }
  });

  it.runIf(existsSync('/proc/self/fd'))('a walk left early closes the file', async () => {
    await writeFile(path.join(dir, 'early.json'), JSON.stringify({ findings: Array.from({ length: 5_000 }, (_, i) => ({ id: `${i}` })) }));
    for await (const item of jsonItems(dir, 'early.json', 'findings', Item)) if (item.id === '3') break;
    // An open handle would keep the file listed among the process's open files.
    const open = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
    expect(open).not.toContain(path.join(dir, 'early.json'));
  });
});

/** Feeds `text` in pieces cut at `cuts`, as a stream would; the items' texts parsed, or false once the scanner gives up. */
function scan(text: string, cuts: number[], key = 'findings'): { items: unknown[]; done: boolean } | false {
  const items: unknown[] = [];
  const scanner = new ItemScanner(key, (item) => items.push(JSON.parse(item)));
  const at = [...new Set([0, ...cuts.map((c) => c % (text.length + 1)), text.length])].sort((a, b) => a - b);
  for (let i = 1; i < at.length; i++) if (!scanner.push(text.slice(at[i - 1], at[i]))) return false;
  return { items, done: scanner.done };
}

describe('ItemScanner cuts a pack file into its items wherever the stream splits it', () => {
  it('finds every item of either layout, whatever the pieces', () => {
    fc.assert(
      fc.property(items, fc.array(fc.nat(), { maxLength: 30 }), fc.constantFrom('indented' as const, 'line' as const), fc.jsonValue({ maxDepth: 2 }), (list, cuts, layout, before) => {
        const text = [...stableJsonChunks({ before, zzz: [{ findings: [1] }] }, 'findings', list, layout)].join('');
        expect(scan(text, cuts)).toEqual({ items: JSON.parse(JSON.stringify(list)), done: true });
      }),
      { numRuns: 300 },
    );
  });

  it('gives up on a layout packs do not write, so the file is read another way', () => {
    expect(scan(stableStringify({ findings: [{ id: 'a' }] }, 2).replace(/\n/g, '\r\n'), [])).not.toEqual({ items: [{ id: 'a' }], done: true });
    expect(scan('{\n  "findings": [\n    {"id":"a"},\n  {"id":"b"}\n  ]\n}\n', [])).toBe(false);
    expect(scan('{\n  "findings": [\n    {\n      "id": "a"\n    }x\n  ]\n}\n', [])).toBe(false);
    expect(scan('{\n  "other": []\n}\n', [3])).toEqual({ items: [], done: false });
  });

  it('reads an empty list, and a list opened on a key nested deeper is not the list', () => {
    expect(scan('{\n  "a": {\n    "findings": [\n      1\n    ]\n  },\n  "findings": []\n}\n', [5, 17])).toEqual({ items: [], done: true });
  });
});
