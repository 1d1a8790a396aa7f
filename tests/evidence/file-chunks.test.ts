import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileChunks, fileLines, fileText } from '../../src/evidence/file-chunks.js';

describe('a file read in pieces into one buffer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-chunks-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives the text whole, a character split between two reads kept whole', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), fc.integer({ min: 1, max: 9 }), async (text, size) => {
        const file = path.join(dir, `t${n++}.txt`);
        await writeFile(file, text, 'utf8');
        const pieces: string[] = [];
        for await (const piece of fileText(file, size)) pieces.push(piece);
        expect(pieces.join('')).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the bytes in order; a piece kept past the next read is overwritten, so readers copy what they keep', async () => {
    const file = path.join(dir, 'bytes.bin');
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    await writeFile(file, bytes);
    const copies: Buffer[] = [];
    const views: Uint8Array[] = [];
    for await (const piece of fileChunks(file, 64)) {
      copies.push(Buffer.from(piece));
      views.push(piece);
    }
    expect(Buffer.concat(copies)).toEqual(bytes);
    expect(copies).toHaveLength(Math.ceil(1000 / 64));
    expect(Buffer.from(views[0]!)).not.toEqual(copies[0]);
  });

  it('gives the lines, however they fall across reads: CRLF, empty lines, a lone CR and characters split included', async () => {
    let n = 0;
    const text = fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('\n', '\r\n', '\r', '\n\n', 'é\n', '€')), { maxLength: 12 }).map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.integer({ min: 1, max: 9 }), async (content, size) => {
        const file = path.join(dir, `l${n++}.txt`);
        await writeFile(file, content, 'utf8');
        const lines: string[] = [];
        for await (const line of fileLines(file, size)) lines.push(line);
        // A line ends at a newline, a carriage return before it dropped; a last line needs none.
        const expected = content.split(/\r?\n/);
        if (expected.at(-1) === '') expected.pop();
        expect(lines).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
