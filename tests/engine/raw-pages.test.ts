import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRawPages } from '../../src/engine/from-raw.js';

const page = (operation: string, n: number, body: unknown, scope = '111111111111') => ({ operation, parameters: { MaxItems: 1000 }, scope, page: n, body });

describe('readRawPages', () => {
  it('reads JSON Lines (a page a line, named file:line) and the one-file-a-page layout of 0.1.0 packs alike', async () => {
    const pack = await mkdtemp(path.join(os.tmpdir(), 'nhi-raw-'));
    const folder = path.join(pack, 'raw/aws/111111111111');
    await mkdir(folder, { recursive: true });
    // Pages of one operation in its file, in page order; a blank last line as a file ends.
    await writeFile(path.join(folder, 'GetAccountAuthorizationDetails.jsonl'), `${JSON.stringify(page('GetAccountAuthorizationDetails', 1, { Marker: 'm' }))}\n${JSON.stringify(page('GetAccountAuthorizationDetails', 2, {}))}\n`);
    // A 0.1.0 pack: one indented file a page, with no scope in the page (the folder names it).
    const { scope: _scope, ...legacy } = page('ListAccessKeys', 1, { AccessKeyMetadata: [] });
    await writeFile(path.join(folder, 'ListAccessKeys-0001.json'), JSON.stringify(legacy, null, 1));
    await writeFile(path.join(folder, 'notes.txt'), 'not a page');

    const raw = await readRawPages(pack, 'aws');
    expect(raw.scopes()).toEqual(['111111111111']);
    expect((await raw.pages('111111111111', 'GetAccountAuthorizationDetails')).map((p) => [p.page, p.path, p.body])).toEqual([
      [1, 'raw/aws/111111111111/GetAccountAuthorizationDetails.jsonl:1', { Marker: 'm' }],
      [2, 'raw/aws/111111111111/GetAccountAuthorizationDetails.jsonl:2', {}],
    ]);
    expect((await raw.pages('111111111111', 'ListAccessKeys')).map((p) => p.path)).toEqual(['raw/aws/111111111111/ListAccessKeys-0001.json']);
  });
});
