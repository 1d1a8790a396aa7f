import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pdfText } from '../../helpers/pdf-text.js';
import { cli, packsIn, tempDir, type CliResult } from '../../e2e/cli.js';

interface Manifest {
  verdict: string;
  incompleteSources: string[];
  sources: Array<{ source: string; verdict: string; identities: number; scopes: Array<{ scope: string; errors: Array<{ operation: string; code: string }> }> }>;
}

/** A captive proxy in front of every Google API: the demo through the built CLI, as a user would run it (issue 9). */
describe("nhi-audit demo --fault 'gcp-iam:*:html'", () => {
  let cwd: string;
  let demo: CliResult;
  let pack: string;
  let manifest: Manifest;

  beforeAll(async () => {
    cwd = await tempDir('gcp-html');
    demo = await cli(['demo', '--fault', 'gcp-iam:*:html'], { cwd });
    pack = (await packsIn(path.join(cwd, 'evidence-demo')))[0]!;
    manifest = JSON.parse(await readFile(path.join(pack, 'manifest.json'), 'utf8')) as Manifest;
  }, 120_000);

  it('exits 3 and the table says the GCP collection is incomplete, naming the operations', () => {
    expect(demo.code).toBe(3);
    expect(demo.stdout).toMatch(/INCOMPLETE: source gcp \(gcp-iam\): organizations\/418303000001: cloudresourcemanager\.projects\.list: InvalidResponse/);
    expect(demo.stdout).toContain('cloudasset.searchAllResources');
  });

  it('seals a manifest that marks gcp incomplete, with the invalid answers as errors and no identity', () => {
    expect(manifest.verdict).toBe('incomplete');
    expect(manifest.incompleteSources).toEqual(['gcp']);
    const gcp = manifest.sources.find((s) => s.source === 'gcp')!;
    expect(gcp).toMatchObject({ verdict: 'incomplete', identities: 0 });
    expect(gcp.scopes.flatMap((s) => s.errors.map((e) => `${e.operation} ${e.code}`)).sort()).toEqual([
      'cloudasset.searchAllResources InvalidResponse',
      'cloudresourcemanager.folders.list InvalidResponse',
      'cloudresourcemanager.projects.list InvalidResponse',
    ]);
  });

  it('says so in the PDF report', async () => {
    const text = (await pdfText(await readFile(path.join(pack, 'report.pdf')))).replace(/\s+/g, ' ');
    expect(text).toContain('INCOMPLETE: do not rely on this pack as complete');
    expect(text).toMatch(/gcp \(gcp-iam\) 1 0 0 pages, 0 records, 0 retries, 3 errors .* incomplete/);
    expect(text).toContain('gcp is incomplete: organizations/418303000001: cloudresourcemanager.projects.list');
  });

  it('still seals a pack that verifies', async () => {
    const verify = await cli(['verify', pack, '--public-key', path.join(cwd, 'evidence-demo', 'nhi-audit.pub')], { cwd });
    expect(verify.code).toBe(0);
  });
});
