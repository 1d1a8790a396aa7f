import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stableJsonChunksOnThread } from '../../src/evidence/items-thread.js';
import { stableJsonChunks } from '../../src/stable-json.js';

async function joined(pieces: AsyncIterable<string | Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const piece of pieces) parts.push(typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.from(piece));
  return Buffer.concat(parts).toString('utf8');
}

/** Objects built with their keys out of order, some undefined, a `__proto__` key and characters past the BMP. */
const item = fc
  .record({ id: fc.string({ unit: 'binary', maxLength: 12 }), z: fc.option(fc.integer(), { nil: undefined }), a: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), m: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) })
  .map(({ id, z, a, m }) => ({ z, m, id, a, ...JSON.parse('{"__proto__": {"x": 1}}') }) as Record<string, unknown>);

describe('a stable JSON list rendered on a thread', () => {
  it('gives the bytes stableJsonChunks gives, in batches of any size, an empty list included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(item, { maxLength: 25 }), fc.integer({ min: 1, max: 7 }), async (items, batch) => {
        const around = { tool: { name: 'nhi-audit' }, asOf: '2026-11-20T00:00:00.000Z' };
        const here = [...stableJsonChunks(around, 'identities', items)].join('');
        expect(await joined(stableJsonChunksOnThread(around, 'identities', items, { from: 0, batch, cores: 2 }))).toBe(here);
      }),
      { numRuns: 12 },
    );
  }, 120_000);

  it('renders a short list, or on one core, here, without a thread', async () => {
    const items = [{ b: 1, a: 2 }];
    const pieces: Array<string | Uint8Array> = [];
    for await (const piece of stableJsonChunksOnThread({}, 'items', items, { cores: 1, from: 0 })) pieces.push(piece);
    expect(pieces.every((p) => typeof p === 'string')).toBe(true);
    expect(pieces.join('')).toBe([...stableJsonChunks({}, 'items', items)].join(''));
  });

  it("raises an item that is not JSON, and stops the thread", async () => {
    const items = [{ big: 10n }];
    await expect(joined(stableJsonChunksOnThread({}, 'items', items, { from: 0, cores: 2 }))).rejects.toThrow(/BigInt/);
  });
});
