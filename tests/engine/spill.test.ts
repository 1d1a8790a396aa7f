import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keptWhere, SpillFolder, spilledOf, SpillWriter, type SpilledList } from '../../src/engine/spill.js';

interface Row {
  id: string;
  text: string;
}

function spilled(rows: readonly Row[]): SpilledList<Row> {
  const writer = new SpillWriter<Row>(new SpillFolder(), 'rows.jsonl');
  for (const row of rows) writer.write(row);
  return writer.finish(true);
}

const rows = (n: number, text = (i: number) => `row ${i}`): Row[] => Array.from({ length: n }, (_, i) => ({ id: String(i).padStart(6, '0'), text: text(i) }));

describe('SpilledList: records on disk, lent as a read-only array', () => {
  it('gives back every record as written, by index, in order and through array methods', () => {
    const written = rows(50);
    const array = spilled(written).asArray();
    expect(array.length).toBe(50);
    expect(array[0]).toEqual(written[0]);
    expect(array[49]).toEqual(written[49]);
    expect(array[50]).toBeUndefined();
    expect([...array]).toEqual(written);
    expect(array.slice(10, 13)).toEqual(written.slice(10, 13));
    expect(array.map((r) => r.id)).toEqual(written.map((r) => r.id));
    expect(array.filter((r) => r.id.endsWith('7')).length).toBe(5);
    expect(Array.isArray(array)).toBe(true);
    expect(JSON.stringify(array)).toBe(JSON.stringify(written));
    expect(3 in array).toBe(true);
    expect(50 in array).toBe(false);
  });

  it('refuses to be changed, so a change never silently vanishes with the decoded copy', () => {
    const array = spilled(rows(3)).asArray();
    expect(() => array.push({ id: 'x', text: '' })).toThrow(/read-only/);
    expect(() => array.sort()).toThrow(/read-only/);
    expect(() => {
      array[0] = { id: 'x', text: '' };
    }).toThrow(/read-only/);
  });

  it('reads records longer than its block, across block ends, and in characters of several bytes', () => {
    const written = rows(40, (i) => (i % 7 === 0 ? 'ü€𝄞'.repeat(150_000 + i) : `zeile ${i} — ü`));
    const list = spilled(written);
    expect([...list]).toEqual(written);
    // Out of order too: each read that falls outside the block kept is read again.
    for (const i of [39, 0, 21, 7, 8, 35]) expect(list.at(i)).toEqual(written[i]);
  });

  it('keeps the records a predicate accepts without decoding them into an array that holds them', () => {
    const array = spilled(rows(20)).asArray();
    const kept = keptWhere(array, (r) => Number(r.id) % 3 === 0);
    expect(spilledOf(kept)).toBeDefined();
    expect(kept.map((r) => r.id)).toEqual(['000000', '000003', '000006', '000009', '000012', '000015', '000018']);
    expect(spilledOf(kept)!.inIdOrder).toBe(true);
    const plain = rows(5);
    expect(keptWhere(plain, (r) => r.id === '000002')).toEqual([plain[2]]);
    expect(spilledOf(plain)).toBeUndefined();
  });

  it('is any list of JSON records, written and read back unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ id: fc.string(), text: fc.string({ unit: 'binary' }) }), { maxLength: 30 }), (records) => {
        expect([...spilled(records).asArray()]).toEqual(records);
      }),
      { numRuns: 50 },
    );
  });

  it('removes its folder when the process is interrupted, and still ends by the signal', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'spill-signal-'));
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../helpers/spill-child.ts', import.meta.url))], { env: { ...process.env, TMPDIR: tmp } });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => data.toString().includes('spilled') && resolve());
      child.once('exit', () => reject(new Error('the child ended before it spilled')));
    });
    expect((await readdir(tmp)).filter((f) => f.startsWith('nhi-audit-spill-'))).toHaveLength(1);
    const [, signal] = await Promise.all([child.kill('SIGTERM'), once(child, 'exit').then(([, s]) => s)]);
    expect(signal).toBe('SIGTERM');
    expect((await readdir(tmp)).filter((f) => f.startsWith('nhi-audit-spill-'))).toEqual([]);
  }, 30_000);

  it('removes the spill folders of processes that are gone, once a day old, when it spills', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'spill-abandoned-'));
    const gone = 2_147_483_646;
    const dayOld = new Date(Date.now() - 25 * 3_600_000);
    for (const name of [`nhi-audit-spill-${gone}-old`, `nhi-audit-spill-${gone}-new`, `nhi-audit-spill-${process.pid}-mine`, 'unrelated']) await mkdir(path.join(tmp, name));
    await utimes(path.join(tmp, `nhi-audit-spill-${gone}-old`), dayOld, dayOld);
    await utimes(path.join(tmp, `nhi-audit-spill-${process.pid}-mine`), dayOld, dayOld);
    const tmpdir = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const folder = new SpillFolder();
      new SpillWriter<Row>(folder, 'rows.jsonl').finish(true);
      const left = await readdir(tmp);
      expect(left).not.toContain(`nhi-audit-spill-${gone}-old`);
      expect(left).toEqual(expect.arrayContaining([`nhi-audit-spill-${gone}-new`, `nhi-audit-spill-${process.pid}-mine`, 'unrelated']));
      folder.remove();
    } finally {
      if (tmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpdir;
    }
  });

  it('removes its folder, and the files in it, when asked', async () => {
    const folder = new SpillFolder();
    const writer = new SpillWriter<Row>(folder, 'rows.jsonl');
    writer.write({ id: 'a', text: 'b' });
    writer.finish(true);
    const before = (await readdir(os.tmpdir())).filter((f) => f.startsWith('nhi-audit-spill-')).length;
    folder.remove();
    expect((await readdir(os.tmpdir())).filter((f) => f.startsWith('nhi-audit-spill-')).length).toBe(before - 1);
  });
});
