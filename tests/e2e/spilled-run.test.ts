import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../connectors/aws-iam/sandbox/index.js';
import { DEMO_AWS, workspace } from './aws-workspace.js';
import { cli, packsIn, type CliResult } from './cli.js';

const AS_OF = '2026-11-20';
/** What differs between two runs of the same collection: their ids, clocks, signatures and the files naming them. */
const RUN_SPECIFIC = new Set(['manifest.json', 'SHA256SUMS', 'SHA256SUMS.sig', 'attestation.dsse.json', 'report.pdf', 'assessment-results.json']);

const spillFolders = async () => (await readdir(os.tmpdir())).filter((f) => f.startsWith('nhi-audit-spill-')).length;

describe('run with the population spilled to disk (NHI_AUDIT_SPILL_AT)', () => {
  let sandbox: AwsSandbox;
  let cwd: string;
  let env: Record<string, string>;
  const run = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> => cli(args, { cwd, env: { ...env, ...extra } });

  beforeAll(async () => {
    sandbox = await startAwsSandbox(await loadAwsSandboxDataset(DEMO_AWS), { now: new Date(`${AS_OF}T00:00:00Z`), credentialReportPolls: 0 });
    ({ cwd, env } = await workspace(sandbox));
  });
  afterAll(() => sandbox.close());

  it('seals the same evidence as a run that held the population, and leaves no spill files behind', async () => {
    const held = await run(['run', '--as-of', AS_OF, '--fail-on', 'none']);
    expect(held.code).toBe(0);
    const [first] = await packsIn(path.join(cwd, 'evidence'));
    const before = await spillFolders();
    const spilled = await run(['run', '--as-of', AS_OF, '--fail-on', 'none', '--log-level', 'info'], { NHI_AUDIT_SPILL_AT: '2' });
    expect(spilled.code).toBe(0);
    expect(spilled.stderr).toMatch(/"spillAt":2.*"msg":"population spilled to disk"|population spilled to disk.*spillAt/);
    expect(await spillFolders()).toBe(before);
    const [second] = (await packsIn(path.join(cwd, 'evidence'))).filter((p) => p !== first);
    const files = (await readdir(second!, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(second!, path.join(e.parentPath, e.name)));
    const compared = files.filter((f) => !RUN_SPECIFIC.has(f) && !f.startsWith('raw/'));
    expect(compared).toEqual(expect.arrayContaining(['inventory.json', 'inventory.csv', 'findings.json', 'findings.csv', 'exceptions.csv', 'enrichment.json', 'summary.md']));
    for (const file of compared) expect(await readFile(path.join(second!, file), 'utf8'), file).toBe(await readFile(path.join(first!, file), 'utf8'));
    const verify = await run(['verify', second!, '--public-key', 'keys/nhi-audit.pub']);
    expect(verify.code).toBe(0);
  }, 120_000);

  it('ends with exit 2 and no pack, naming the fix, when the spill cannot be written', async () => {
    const before = await packsIn(path.join(cwd, 'evidence'));
    const result = await run(['run', '--as-of', AS_OF], { NHI_AUDIT_SPILL_AT: '0', TMPDIR: path.join(cwd, 'no-such-folder') });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/could not spill the population to disk .*ENOENT.*point TMPDIR at a folder with room/);
    expect(result.stderr).not.toContain('internal error');
    expect(await packsIn(path.join(cwd, 'evidence'))).toEqual(before);
    expect((await readdir(path.join(cwd, 'evidence/2026-Q4'))).filter((f) => f.endsWith('.partial'))).toEqual([]);
  }, 60_000);

  it('refuses a spill size that is no count with exit 2, naming the variable, and writes nothing', async () => {
    const before = await packsIn(path.join(cwd, 'evidence'));
    const result = await run(['run', '--as-of', AS_OF], { NHI_AUDIT_SPILL_AT: 'lots' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('NHI_AUDIT_SPILL_AT: "lots" is not a whole number of identities');
    expect(await packsIn(path.join(cwd, 'evidence'))).toEqual(before);
  }, 60_000);
});
