import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GlobIndex, matchesGlob } from '../../src/engine/glob.js';

describe('GlobIndex', () => {
  const rows = [
    { identity: 'aws-iam:1:user/etl-*', owner: 'a' },
    { identity: 'aws-iam:1:user/etl-loader', owner: 'b' },
    { identity: 'aws-iam:?:user/etl-loader', owner: 'c' },
    { identity: 'github:*', owner: 'd' },
  ];
  const index = new GlobIndex(rows, (r) => r.identity);

  it.each([
    ['aws-iam:1:user/etl-loader', 'a', [0, 1, 2]],
    ['aws-iam:2:user/etl-loader', 'c', [2]],
    ['github:corvid:app/x', 'd', [3]],
    ['gcp-iam:p:sa', undefined, []],
  ])('%s → first %s, all %j', (id, owner, all) => {
    expect(index.first(id)?.owner).toBe(owner);
    expect(index.matches(id)).toEqual(all);
  });

  it('agrees with a plain first-match scan for any rows and ids', () => {
    const segment = fc.constantFrom('a', 'b', 'ab', '*', '?', ':', '/');
    const key = fc.array(segment, { maxLength: 5 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.array(fc.option(key, { nil: undefined }), { maxLength: 8 }), fc.array(segment, { maxLength: 6 }).map((p) => p.join('').replaceAll('*', 'x').replaceAll('?', 'y')), (keys, id) => {
        const rows = keys.map((k, i) => ({ k, i }));
        const scan = rows.find((r) => r.k !== undefined && matchesGlob(r.k, id));
        const all = rows.filter((r) => r.k !== undefined && matchesGlob(r.k, id)).map((r) => r.i);
        const index = new GlobIndex(rows, (r) => r.k);
        expect(index.first(id)).toBe(scan);
        expect(index.matches(id)).toEqual(all);
      }),
    );
  });
});
