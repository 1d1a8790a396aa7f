import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKey, publicKeyPem } from '../../src/evidence/keys.js';
import { digestFiles, listPackFiles, seal, SUMS_FILE, writeDigested } from '../../src/evidence/seal.js';
import { verifyPack } from '../../src/evidence/verify.js';

const key = generateSigningKey();

async function sealedPack(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-pack-'));
  await mkdir(path.join(dir, 'raw/aws/111111111111'), { recursive: true });
  await writeFile(path.join(dir, 'inventory.json'), '{"identities":[]}\n');
  await writeFile(path.join(dir, 'raw/aws/111111111111/GetAccountAuthorizationDetails-0001.json'), '{"page":1}\n');
  // The manifest lists the content files the way writePack does.
  const files = (await listPackFiles(dir)).filter((f) => f !== 'manifest.json');
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ runId: 'r1', files: await digestFiles(dir, files), signing: { algorithm: 'Ed25519', keyId: key.keyId } }));
  await seal(dir, key, { runId: 'r1', previousAttestationDigest: null });
  return dir;
}

describe('seal and verify', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await sealedPack();
  });

  it('a sealed pack verifies', async () => {
    const result = await verifyPack(dir, [key.publicKey]);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.files).toBe(6);
  });

  it('any single changed byte in any file fails verification', async () => {
    for (const file of await listPackFiles(dir)) {
      const full = path.join(dir, file);
      const original = await readFile(full);
      for (const position of new Set([0, Math.floor(original.length / 2), original.length - 1])) {
        const tampered = Buffer.from(original);
        tampered[position] = tampered[position]! ^ 0x01;
        await writeFile(full, tampered);
        const result = await verifyPack(dir, [key.publicKey]);
        expect(result.ok, `${file} byte ${position}`).toBe(false);
        await writeFile(full, original);
      }
    }
    expect((await verifyPack(dir, [key.publicKey])).ok).toBe(true);
  });

  it('another key does not verify it', async () => {
    const other = generateSigningKey();
    const result = await verifyPack(dir, [other.publicKey]);
    expect(result.problems.join('\n')).toMatch(/signed by key [0-9a-f]{64}, which is not one of the public keys given/);
  });

  it('an extra or a missing file fails, naming it', async () => {
    await writeFile(path.join(dir, 'raw/extra.json'), '{}');
    expect((await verifyPack(dir, [key.publicKey])).problems).toContain('raw/extra.json is in the pack but not in SHA256SUMS');
    await rm(path.join(dir, 'raw/extra.json'));
    await rm(path.join(dir, 'inventory.json'));
    expect((await verifyPack(dir, [key.publicKey])).problems).toContain('inventory.json is listed in SHA256SUMS but missing');
  });

  it('a link inside the pack fails', async () => {
    await symlink('/etc/hostname', path.join(dir, 'raw/link.json'));
    expect((await verifyPack(dir, [key.publicKey])).problems.join('\n')).toMatch(/raw\/link\.json is not a regular file/);
  });

  it('a path that leaves the pack fails even when its digest is right', async () => {
    const sums = await readFile(path.join(dir, SUMS_FILE), 'utf8');
    await writeFile(path.join(dir, SUMS_FILE), `${sums}${'0'.repeat(64)}  ../outside.json\n`);
    expect((await verifyPack(dir, [key.publicKey])).problems.join('\n')).toMatch(/points outside the pack/);
  });

  it('sha256sum and openssl alone verify it, as README shows', async () => {
    const keyFile = path.join(dir, '..', `${path.basename(dir)}.pub`);
    await writeFile(keyFile, publicKeyPem(key));
    execFileSync('sha256sum', ['-c', '--quiet', SUMS_FILE], { cwd: dir });
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', keyFile, '-rawin', '-in', SUMS_FILE, '-sigfile', 'SHA256SUMS.sig'], { cwd: dir }).toString();
    expect(out).toMatch(/Signature Verified Successfully/);
  });
});

describe('a pack file written in pieces', () => {
  const scratch = mkdtemp(path.join(os.tmpdir(), 'nhi-digested-'));
  afterAll(async () => rm(await scratch, { recursive: true, force: true }));
  const MiB = 1 << 20;
  // Pieces of every size around the mebibyte block, in one, two, three and four bytes a character.
  const piece = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.tuple(fc.constantFrom('a', 'é', '€', '😀'), fc.integer({ min: MiB / 8 - 3, max: MiB / 2 + 3 })).map(([c, n]) => c.repeat(n)),
    fc.constantFrom('x'.repeat(MiB + 1), '€'.repeat(MiB / 3 + 1)),
  );

  it('holds exactly the pieces, in order, and its digest and size are those of the bytes written', async () => {
    const dir = await scratch;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), async (pieces) => {
        const file = path.join(dir, `f${run++}`);
        const digest = await writeDigested(file, 'f', pieces);
        const bytes = await readFile(file);
        expect(bytes.toString('utf8')).toBe(pieces.join(''));
        expect(digest).toEqual({ path: 'f', sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
        await rm(file);
      }),
      { numRuns: 40 },
    );
  });

  // Blocks are written while the next are made: a write that fails must still fail the file, not pass unseen.
  it.runIf(existsSync('/dev/full'))('fails when the disk refuses a block, however many blocks are still being written', async () => {
    const blocks = Array.from({ length: 9 }, () => 'x'.repeat(MiB));
    await expect(writeDigested('/dev/full', 'full', blocks)).rejects.toThrow(/ENOSPC/);
    await expect(writeDigested('/dev/full', 'full', 'small')).rejects.toThrow(/ENOSPC/);
  });
});

describe('digesting a pack\'s files on threads', () => {
  async function filesOfSizes(sizes: readonly number[]): Promise<{ dir: string; files: string[] }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-digest-'));
    const files = sizes.map((_, i) => `d${i % 3}/f${i}.bin`);
    for (const [i, size] of sizes.entries()) {
      await mkdir(path.join(dir, `d${i % 3}`), { recursive: true });
      await writeFile(path.join(dir, files[i]!), Buffer.alloc(size, i + 1));
    }
    return { dir, files };
  }

  it('gives each file its sha256 and size, in the order given, as one thread does', async () => {
    // Sizes across the 1 MiB read: empty, smaller, exactly one read, one byte past it, several.
    const { dir, files } = await filesOfSizes([0, 5, 1 << 20, (1 << 20) + 1, 3_000_001, 17, 2 << 20]);
    const given = [...files].reverse();
    const onThreads = await digestFiles(dir, given, 0);
    expect(onThreads.map((d) => d.path)).toEqual(given);
    for (const d of onThreads) {
      const bytes = await readFile(path.join(dir, d.path));
      expect(d).toEqual({ path: d.path, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    }
    expect(await digestFiles(dir, given)).toEqual(onThreads);
    await rm(dir, { recursive: true, force: true });
  });

  it('a file that cannot be read fails the digest, naming it, on a thread as here', async () => {
    const { dir, files } = await filesOfSizes([10, 20, 30]);
    // A folder opens, but reading it fails: the failure comes from the thread's read, not from finding the file.
    const unreadable = [...files, 'd1'];
    for (const from of [0, undefined]) {
      await expect(digestFiles(dir, unreadable, from)).rejects.toMatchObject({ code: 'EISDIR', message: expect.stringContaining(path.join(dir, 'd1')) });
    }
    await rm(dir, { recursive: true, force: true });
  });
});
