import type { KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ATTESTATION_FILE, MANIFEST_FILE, sha256 } from './seal.js';
import { verifyPack } from './verify.js';

export interface ChainLink {
  dir: string;
  runId: string;
  cycle: string;
  finishedAt: string;
  ok: boolean;
}

export interface ChainVerification {
  ok: boolean;
  packs: ChainLink[];
  problems: string[];
}

interface Candidate {
  dir: string;
  manifest: { runId: string; finishedAt: string; cycle: { id: string }; previous: { runId: string; attestationDigest: string } | null };
}

/** The sealed packs under an output folder (`<cycle>/<run-id>/`), oldest first; addenda and staging folders are not packs. */
async function packsUnder(root: string): Promise<Candidate[]> {
  const found: Candidate[] = [];
  for (const cycle of await readdir(root, { withFileTypes: true })) {
    if (!cycle.isDirectory() || cycle.name.startsWith('.')) continue;
    for (const run of await readdir(path.join(root, cycle.name), { withFileTypes: true })) {
      if (!run.isDirectory() || run.name.startsWith('.') || run.name.endsWith('.samples')) continue;
      const dir = path.join(root, cycle.name, run.name);
      const text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8').catch(() => undefined);
      if (text !== undefined) found.push({ dir, manifest: JSON.parse(text) as Candidate['manifest'] });
    }
  }
  return found.sort((a, b) => (a.manifest.finishedAt < b.manifest.finishedAt ? -1 : a.manifest.finishedAt > b.manifest.finishedAt ? 1 : 0));
}

/**
 * Verifies every pack under `root` and the chain between them: each pack must name the one sealed before it
 * by run id and attestation digest, so altering or removing an older pack breaks every later link.
 */
export async function verifyChain(root: string, publicKey: KeyObject): Promise<ChainVerification> {
  const problems: string[] = [];
  const packs: ChainLink[] = [];
  const candidates = await packsUnder(root).catch((error: Error) => {
    problems.push(`${root}: ${error.message}`);
    return [] as Candidate[];
  });
  if (candidates.length === 0 && problems.length === 0) problems.push(`${root}: no sealed packs found (expected <cycle>/<run-id>/manifest.json)`);
  let previous: { runId: string; digest: string } | undefined;
  for (const { dir, manifest } of candidates) {
    const result = await verifyPack(dir, publicKey);
    const relative = path.relative(root, dir);
    problems.push(...result.problems.map((p) => `${relative}: ${p}`));
    const link = manifest.previous;
    if (previous && (link?.runId !== previous.runId || link.attestationDigest !== previous.digest)) {
      problems.push(`${relative}: does not name the pack before it (${previous.runId}) with that pack's attestation digest`);
    }
    if (!previous && link) problems.push(`${relative}: names a previous pack ${link.runId} that is not under ${root}`);
    const attestation = await readFile(path.join(dir, ATTESTATION_FILE)).catch(() => Buffer.alloc(0));
    previous = { runId: manifest.runId, digest: sha256(attestation) };
    packs.push({ dir, runId: manifest.runId, cycle: manifest.cycle.id, finishedAt: manifest.finishedAt, ok: result.ok });
  }
  return { ok: problems.length === 0, packs, problems };
}
