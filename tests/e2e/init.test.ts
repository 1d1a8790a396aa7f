import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli, tempDir } from './cli.js';

describe('nhi-audit init', () => {
  it('writes a starter config whose $schema reference resolves to the installed CLI schema, and refuses to overwrite it', async () => {
    const cwd = await tempDir('init');
    await mkdir(path.join(cwd, 'audit'));
    const result = await cli(['-c', 'audit/nhi-audit.yaml', 'init'], { cwd });
    expect(result.code).toBe(0);
    const text = await readFile(path.join(cwd, 'audit/nhi-audit.yaml'), 'utf8');
    const reference = /\$schema=(\S+)/.exec(text)![1]!;
    const schemaFile = path.resolve(cwd, 'audit', reference);
    expect(existsSync(schemaFile)).toBe(true);
    expect(JSON.parse(await readFile(schemaFile, 'utf8')).$schema).toMatch(/json-schema\.org/);
    expect(parse(text).sources[0].connector).toBe('aws-iam');
    const again = await cli(['-c', 'audit/nhi-audit.yaml', 'init'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists; use --force');
  });
});
