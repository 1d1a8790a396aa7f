import { appendFile, cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../connectors/aws-iam/sandbox/index.js';
import { DEMO_AWS, workspace } from './aws-workspace.js';
import { cli, packsIn, ROOT, type CliResult } from './cli.js';

const AS_OF = '2026-11-20';

/** The demo organization's SAP export beside the AWS organization: one source planned by account, one whole. */
const SAP_SOURCE = [
  '  - name: sap',
  '    connector: file',
  '    preset: sap',
  '    system: SAP S/4HANA PRD, client 100',
  '    scope: PRD-100',
  `    directory: ${path.join(ROOT, 'fixtures/demo-org/file')}`,
  '    export: { path: sap-prd/usr02.csv, report: SE16N USR02, producedBy: mkeller, producedAt: 2026-11-19T16:05:00Z, expectedRows: 8 }',
  '    related:',
  '      - { adds: entitlements, path: sap-prd/agr_users.csv, report: SE16N AGR_USERS, expectedRows: 10 }',
].join('\n');

/** The workspace's config has one source list: the SAP source is spliced in after the AWS one. */
async function workspaceWithSap(sandbox: AwsSandbox) {
  const { cwd, env } = await workspace(sandbox);
  const file = path.join(cwd, 'nhi-audit.yaml');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace('signing:', `${SAP_SOURCE}\nsigning:`));
  return { cwd, env };
}

