import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePrivateKey } from '../../src/evidence/keys.js';
import { digestFiles, listPackFiles, seal, SEAL_FILES } from '../../src/evidence/seal.js';
import { stableJsonChunks } from '../../src/stable-json.js';
import { pdfPages } from '../helpers/pdf-text.js';
import { cli, packsIn, ROOT, tempDir } from './cli.js';

const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A copy of a pack under its own output folder, to alter without touching the original. */
async function copyOf(pack: string, into: string): Promise<string> {
  const copy = path.join(into, path.basename(path.dirname(pack)), path.basename(pack));
  await cp(pack, copy, { recursive: true });
  return copy;
}

/** Edits a pack and seals it again with the signing key: what an insider holding the key could do. */
async function reseal(dir: string, keyFile: string, edit: () => Promise<void>): Promise<void> {
  const envelope = JSON.parse(await readFile(path.join(dir, 'attestation.dsse.json'), 'utf8'));
  const { predicate } = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
  await edit();
  for (const file of SEAL_FILES) await rm(path.join(dir, file));
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
  manifest.files = await digestFiles(dir, (await listPackFiles(dir)).filter((f) => f !== 'manifest.json'));
  const digests = new Map(manifest.files.map((f: { path: string; sha256: string; size: number }) => [f.path, f]));
  manifest.ipe.inputs = manifest.ipe.inputs.map((input: { path: string }) => ({ ...input, ...(digests.get(input.path) as object) }));
  await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await seal(dir, parsePrivateKey(await readFile(keyFile, 'utf8')), predicate);
}

