import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ExitError, EXIT, type Finding, type FindingStatus } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { toCsv } from '../writers/csv.js';
import type { SigningKey } from './keys.js';
import type { PackHead } from './read-pack.js';
import { digestFiles, listPackFiles, MANIFEST_FILE, seal, sha256 } from './seal.js';

export interface SampleFilter {
  controlId?: string;
  status?: FindingStatus;
}

export interface SampleSelection {
  method: string;
  seed: string;
  size: number;
  filter: SampleFilter;
  populationSize: number;
  /** sha256 of the population's item keys, sorted, one per line: proves which population was sampled. */
  populationSha256: string;
  selected: (Pick<Finding, 'controlId' | 'identityId' | 'status' | 'message'> & { credentialId?: string; key: string; rank: string })[];
}

export const SAMPLE_METHOD =
  'Each item of the population is ranked by SHA-256 of the seed, a line feed and the item key ' +
  '(control id, identity id and credential id joined by "|"); the items with the lowest ranks are selected. ' +
  'Anyone can repeat the selection with sha256sum.';

export function itemKey(finding: Pick<Finding, 'controlId' | 'identityId' | 'credentialId'>): string {
  return `${finding.controlId}|${finding.identityId}|${finding.credentialId ?? ''}`;
}

/** A seeded selection that depends only on the population and the seed: the same items on any machine. */
export function selectSample(findings: readonly Finding[], options: { size: number; seed: string; filter: SampleFilter }): SampleSelection {
  const { controlId, status } = options.filter;
  const population = findings.filter((f) => (!controlId || f.controlId === controlId) && (!status || f.status === status));
  const keys = population.map(itemKey).sort();
  const ranked = population
    .map((finding) => ({ finding, key: itemKey(finding), rank: sha256(`${options.seed}\n${itemKey(finding)}`) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return {
    method: SAMPLE_METHOD,
    seed: options.seed,
    size: options.size,
    filter: options.filter,
    populationSize: population.length,
    populationSha256: sha256(keys.join('\n')),
    selected: ranked.slice(0, options.size).map(({ finding, key, rank }) => ({
      key,
      rank,
      controlId: finding.controlId,
      identityId: finding.identityId,
      ...(finding.credentialId !== undefined ? { credentialId: finding.credentialId } : {}),
      status: finding.status,
      message: finding.message,
    })),
  };
}

/** The addendum's folder name: what was sampled, so a repeat of the same request finds the same folder. */
export function sampleId(selection: SampleSelection): string {
  const parts = ['sample', selection.filter.controlId ?? 'all-controls', selection.filter.status ?? 'any-status', `n${selection.size}`, `seed-${selection.seed}`];
  return parts.join('_').replace(/[^A-Za-z0-9._-]+/g, '-');
}

/**
 * Writes a selection as a signed addendum beside the sealed pack (`<pack>.samples/<sample-id>/`), never inside it:
 * its manifest names the pack by run id and attestation digest, so the addendum is bound to that pack.
 */
export async function writeSampleAddendum(
  pack: PackHead,
  selection: SampleSelection,
  key: SigningKey,
  frequencyTable: Record<string, number>,
): Promise<{ dir: string; existed: boolean }> {
  const dir = path.join(`${pack.dir}.samples`, sampleId(selection));
  const existing = await readFile(path.join(dir, MANIFEST_FILE), 'utf8').catch(() => undefined);
  if (existing !== undefined) {
    // Sealed addenda are immutable: the same request finds the same selection, or something has changed.
    if (stableStringify((JSON.parse(existing) as { sample: unknown }).sample) === stableStringify(selection)) return { dir, existed: true };
    throw new ExitError(EXIT.usage, `${dir} holds a different selection for the same request: the pack is not the one it was drawn from`);
  }
  const staging = `${dir}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const rows = selection.selected.map((s) => [s.rank, s.controlId, s.identityId, s.credentialId ?? '', s.status, s.message]);
    await writeFile(path.join(staging, 'sample.csv'), toCsv(['rank', 'control_id', 'identity_id', 'credential_id', 'status', 'message'], rows));
    const files = await digestFiles(staging, await listPackFiles(staging));
    const manifest = {
      kind: 'sample-addendum',
      pack: { runId: pack.manifest.runId, cycle: pack.manifest.cycle.id, asOf: pack.manifest.asOf, attestationDigest: pack.attestationDigest },
      sample: selection,
      frequencyTable,
      files,
      signing: { algorithm: 'Ed25519', keyId: key.keyId },
    };
    await writeFile(path.join(staging, MANIFEST_FILE), `${stableStringify(manifest, 2)}\n`);
    await seal(staging, key, { kind: 'sample-addendum', packAttestationDigest: pack.attestationDigest, seed: selection.seed });
    await rename(staging, dir);
    return { dir, existed: false };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