describe('sharded collection: plan, collect --plan --shard, run --from-parts', () => {
  let sandbox: AwsSandbox;
  let cwd: string;
  let env: Record<string, string>;
  const run = (args: string[]): Promise<CliResult> => cli(args, { cwd, env });
  const newestPack = async (before: readonly string[]) => (await packsIn(path.join(cwd, 'evidence'))).filter((p) => !before.includes(p));
  const json = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

  beforeAll(async () => {
    sandbox = await startAwsSandbox(await loadAwsSandboxDataset(DEMO_AWS), { now: new Date(`${AS_OF}T00:00:00Z`), credentialReportPolls: 0 });
    ({ cwd, env } = await workspaceWithSap(sandbox));
    const plan = await run(['plan', '--as-of', AS_OF, '--out', 'plan.json']);
    expect(plan.stderr).toContain('Plan plan.json: 4 units');
    expect(plan.code).toBe(0);
    for (const shard of [1, 2, 3]) {
      const part = await run(['collect', '--plan', 'plan.json', '--shard', `${shard}/3`, '--out', `part-${shard}`]);
      expect(part.stderr).toContain(`Part part-${shard}: shard ${shard}/3`);
      expect(part.code).toBe(0);
    }
  }, 180_000);
  afterAll(() => sandbox.close());

  it('freezes the discovered accounts and the whole SAP source into a signed plan, assigned round-robin', async () => {
    const envelope = await json(path.join(cwd, 'plan.json'));
    const plan = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')).predicate;
    expect(plan.sources).toEqual([
      { source: 'aws', connector: 'aws-iam', scopes: ['111111111111', '222222222222', '333333333333'], shared: ['organization'] },
      { source: 'sap', connector: 'file', scopes: ['PRD-100'], shared: [] },
    ]);
    expect(plan.asOf).toBe(`${AS_OF}T00:00:00.000Z`);
    expect((await json(path.join(cwd, 'part-1/manifest.json'))).units).toEqual([
      { source: 'aws', scope: '111111111111' },
      { source: 'sap', scope: 'PRD-100' },
    ]);
    expect((await json(path.join(cwd, 'part-3/manifest.json'))).units).toEqual([{ source: 'aws', scope: '333333333333' }]);
  });

  it('merges three parts into the same inventory.json and findings.json as one run, naming each part', async () => {
    const single = await run(['run', '--as-of', AS_OF, '--fail-on', 'none']);
    expect(single.code).toBe(0);
    const [one] = await packsIn(path.join(cwd, 'evidence'));
    const merged = await run(['run', '--from-parts', 'part-1', 'part-2', 'part-3', '--fail-on', 'none']);
    expect(merged.stderr).toContain('Evidence pack:');
    expect(merged.code).toBe(0);
    const [pack] = await newestPack([one!]);
    for (const file of ['inventory.json', 'findings.json', 'inventory.csv', 'findings.csv']) {
      expect(await readFile(path.join(pack!, file), 'utf8'), file).toBe(await readFile(path.join(one!, file), 'utf8'));
    }
    const manifest = await json(path.join(pack!, 'manifest.json'));
    expect(manifest.verdict).toBe('complete');
    expect(manifest.sharding.parts.map((p: { shard: string; folder: string }) => [p.shard, p.folder])).toEqual([
      ['1/3', 'part-1'],
      ['2/3', 'part-2'],
      ['3/3', 'part-3'],
    ]);
    for (const part of manifest.sharding.parts) {
      expect(part.attestationDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(part.operator.user).toBeTruthy();
    }
    // The pack holds each raw page once, the shared organization pages from shard 1, and verifies.
    const scopes = manifest.sources.find((s: { source: string }) => s.source === 'aws').scopes.map((s: { scope: string }) => s.scope);
    expect(scopes).toEqual(['111111111111', '222222222222', '333333333333', 'organization']);
    const verify = await run(['verify', pack!, '--public-key', 'keys/nhi-audit.pub']);
    expect(verify.code).toBe(0);
    // The merged raw pages re-read to the same inventory.
    const reread = await run(['collect', '--from-raw', pack!, '--public-key', 'keys/nhi-audit.pub', '--output', 'reread.json']);
    expect(reread.stderr).toContain('the same as the sealed inventory');
  }, 120_000);

  it('seals a pack marked incomplete, exit 3, when a part is missing, naming the shard', async () => {
    const before = await packsIn(path.join(cwd, 'evidence'));
    const result = await run(['run', '--from-parts', 'part-1', 'part-3', '--fail-on', 'none']);
    expect(result.code).toBe(3);
    const [pack] = await newestPack(before);
    const manifest = await json(path.join(pack!, 'manifest.json'));
    expect(manifest.verdict).toBe('incomplete');
    const missing = manifest.sources.find((s: { source: string }) => s.source === 'aws').scopes.find((s: { scope: string }) => s.scope === '222222222222');
    expect(missing.verdict).toBe('incomplete');
    expect(missing.errors[0].message).toContain('the part of shard 2/3 is missing');
  }, 60_000);

  it('refuses a duplicate part with exit 2 and writes nothing', async () => {
    const before = await packsIn(path.join(cwd, 'evidence'));
    const result = await run(['run', '--from-parts', 'part-1', 'part-2', 'part-3', 'part-2', '--fail-on', 'none']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/part-2: manifest\.json: shard 2\/3 is also .*part-2; give each shard's part once/);
    expect(await packsIn(path.join(cwd, 'evidence'))).toEqual(before);
  }, 60_000);

  it('refuses a tampered part with exit 2, naming the part and the file', async () => {
    await cp(path.join(cwd, 'part-2'), path.join(cwd, 'part-2-tampered'), { recursive: true });
    await appendFile(path.join(cwd, 'part-2-tampered/raw/aws/222222222222/GetAccountAuthorizationDetails.jsonl'), '{}\n');
    const before = await packsIn(path.join(cwd, 'evidence'));
    const result = await run(['run', '--from-parts', 'part-1', 'part-2-tampered', 'part-3']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('part-2-tampered');
    expect(result.stderr).toContain('raw/aws/222222222222/GetAccountAuthorizationDetails.jsonl: sha256 does not match SHA256SUMS');
    expect(await packsIn(path.join(cwd, 'evidence'))).toEqual(before);
  }, 60_000);

  it('refuses a part made from another plan, and a folder that is not a part, with exit 2', async () => {
    expect((await run(['plan', '--as-of', AS_OF, '--out', 'other-plan.json'])).code).toBe(0);
    expect((await run(['collect', '--plan', 'other-plan.json', '--shard', '3/3', '--out', 'other-3'])).code).toBe(0);
    const before = await packsIn(path.join(cwd, 'evidence'));
    const other = await run(['run', '--from-parts', 'part-1', 'part-2', 'other-3']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/other-3: manifest\.json: planDigest .* names another plan than .*part-1/);
    const stranger = await run(['run', '--from-parts', 'part-1', 'keys']);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain('keys');
    expect(stranger.stderr).toContain('SHA256SUMS is missing');
    const none = await run(['run', '--from-parts', 'part-1', 'no-such-part']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no-such-part: no such folder');
    expect(await packsIn(path.join(cwd, 'evidence'))).toEqual(before);
  }, 120_000);

  it('refuses a plan made from another configuration, and a shard outside 1..N, with exit 2', async () => {
    const bad = await run(['collect', '--plan', 'plan.json', '--shard', '4/3', '--out', 'part-4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--shard: "4/3" is not i/N');
    const file = path.join(cwd, 'nhi-audit.yaml');
    await appendFile(file, 'retentionYears: 9\n');
    const changed = await run(['collect', '--plan', 'plan.json', '--shard', '1/3', '--out', 'part-x']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('plan.json: configDigest: the plan was made from another configuration');
  }, 60_000);
});

describe('the sharded collection references in docs/', () => {
  const docs = path.join(ROOT, 'docs/sharded');

  it('run the same number of shards as their --shard i/N says, in the GitHub matrix and the Indexed Job', async () => {
    const workflow = parse(await readFile(path.join(docs, 'github-actions.yml'), 'utf8'));
    const matrix: number[] = workflow.jobs.shard.strategy.matrix.shard;
    const collect = workflow.jobs.shard.steps.map((s: { run?: string }) => s.run ?? '').find((r: string) => r.includes('--shard'));
    expect(collect).toContain(`--shard \${{ matrix.shard }}/${matrix.length}`);
    expect(matrix).toEqual(matrix.map((_, i) => i + 1));
    expect(workflow.jobs.merge.needs).toBe('shard');
    const job = parse(await readFile(path.join(docs, 'kubernetes-indexed-job.yaml'), 'utf8'));
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.template.spec.containers[0].args[0]).toContain(`--shard "$((JOB_COMPLETION_INDEX + 1))/${job.spec.completions}"`);
  });

  it('use only options the CLI has', async () => {
    const text = (await readFile(path.join(docs, 'github-actions.yml'), 'utf8')) + (await readFile(path.join(docs, 'kubernetes-indexed-job.yaml'), 'utf8'));
    const calls = [...text.matchAll(/nhi-audit -c \S+ (plan|collect|run)\b([^\n]*)/g)];
    expect(calls.map((c) => c[1]).sort()).toEqual(['collect', 'collect', 'plan', 'run']);
    for (const [, command, rest] of calls) {
      const help = await cli([command!, '--help'], { cwd: ROOT });
      for (const flag of rest!.match(/--[a-z-]+/g) ?? []) expect(help.stdout, `${command} ${flag}`).toContain(flag);
    }
  });
});
