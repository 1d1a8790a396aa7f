import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, packsIn, tempDir, type CliResult } from '../../e2e/cli.js';

interface Manifest {
  verdict: string;
  incompleteSources: string[];
  sources: Array<{ source: string; verdict: string; identities: number; scopes: Array<{ scope: string; verdict: string; errors: Array<{ operation: string; code: string }>; operations: Array<{ operation: string; retries: number }> }> }>;
}

async function manifestOf(cwd: string): Promise<{ pack: string; manifest: Manifest }> {
  const pack = (await packsIn(path.join(cwd, 'evidence-demo')))[0]!;
  return { pack, manifest: JSON.parse(await readFile(path.join(pack, 'manifest.json'), 'utf8')) as Manifest };
}

/** Every file of a pack, as text. */
async function packText(pack: string): Promise<string> {
  const files = (await readdir(pack, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile() && !entry.name.endsWith('.pdf'));
  return (await Promise.all(files.map((entry) => readFile(path.join(entry.parentPath, entry.name), 'utf8')))).join('\n');
}

/** The demo through the built CLI, as a user runs it, with GitLab meeting faults (issues 9 and 14). */
describe("nhi-audit demo --fault 'gitlab:*:throttle:1'", () => {
  let cwd: string;
  let demo: CliResult;
  beforeAll(async () => {
    cwd = await tempDir('gitlab-throttle');
    demo = await cli(['demo', '--fault', 'gitlab:*:throttle:1'], { cwd });
  }, 180_000);

  it('waits out every 429 once: GitLab complete, every request retried once and counted', async () => {
    expect(demo.code).toBe(0);
    const { manifest } = await manifestOf(cwd);
    const gitlab = manifest.sources.find((source) => source.source === 'gitlab')!;
    expect(gitlab.verdict).toBe('complete');
    expect(gitlab.scopes.map((scope) => scope.scope)).toEqual(['corvid-finance', 'instance']);
    // Faults are counted per distinct request: the instance scope's `GET /user` repeats the group scope's, already retried.
    const retried = new Map<string, number>();
    for (const { operation, retries } of gitlab.scopes.flatMap((scope) => scope.operations)) retried.set(operation, (retried.get(operation) ?? 0) + retries);
    expect([...retried].filter(([, retries]) => retries < 1)).toEqual([]);
    expect(retried.size).toBe(19);
  });

  it('keeps every CI variable value and trigger token out of the pack and the terminal', async () => {
    const { pack } = await manifestOf(cwd);
    const text = await packText(pack);
    expect(text).toContain('AWS_SECRET_ACCESS_KEY');
    expect(text).not.toContain('NHI-CANARY-GITLAB-');
    expect(demo.stdout + demo.stderr).not.toContain('NHI-CANARY-GITLAB-');
  });
});

describe("nhi-audit demo --fault 'gitlab:*:html'", () => {
  let cwd: string;
  let demo: CliResult;
  beforeAll(async () => {
    cwd = await tempDir('gitlab-html');
    demo = await cli(['demo', '--fault', 'gitlab:*:html'], { cwd });
  }, 180_000);

  it('exits 3 with GitLab incomplete, naming the operation, and seals a pack that verifies', async () => {
    expect(demo.code).toBe(3);
    expect(demo.stdout).toMatch(/INCOMPLETE: source gitlab \(gitlab\): .*corvid-finance: groups: InvalidResponse/);
    const { pack, manifest } = await manifestOf(cwd);
    expect(manifest.incompleteSources).toEqual(['gitlab']);
    expect(manifest.sources.find((source) => source.source === 'gitlab')).toMatchObject({ verdict: 'incomplete', identities: 0 });
    const verify = await cli(['verify', pack, '--public-key', path.join(cwd, 'evidence-demo', 'nhi-audit.pub')], { cwd });
    expect(verify.code).toBe(0);
  });
});
