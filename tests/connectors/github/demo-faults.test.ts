import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, packsIn, tempDir, type CliResult } from '../../e2e/cli.js';

/** `nhi-audit demo --fault` with GitHub faults, through the built CLI (issue 9's "done when"). */

interface DemoRun {
  result: CliResult;
  pack: string;
  inventory: string;
  manifest: { verdict: string; sources: { connector: string; verdict: string; scopes: { errors: { operation: string; code: string }[] }[] }[] };
}

async function demo(cwd: string, out: string, faults: string[]): Promise<DemoRun> {
  // One pack each, as of the demo date (a fresh folder without --as-of gets the previous quarter too).
  const result = await cli(['demo', '--as-of', '2026-11-20', '--out', out, ...faults.flatMap((fault) => ['--fault', fault])], { cwd });
  const pack = (await packsIn(path.join(cwd, out)))[0]!;
  const inventory = await readFile(path.join(pack, 'inventory.json'), 'utf8');
  return { result, pack, inventory, manifest: JSON.parse(await readFile(path.join(pack, 'manifest.json'), 'utf8')) };
}

const github = (run: DemoRun) => run.manifest.sources.find((source) => source.connector === 'github')!;

describe('nhi-audit demo with GitHub faults', () => {
  let clean: DemoRun;
  let throttled: DemoRun;
  let truncated: DemoRun;

  beforeAll(async () => {
    const cwd = await tempDir('github-faults');
    [clean, throttled, truncated] = await Promise.all([
      demo(cwd, 'clean', []),
      demo(cwd, 'throttled', ['github:*:throttle:2']),
      demo(cwd, 'truncated', ['github:apps/get-by-slug:truncate']),
    ]);
  }, 180_000);

  it('absorbs every GitHub request throttled twice: exit 0 and the very inventory of a clean demo', () => {
    expect(clean.result.code).toBe(0);
    expect(throttled.result.code).toBe(0);
    expect(github(throttled).verdict).toBe('complete');
    expect(throttled.inventory).toBe(clean.inventory);
  });

  it('ends incomplete, exit 3, naming the App lookup when its answers always arrive truncated', () => {
    expect(truncated.result.code).toBe(3);
    expect(truncated.manifest.verdict).toBe('incomplete');
    expect(github(truncated).verdict).toBe('incomplete');
    const errors = github(truncated).scopes.flatMap((scope) => scope.errors);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error.operation === 'apps/get-by-slug' && error.code === 'InvalidResponse')).toBe(true);
  });
});
