import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stillAsWritten } from '../../src/evidence/pack.js';
import { sha256 } from '../../src/evidence/seal.js';

describe('stillAsWritten', () => {
  let staging: string;
  beforeEach(async () => {
    staging = await mkdtemp(path.join(tmpdir(), 'nhi-written-'));
  });
  afterEach(() => rm(staging, { recursive: true, force: true }));

  it('keeps a digest made while writing only while its file has the size it was written with', async () => {
    await writeFile(path.join(staging, 'kept.jsonl'), 'one\n');
    await writeFile(path.join(staging, 'grown.jsonl'), 'one\n');
    const digest = (file: string) => ({ path: file, sha256: sha256('one\n'), size: 4 });
    // Written to after it was digested: its digest would not be the file's.
    await appendFile(path.join(staging, 'grown.jsonl'), 'two\n');
    expect(await stillAsWritten(staging, [digest('kept.jsonl'), digest('grown.jsonl'), digest('gone.jsonl')])).toEqual([digest('kept.jsonl')]);
  });
});
