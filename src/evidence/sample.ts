import { createHash, hash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ExitError, EXIT, type Finding, type FindingStatus } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { toCsv } from '../writers/csv.js';
import type { SigningKey } from './keys.js';
import type { PackHead } from './read-pack.js';
import { digestFiles, listPackFiles, MANIFEST_FILE, seal } from './seal.js';

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

type SampleItem = Pick<Finding, 'controlId' | 'identityId' | 'status' | 'message'> & { credentialId?: string | undefined };
type Selected = SampleSelection['selected'][number];

/**
 * A seeded selection that depends only on the population and the seed: the same items on any machine. Findings
 * are fed one at a time (a pack's findings.json streams past), and only the population's keys and the `size`
 * lowest-ranked items so far are held.
 */
export class Sampler {
  private readonly keys: string[] = [];
  private candidates: Selected[] = [];
  /** Rank of the worst item kept once the candidates were last cut to `size`: an item ranked at or above it can never be selected. */
  private bound: string | undefined;

  constructor(private readonly options: { size: number; seed: string; filter: SampleFilter }) {}

  add(finding: SampleItem): void {
    const { controlId, status } = this.options.filter;
    if ((controlId && finding.controlId !== controlId) || (status && finding.status !== status)) return;
    const key = itemKey(finding);
    this.keys.push(key);
    const rank = hash('sha256', `${this.options.seed}\n${key}`, 'hex');
    if (this.bound !== undefined && rank >= this.bound) return;
    this.candidates.push({
      key,
      rank,
      controlId: finding.controlId,
      identityId: finding.identityId,
      ...(finding.credentialId !== undefined ? { credentialId: finding.credentialId } : {}),
      status: finding.status,
      message: finding.message,
    });
    if (this.candidates.length >= 2 * this.options.size) this.cut();
  }

  /** Keeps the `size` lowest ranks; cutting at twice the size keeps the work to O(n log size). */
  private cut(): void {
    this.candidates.sort(byRank);
    this.candidates.length = Math.min(this.candidates.length, this.options.size);
    if (this.candidates.length === this.options.size) this.bound = this.candidates.at(-1)!.rank;
  }

  selection(): SampleSelection {
    this.cut();
    // The population's digest is over its keys in code-unit order; a population that arrives so needs no sort.
    if (!isSorted(this.keys)) this.keys.sort();
    const digest = createHash('sha256');
    this.keys.forEach((key, i) => digest.update(i === 0 ? key : `\n${key}`));
    return {
      method: SAMPLE_METHOD,
      seed: this.options.seed,
      size: this.options.size,
      filter: this.options.filter,
      populationSize: this.keys.length,
      populationSha256: digest.digest('hex'),
      selected: this.candidates,
    };
  }
}

const byRank = (a: Selected, b: Selected) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0);

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
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