/** The demo's two quarters: the packs every test here reads, verifies, samples and alters (in copies). */
describe('an auditor with the demo packs', () => {
  let cwd: string;
  let q3: string;
  let q4: string;
  const key = ['--public-key', 'evidence-demo/nhi-audit.pub'];
  const signingKey = 'evidence-demo/.demo-signing-key.pem';

  beforeAll(async () => {
    cwd = await tempDir('auditor');
    expect((await cli(['demo', '--as-of', '2026-09-30'], { cwd })).code).toBe(0);
    expect((await cli(['demo'], { cwd })).code).toBe(0);
    [q3, q4] = (await packsIn(path.join(cwd, 'evidence-demo'))) as [string, string];
  }, 240_000);

  describe('verify before use (issue 10, 1)', () => {
    it('refuses an edited pack in report, diff, sample, reperform and collect --from-raw, exit 1, naming what failed', { timeout: 240_000 }, async () => {
      const tampered = await copyOf(q4, path.join(cwd, 'tampered'));
      const findings = path.join(tampered, 'findings.json');
      await writeFile(findings, (await readFile(findings, 'utf8')).replace('"fail"', '"pass"'));
      for (const args of [
        ['report', tampered, '--out', 'never'],
        ['diff', q3, tampered],
        ['sample', tampered, '--seed', '1', '--no-seal'],
        ['reperform', tampered],
        ['collect', '--from-raw', tampered],
      ]) {
        const result = await cli(args, { cwd });
        expect(result.code, args[0]).toBe(1);
        expect(result.stderr, args[0]).toContain('the pack does not verify, so it is not used');
        expect(result.stderr, args[0]).toContain('findings.json: sha256 does not match SHA256SUMS');
        expect(result.stdout, args[0]).toBe('');
      }
      expect(existsSync(path.join(cwd, 'never'))).toBe(false);
    });

    it('re-reads no raw page of a pack whose raw pages were edited: collect --from-raw refuses it, exit 1, and prints nothing', { timeout: 240_000 }, async () => {
      const tampered = await copyOf(q4, path.join(cwd, 'tampered-raw'));
      const [page] = (await readdir(path.join(tampered, 'raw'), { recursive: true })).filter((f) => f.endsWith('.jsonl')).sort();
      const file = path.join(tampered, 'raw', page!);
      await writeFile(file, `${(await readFile(file, 'utf8')).trimEnd()}\n{"operation":"Injected","parameters":{},"page":99,"body":{}}\n`);
      const result = await cli(['collect', '--from-raw', tampered, ...key], { cwd });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('the pack does not verify, so it is not used');
      expect(result.stderr).toContain(`raw/${page!.split(path.sep).join('/')}: sha256 does not match SHA256SUMS`);
      expect(result.stdout).toBe('');
    });

    it('checks the signature with --public-key (repeatable) or the keys the config pins, and says when it did not', { timeout: 240_000 }, async () => {
      expect((await cli(['keys', 'generate', '--out', 'other'], { cwd })).code).toBe(0);
      const wrongKey = await cli(['reperform', q4, '--public-key', 'other/nhi-audit.pub'], { cwd });
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.stderr).toMatch(/signed by key [0-9a-f]{64}, which is not one of the public keys given/);
      const both = await cli(['reperform', q4, '--public-key', 'other/nhi-audit.pub', ...key], { cwd });
      expect(both.code).toBe(0);
      expect(both.stderr).toBe('');
      const unsigned = await cli(['reperform', q4], { cwd });
      expect(unsigned.code).toBe(0);
      expect(unsigned.stderr).toMatch(/digests and file list verified; its signature \(key [0-9a-f]{16}…\) was not checked: give --public-key/);
      await writeFile(
        path.join(cwd, 'pinned.yaml'),
        'sources: [{ name: aws, connector: aws-iam }]\nverification: { publicKeys: [evidence-demo/nhi-audit.pub] }\n',
      );
      const pinned = await cli(['-c', 'pinned.yaml', 'diff', q3, q4], { cwd });
      expect(pinned.code).toBe(0);
      expect(pinned.stderr).toBe('');
    });

    it('run refuses to extend a chain whose newest pack does not verify, before collecting anything', { timeout: 240_000 }, async () => {
      const out = path.join(cwd, 'broken-chain');
      await cp(path.join(cwd, 'evidence-demo'), out, { recursive: true });
      const head = (await packsIn(out)).find((p) => p.includes('/2026-Q4/'))!;
      await writeFile(path.join(head, 'inventory.csv'), 'edited\n');
      const result = await cli(['demo', '--out', 'broken-chain'], { cwd });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('inventory.csv: sha256 does not match SHA256SUMS');
      expect(result.stderr).toContain('nothing was collected');
      expect(await packsIn(out)).toHaveLength(2);
    });
  });

  describe('inputs sealed (issue 10, 2)', () => {
    it('copies every file the run read under inputs/, listed with sha256, size, rows and original path', { timeout: 240_000 }, async () => {
      const manifest = JSON.parse(await readFile(path.join(q4, 'manifest.json'), 'utf8'));
      const inputs = manifest.ipe.inputs as { kind: string; path: string; originalPath: string; sha256: string; size: number; rows: number | null }[];
      expect(inputs.map((i) => i.kind)).toEqual(['config', 'owners', 'hr-roster', 'approvals', 'privileged-access', 'systems', 'waivers']);
      for (const input of inputs) {
        const sealed = await readFile(path.join(q4, input.path));
        const original = await readFile(input.originalPath);
        expect(input.originalPath.startsWith(path.join(ROOT, 'fixtures/demo-org/'))).toBe(true);
        expect(sha256(sealed)).toBe(input.sha256);
        expect(sealed.equals(original), input.path).toBe(true);
        expect(input.size).toBe(original.length);
      }
      const owners = inputs.find((i) => i.kind === 'owners')!;
      const ownerRows = (await readFile(owners.originalPath, 'utf8')).trim().split('\n').length - 1;
      expect(owners.rows).toBe(ownerRows);
      expect(inputs.find((i) => i.kind === 'config')!.rows).toBeNull();
      const verified = await cli(['verify', q4, ...key], { cwd });
      expect(verified.stdout).toContain(`inputs/owners/owners.csv (${ownerRows} rows)`);
    });

    it('reperform repeats the join with the sealed registries and the evaluation, byte for byte', { timeout: 240_000 }, async () => {
      const result = await cli(['reperform', q4, ...key], { cwd });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^IDENTICAL: \d+ findings re-performed from \d+ identities/);
      expect(result.stdout).toMatch(/join repeated with the sealed inputs \(owners \d+ rows, hr-roster \d+ rows, approvals \d+ rows, privileged-access \d+ rows, systems \d+ rows, waivers \d+ rows\): inventory sha256 [0-9a-f]{64}, identical/);
    });

    it('reperform finds a sealed registry that does not give the sealed inventory, even in a pack signed again', { timeout: 240_000 }, async () => {
      const copy = await copyOf(q4, path.join(cwd, 'resealed'));
      const owners = path.join(copy, 'inputs/owners/owners.csv');
      const lines = (await readFile(owners, 'utf8')).split('\n');
      const dropped = lines.findIndex((line) => line.includes('svc-erp-journal-poster'));
      expect(dropped).toBeGreaterThan(0);
      await reseal(copy, path.join(cwd, signingKey), () => writeFile(owners, lines.filter((_, i) => i !== dropped).join('\n')));
      expect((await cli(['verify', copy, ...key], { cwd })).code).toBe(0);
      const result = await cli(['reperform', copy, ...key], { cwd });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^DIFFERENT: [1-9]\d* identities and [1-9]\d* findings differ/);
      expect(result.stdout).toContain('identity aws-iam:222222222222:user/svc-erp-journal-poster');
    });
  });

  describe('strict DSSE (issue 10, 3)', () => {
    it('any edit of the attestation envelope fails verify', { timeout: 240_000 }, async () => {
      const copy = await copyOf(q4, path.join(cwd, 'dsse'));
      const file = path.join(copy, 'attestation.dsse.json');
      const sealed = await readFile(file, 'utf8');
      const envelope = JSON.parse(sealed);
      const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
      const edits: Record<string, string> = {
        'a space in the payload': json({ ...envelope, payload: `${envelope.payload.slice(0, 8)} ${envelope.payload.slice(8)}` }),
        'junk after the payload': json({ ...envelope, payload: `${envelope.payload}!!` }),
        'a line break in the payload': json({ ...envelope, payload: `${envelope.payload.slice(0, 76)}\n${envelope.payload.slice(76)}` }),
        '@@ in the signature': json({ ...envelope, signatures: [{ ...envelope.signatures[0], sig: `${envelope.signatures[0].sig}@@` }] }),
        'an extra top-level field': json({ ...envelope, note: 'hi' }),
        'a second signature': json({ ...envelope, signatures: [envelope.signatures[0], envelope.signatures[0]] }),
        'reordered keys': json({ signatures: envelope.signatures, payload: envelope.payload, payloadType: envelope.payloadType }),
        'an extra field in a signature': json({ ...envelope, signatures: [{ ...envelope.signatures[0], cert: '' }] }),
      };
      for (const [what, text] of Object.entries(edits)) {
        await writeFile(file, text);
        const result = await cli(['verify', copy, ...key], { cwd });
        expect(result.code, what).toBe(1);
        expect(result.stdout, what).toContain('attestation.dsse.json');
      }
      await writeFile(file, sealed);
      expect((await cli(['verify', copy, ...key], { cwd })).code).toBe(0);
    });
  });

  describe('the chain (issue 10, 4)', () => {
    it('prints the head digest and fails --expect-head for another; refuses a folder without a manifest, a malformed one and empty folders', { timeout: 240_000 }, async () => {
      const out = path.join(cwd, 'chain');
      await cp(path.join(cwd, 'evidence-demo'), out, { recursive: true });
      const newest = (await packsIn(out)).find((p) => p.includes('/2026-Q4/'))!;
      const head = sha256(await readFile(path.join(newest, 'attestation.dsse.json')));
      const ok = await cli(['verify', '--chain', 'chain', ...key, '--expect-head', `sha256:${head}`], { cwd });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`Head: sha256:${head} (2026-Q4/${path.basename(newest)}`);
      const other = await cli(['verify', '--chain', 'chain', ...key, '--expect-head', '0'.repeat(64)], { cwd });
      expect(other.code).toBe(1);
      expect(other.stdout).toContain(`the chain ends at sha256:${head}, not at the expected head sha256:${'0'.repeat(64)}`);

      const stray = path.join(out, '2026-Q4', '20261120T000000Z-000000');
      await mkdir(stray);
      await writeFile(path.join(stray, 'inventory.json'), '{}');
      const noManifest = await cli(['verify', '--chain', 'chain', ...key], { cwd });
      expect(noManifest.code).toBe(1);
      expect(noManifest.stdout).toContain('2026-Q4/20261120T000000Z-000000: no manifest.json');
      await writeFile(path.join(stray, 'manifest.json'), '{}');
      const malformed = await cli(['verify', '--chain', 'chain', ...key], { cwd });
      expect(malformed.code).toBe(1);
      expect(malformed.stdout).toMatch(/2026-Q4\/20261120T000000Z-000000\/manifest\.json: runId: /);
      expect(malformed.stderr).toBe('');
      await rm(stray, { recursive: true });

      await mkdir(path.join(newest, 'raw', 'nothing-here'));
      const empty = await cli(['verify', '--chain', 'chain', ...key], { cwd });
      expect(empty.code).toBe(1);
      expect(empty.stdout).toContain('raw/nothing-here/ is an empty folder');
      await rm(path.join(newest, 'raw', 'nothing-here'), { recursive: true });
      expect((await cli(['verify', '--chain', 'chain', ...key], { cwd })).code).toBe(0);
    });
  });

  describe('auditor paths (issue 10, 6)', () => {
    it('sample with a trailing slash or "." writes its addendum beside the pack, which still verifies', { timeout: 240_000 }, async () => {
      const slash = await cli(['sample', `${q4}/`, '--seed', 'slash', '--size', '2', '--private-key', signingKey], { cwd });
      expect(slash.code).toBe(0);
      expect(existsSync(path.join(`${q4}.samples`, 'sample_all-controls_any-status_n2_seed-slash'))).toBe(true);
      const dot = await cli(['sample', '.', '--seed', 'dot', '--size', '2', '--private-key', path.join(cwd, signingKey)], { cwd: q4 });
      expect(dot.code).toBe(0);
      expect(existsSync(path.join(`${q4}.samples`, 'sample_all-controls_any-status_n2_seed-dot'))).toBe(true);
      expect((await listPackFiles(q4)).some((f) => f.includes('sample'))).toBe(false);
      expect((await cli(['verify', q4, ...key], { cwd })).code).toBe(0);
    });

    it('verify of an addendum prints the addendum\'s own fields and checks the pack beside it', { timeout: 240_000 }, async () => {
      const addendum = path.join(`${q4}.samples`, 'sample_all-controls_any-status_n2_seed-slash');
      const result = await cli(['verify', addendum, ...key], { cwd });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('sample addendum sample_all-controls_any-status_n2_seed-slash: 2 of ');
      expect(result.stdout).toContain('seed slash');
      expect(result.stdout).toContain(`drawn from pack run ${path.basename(q4)}, cycle 2026-Q4`);
      expect(result.stdout).toContain('is that pack');
      expect(result.stdout).not.toContain('undefined');
    });

    it('sample without a signing key says what to do; --no-seal prints the selection and writes nothing', { timeout: 240_000 }, async () => {
      const bare = await tempDir('bare');
      const noKey = await cli(['sample', q4, '--seed', 'k'], { cwd: bare });
      expect(noKey.code).toBe(2);
      expect(noKey.stderr).toContain('--private-key FILE');
      expect(noKey.stderr).toContain('--no-seal');
      expect(noKey.stderr).not.toContain('init');
      const printed = await cli(['sample', q4, '--seed', 'k', '--no-seal'], { cwd: bare });
      expect(printed.code).toBe(0);
      expect(printed.stdout).toMatch(/^Sample of 2 from a population of \d+/);
      expect(printed.stdout).toContain('Not sealed (--no-seal): no addendum written.');
      expect(existsSync(path.join(`${q4}.samples`, 'sample_all-controls_any-status_n2_seed-k'))).toBe(false);
    });

    it('report evaluates a pack again when it is too old to hold the waivers\' account, and renders the same', { timeout: 240_000 }, async () => {
      // The whole output folder: the report names the changes since the baseline pack beside it.
      await cp(path.join(cwd, 'evidence-demo'), path.join(cwd, 'older'), { recursive: true });
      const copy = path.join(cwd, 'older', path.relative(path.join(cwd, 'evidence-demo'), q4));
      // Sample addenda are bound to the pack as it was sealed, and would rightly be refused for the resealed one.
      await rm(`${copy}.samples`, { recursive: true, force: true });
      await reseal(copy, path.join(cwd, signingKey), async () => {
        const file = path.join(copy, 'findings.json');
        const { findings, ...around } = JSON.parse(await readFile(file, 'utf8'));
        expect(around.summary.waivers.length).toBeGreaterThan(0);
        delete around.summary.waivers;
        await writeFile(file, [...stableJsonChunks(around, 'findings', findings, 'line')].join(''));
      });
      expect(JSON.parse(await readFile(path.join(copy, 'findings.json'), 'utf8')).summary).not.toHaveProperty('waivers');
      const result = await cli(['report', copy, '--out', 'older-report', ...key], { cwd });
      expect(result.code).toBe(0);
      expect(await readFile(path.join(cwd, 'older-report', 'summary.md'), 'utf8')).toBe(await readFile(path.join(q4, 'summary.md'), 'utf8'));
    });

    it('report names its default folder from the path given, and refuses a forged sample addendum', { timeout: 240_000 }, async () => {
      const result = await cli(['report', q4, ...key], { cwd });
      expect(result.code).toBe(0);
      const rendered = path.join(cwd, `report-${path.basename(q4)}`);
      expect(existsSync(path.join(rendered, 'report.pdf'))).toBe(true);
      expect(await readFile(path.join(rendered, 'summary.md'), 'utf8')).toBe(await readFile(path.join(q4, 'summary.md'), 'utf8'));
      await cp(path.join(cwd, 'evidence-demo'), path.join(cwd, 'forged'), { recursive: true });
      const forged = path.join(cwd, 'forged', path.relative(path.join(cwd, 'evidence-demo'), q4));
      expect((await cli(['sample', forged, '--seed', 'forge', '--size', '2', '--private-key', signingKey], { cwd })).code).toBe(0);
      const csv = path.join(`${forged}.samples`, 'sample_all-controls_any-status_n2_seed-forge', 'sample.csv');
      await writeFile(csv, (await readFile(csv, 'utf8')).replace(/,fail,|,pass,/, ',excepted,'));
      const refused = await cli(['report', forged, '--out', 'forged-report', ...key], { cwd });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('the sample addendum does not verify');
      expect(refused.stderr).toContain('sample.csv: sha256 does not match SHA256SUMS');
      expect(existsSync(path.join(cwd, 'forged-report'))).toBe(false);
    });

    it('keys generate writes nothing when half a pair is there; an --output folder that does not exist is a clean exit 2', { timeout: 240_000 }, async () => {
      const dir = await tempDir('keys');
      await mkdir(path.join(dir, 'keys'));
      await writeFile(path.join(dir, 'keys/nhi-audit.pub'), 'old public key');
      const keys = await cli(['keys', 'generate', '--out', 'keys'], { cwd: dir });
      expect(keys.code).toBe(2);
      expect(keys.stderr).toContain('keys/nhi-audit.pub already exists; nothing was written');
      expect(await readdir(path.join(dir, 'keys'))).toEqual(['nhi-audit.pub']);
      for (const args of [['check', '--output', 'missing-dir/x.sarif'], ['run', '--output', 'missing-dir/x.json'], ['collect', '--output', 'missing-dir/x.json']]) {
        const result = await cli(args, { cwd: dir });
        expect(result.code, args[0]).toBe(2);
        expect(result.stderr, args[0]).toMatch(/^--(output|format): .*missing-dir does not exist; create it first/);
        expect(result.stderr.trim().split('\n'), args[0]).toHaveLength(1);
      }
    });
  });

  describe('report.pdf (issue 10, 7)', () => {
    it('has content on every page, whole header words, a unit on every control row and ids broken only after @ . / : -', { timeout: 240_000 }, async () => {
      const pages = await pdfPages(await readFile(path.join(q4, 'report.pdf')));
      expect(pages.length).toBeGreaterThan(5);
      pages.forEach((items, i) => {
        const body = items.filter((item) => !/ · page \d+ of \d+$/.test(item)).join('').trim();
        expect(body.length, `page ${i + 1} has only its footer`).toBeGreaterThan(0);
        expect(items.some((item) => item.endsWith(`page ${i + 1} of ${pages.length}`)), `page ${i + 1} footer`).toBe(true);
      });
      const all = pages.flat();
      for (const header of ['Classification', 'Privilege', 'Excepted', 'Severity', 'Frameworks']) expect(all, header).toContain(header);
      const controls = JSON.parse(await readFile(path.join(q4, 'controls.json'), 'utf8')).controls as { id: string }[];
      const units = pages.map((items) => items.join(' ')).join(' ').match(/counts \d+\s+(identities|credentials)/g) ?? [];
      expect(units.length).toBe(controls.length);
      const ids = (JSON.parse(await readFile(path.join(q4, 'inventory.json'), 'utf8')).identities as { id: string }[]).map((i) => i.id);
      let broken = 0;
      for (const id of ids) {
        for (const piece of all.filter((item) => item.length >= 6 && item !== id && id.startsWith(item))) {
          broken++;
          expect('@./:-', `${id} broken after "${piece}"`).toContain(piece.at(-1));
        }
      }
      expect(broken).toBeGreaterThan(0);
    });
  });

  describe('terminal safety and secrets (issue 10, 8 and 9)', () => {
    it('escapes control characters and bidi overrides the user or the data bring to the terminal', { timeout: 240_000 }, async () => {
      const hostile = '\u001b]0;pwned\u0007\u202eevil\u2066';
      const result = await cli(['sample', q4, '--seed', hostile, '--size', '1', '--no-seal'], { cwd });
      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(UNSAFE);
      expect(result.stdout).toContain('seed \\x1b]0;pwned\\x07\\u202eevil\\u2066');
      const missing = await cli(['verify', path.join(cwd, `no-such-pack${hostile}`), ...key], { cwd });
      expect(missing.code).toBe(1);
      expect(missing.stdout).not.toMatch(UNSAFE);
    });

    it('keeps no credential from a URL in raw pages, and the manifest says where it redacted', { timeout: 240_000 }, async () => {
      const manifest = JSON.parse(await readFile(path.join(q4, 'manifest.json'), 'utf8'));
      for (const file of (await listPackFiles(q4)).filter((f) => f.startsWith('raw/') || f.startsWith('inventory'))) {
        const text = await readFile(path.join(q4, file), 'utf8');
        expect(text, file).not.toContain('legacy-hook-pass-7f2a');
        expect(text, file).not.toContain('legacy-hook-token-91c3');
      }
      const hook = manifest.redactions.find((r: { redactions: { pointer: string }[] }) => r.redactions.some((x) => x.pointer === '/body/0/config/url'));
      expect(hook.page).toMatch(/^raw\/github\/corvid-systems\/repos_list-webhooks\.jsonl:\d+$/);
      expect(hook.redactions).toEqual([
        { pointer: '/body/0/config/url', reason: 'URL userinfo' },
        { pointer: '/body/0/config/url', reason: 'URL parameter' },
      ]);
      const [file, line] = hook.page.split(':') as [string, string];
      const page = JSON.parse((await readFile(path.join(q4, file), 'utf8')).split('\n')[Number(line) - 1]!);
      expect(page.body[0].config.url).toBe('https://[redacted]@ci.legacy-host.example/notify?job=storefront&token=[redacted]');
    });
  });
});
