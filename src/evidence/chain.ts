import type { KeyObject } from 'node:crypto';
import { listPacks } from './read-pack.js';
import { verifyPack } from './verify.js';

export interface ChainLink {
  relative: string;
  runId: string;
  cycle: string;
  finishedAt: string;
  keyId: string;
  ok: boolean;
}

export interface ChainVerification {
  ok: boolean;
  packs: ChainLink[];
  problems: string[];
  /** Where the signing key changed from one pack to the next (a key rotation). */
  keyChanges: { at: string; from: string; to: string }[];
  /** The newest pack's attestation digest: what an auditor records to detect a later pack being removed. */
  head?: { relative: string; attestationDigest: string };
}

/**
 * Verifies every pack under `root` and the chain between them: each pack must name the one sealed before it by
 * run id and attestation digest, so altering or removing an older pack breaks every later link. Each pack is
 * checked with the key it names, which must be one of `keys`; a folder that should be a pack and is not fails.
 */
export async function verifyChain(root: string, keys: readonly KeyObject[]): Promise<ChainVerification> {
  const { packs: found, problems } = await listPacks(root);
  const packs: ChainLink[] = [];
  const keyChanges: ChainVerification['keyChanges'] = [];
  if (found.length === 0 && problems.length === 0) problems.push(`${root}: no sealed packs found (expected <cycle>/<run-id>/manifest.json)`);
  let previous: { runId: string; digest: string; keyId: string } | undefined;
  let head: ChainVerification['head'];
  for (const { dir, relative, manifest } of found) {
    const result = await verifyPack(dir, keys);
    problems.push(...result.problems.map((p) => `${relative}: ${p}`));
    const link = manifest.previous;
    if (previous && (link?.runId !== previous.runId || link.attestationDigest !== previous.digest)) {
      problems.push(`${relative}: does not name the pack before it (${previous.runId}) with that pack's attestation digest`);
    }
    if (!previous && link) problems.push(`${relative}: names a previous pack ${link.runId} that is not under ${root}`);
    const keyId = manifest.signing.keyId;
    if (previous && previous.keyId !== keyId) keyChanges.push({ at: relative, from: previous.keyId, to: keyId });
    const digest = result.attestationDigest ?? '';
    previous = { runId: manifest.runId, digest, keyId };
    head = { relative, attestationDigest: digest };
    packs.push({ relative, runId: manifest.runId, cycle: manifest.cycle.id, finishedAt: manifest.finishedAt, keyId, ok: result.ok });
  }
  return { ok: problems.length === 0, packs, problems, keyChanges, ...(head ? { head } : {}) };
}
