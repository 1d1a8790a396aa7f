import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pdfText } from '../helpers/pdf-text.js';
import { cli, packsIn, ROOT, tempDir } from './cli.js';

/** Two demo runs in consecutive cycles make a chain; the second pack records the first. */
describe('evidence across cycles: chain, diff, sample, reperform, report', () => {
  let cwd: string;
  let q3: string;
  let q4: string;
  const key = ['--public-key', 'evidence-demo/nhi-audit.pub'];

  beforeAll(async () => {
    cwd = await tempDir('cycles');
    expect((await cli(['demo', '--as-of', '2026-09-30'], { cwd })).code).toBe(0);
    expect((await cli(['demo', '--as-of', '2026-11-20'], { cwd })).code).toBe(0);
    [q3, q4] = (await packsIn(path.join(cwd, 'evidence-demo'))) as [string, string];
    // Two whole demo runs, five sources each, on a machine that may be busy.
  }, 180_000);

  it('stores packs by cycle and links the newer to the older by attestation digest', async () => {
    expect(q3).toContain('/2026-Q3/');
    expect(q4).toContain('/2026-Q4/');
    const manifest = JSON.parse(await readFile(path.join(q4, 'manifest.json'), 'utf8'));
    expect(manifest.previous).toMatchObject({ runId: path.basename(q3), cycle: '2026-Q3' });
    expect(manifest.cycle).toEqual({ id: '2026-Q4', start: '2026-10-01', end: '2026-12-31' });
    expect(manifest.retainUntil).toMatch(/^2033-/);
    expect(manifest.operator.user).toBeTruthy();
    expect(manifest.sources.map((s: { collector?: string }) => s.collector).every(Boolean)).toBe(true);
  });

  it('verify --chain accepts the chain, and rejects it once the older pack is altered', async () => {
    const ok = await cli(['verify', '--chain', 'evidence-demo', ...key], { cwd });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('OK: 2 packs');
    const file = path.join(q3, 'findings.json');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('"fail"', '"pass"'));
    const broken = await cli(['verify', '--chain', 'evidence-demo', ...key], { cwd });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`${path.relative(path.join(cwd, 'evidence-demo'), q3)}: findings.json: sha256 does not match SHA256SUMS`);
    await writeFile(file, original);
    const attestation = path.join(q3, 'attestation.dsse.json');
    const sealed = await readFile(attestation, 'utf8');
    await writeFile(attestation, sealed.replace('\n}', '\n }'));
    const relinked = await cli(['verify', '--chain', 'evidence-demo', ...key], { cwd });
    expect(relinked.code).toBe(1);
    expect(relinked.stdout).toMatch(/does not name the pack before it/);
    await writeFile(attestation, sealed);
    expect((await cli(['verify', '--chain', 'evidence-demo', ...key], { cwd })).code).toBe(0);
  });

  it('diff lists the changes planted between the cycles', async () => {
    const result = await cli(['diff', q3, q4, '--format', 'json'], { cwd });
    expect(result.code).toBe(0);
    const diff = JSON.parse(result.stdout);
    expect(diff.added.map((i: { id: string }) => i.id)).toContain('aws-iam:222222222222:role/breakglass-reporting-fix');
    expect(diff.removed.map((i: { id: string }) => i.id)).toContain('aws-iam:111111111111:user/svc-old-fx-rates');
    expect(diff.privilege.find((p: { identityId: string }) => p.identityId === 'aws-iam:222222222222:user/svc-erp-journal-poster').after.flags).toContain('passrole-any');
    expect(diff.credentials.find((c: { identityId: string }) => c.identityId === 'aws-iam:222222222222:user/svc-revenue-close')).toMatchObject({
      added: ['AKIACORVIDREVCLS002'],
      removed: ['AKIACORVIDREVCLS001'],
      rotated: true,
    });
    expect(diff.newlyFailing.map((f: { controlId: string; identityId: string }) => `${f.controlId} ${f.identityId}`)).toContain(
      'no-admin-privilege aws-iam:222222222222:role/breakglass-reporting-fix',
    );
    expect(diff.stillOpen.length).toBeGreaterThan(0);
    expect(diff.stillOpenCount).toBe(diff.stillOpen.length);
    const markdown = await cli(['diff', q3, q4, '--format', 'md'], { cwd });
    expect(markdown.stdout).toContain('### Identities added (');
  });

  it('sample gives the same items on every run, beside the pack and signed', async () => {
    const args = ['sample', q4, '--seed', '2026-Q4', '--size', '5', '--status', 'fail', '--private-key', 'evidence-demo/.demo-signing-key.pem'];
    const first = await cli(args, { cwd });
    expect(first.code).toBe(0);
    const dir = path.join(`${q4}.samples`, 'sample_all-controls_fail_n5_seed-2026-Q4');
    const selection = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')).sample;
    expect(selection.selected).toHaveLength(5);
    const rerun = await cli(args, { cwd });
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('Drawn before, identical');
    expect(rerun.stdout.split('\n').slice(0, 6)).toEqual(first.stdout.split('\n').slice(0, 6));
    expect((await cli(['verify', dir, ...key], { cwd })).code).toBe(0);
    expect((await cli(['verify', q4, ...key], { cwd })).code).toBe(0);
  });

  it('collect --from-raw re-reads every source of the pack to the sealed inventory, without an API call', async () => {
    // The config names the Snowflake connector package, which re-reads its own source.
    const result = await cli(['-c', path.join(ROOT, 'fixtures/demo-org/nhi-audit.yaml'), 'collect', '--from-raw', q4, ...key], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^Re-read \d+ identities from .+: the same as the sealed inventory/);
    const sealed = JSON.parse(await readFile(path.join(q4, 'inventory.json'), 'utf8')).identities.map((i: { id: string }) => i.id);
    expect(JSON.parse(result.stdout).identities.map((i: { id: string }) => i.id)).toEqual(sealed);
  });

  it('reperform reports the findings identical', async () => {
    const result = await cli(['reperform', q4], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^IDENTICAL: \d+ findings re-performed/);
  });

  it('report re-renders into a new folder with the samples, and the sealed pack still verifies', async () => {
    const result = await cli(['report', q4, '--out', 'rerendered'], { cwd });
    expect(result.code).toBe(0);
    const text = await pdfText(await readFile(path.join(cwd, 'rerendered/report.pdf')));
    expect(text).toContain('sample_all-controls_fail_n5_seed-2026-Q4');
    // Re-rendered from what the pack sealed (its findings, waiver uses and population), not evaluated again.
    expect(await readFile(path.join(cwd, 'rerendered/summary.md'), 'utf8')).toBe(await readFile(path.join(q4, 'summary.md'), 'utf8'));
    expect((await cli(['verify', q4, ...key], { cwd })).code).toBe(0);
    expect((await cli(['report', q4, '--out', q4], { cwd })).code).toBe(2);
  });

  it('report.pdf holds every section, and every page renders', async () => {
    const pdf = await readFile(path.join(q4, 'report.pdf'));
    const text = await pdfText(pdf);
    for (const section of ['Corvid Systems, Inc.', '2026-Q4: 2026-10-01 to 2026-12-31', path.basename(q4), 'Signer key id', '1. Scope, population and methodology', 'Sources and completeness', '2. Control results', '3. Exceptions', 'Remediation:', '4. Waivers', 'CHG-1042', '5. Recertification', '6. Changes since the previous cycle', 'Added: aws-iam:222222222222:role/breakglass-reporting-fix', '7. Sample selections', '8. Review and sign-off', 'Appendix: population']) {
      expect(text, section).toContain(section);
    }
    if (existsSync('/usr/bin/pdftoppm')) {
      const out = await mkdtemp(path.join(os.tmpdir(), 'nhi-e2e-pages-'));
      execFileSync('pdftoppm', ['-r', '20', '-png', path.join(q4, 'report.pdf'), path.join(out, 'page')]);
      const pages = (await readdir(out)).length;
      expect(pages).toBe(Number(/\/Count (\d+)/.exec(pdf.toString('latin1'))![1]));
    }
  });
});
