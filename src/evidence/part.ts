import type { KeyObject } from 'node:crypto';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { SourceResult } from '../engine/collect.js';
import { ExitError, EXIT, formatPath, IdentitySchema, SourceCompletenessSchema, type Identity } from '../sdk/index.js';
import type { SigningKey } from './keys.js';
import type { Operator } from './operator.js';
import { json } from './pack.js';
import { openPlan, type OpenedPlan } from './plan.js';
import { readJsonItems } from './read-pack.js';
import { stableJsonChunks } from '../stable-json.js';
import { MANIFEST_FILE, SEAL_FILES, digestFiles, listPackFiles, pruneEmptyDirectories, seal } from './seal.js';
import { verifyPack } from './verify.js';

export const PART_PLAN_FILE = 'plan.json';
export const PART_INVENTORY_FILE = 'inventory.json';

/** One unit of a plan: a scope of a source, or a source read whole (`scope: null`). */
export const PlannedUnitSchema = z.object({ source: z.string(), scope: z.string().nullable() }).strict();
export type PlannedUnit = z.infer<typeof PlannedUnitSchema>;

const PartManifestSchema = z.looseObject({
  kind: z.literal('shard-part'),
  planDigest: z.string(),
  /** `i/N`. */
  shard: z.string().regex(/^\d+\/\d+$/),
  units: z.array(PlannedUnitSchema),
  asOf: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  operator: z.looseObject({ user: z.string(), host: z.string() }),
  sources: z.array(SourceCompletenessSchema),
  redactions: z.array(z.object({ page: z.string(), redactions: z.array(z.object({ pointer: z.string(), reason: z.enum(['secret field', 'URL userinfo', 'URL parameter']) })) })),
  files: z.array(z.object({ path: z.string(), sha256: z.string(), size: z.number() }).strict()),
});
export type PartManifest = z.infer<typeof PartManifestSchema>;

export interface PartRecord {
  planDigest: string;
  shard: { index: number; count: number };
  units: readonly PlannedUnit[];
  asOf: string;
  startedAt: string;
  finishedAt: string;
  operator: Operator;
  tool: { name: string; version: string };
}

/**
 * Writes one shard's collection as a sealed folder: its raw pages (collected into `<staging>/raw` already), the
 * plan it followed, the identities it read (before enrichment: the merge joins the registries once, over all),
 * and a manifest with each source's completeness; sealed and signed like a pack, then moved to `out`.
 */
export async function writePart(
  staging: string,
  out: string,
  planBytes: Buffer,
  results: readonly SourceResult[],
  record: PartRecord,
  key: SigningKey,
): Promise<void> {
  await writeFile(path.join(staging, PART_PLAN_FILE), planBytes);
  await writeFile(path.join(staging, PART_INVENTORY_FILE), stableJsonChunks({}, 'identities', results.flatMap((r) => r.identities)));
  await pruneEmptyDirectories(staging);
  const sealFiles: readonly string[] = SEAL_FILES;
  const files = await digestFiles(staging, (await listPackFiles(staging)).filter((f) => f !== MANIFEST_FILE && !sealFiles.includes(f)));
  const shard = `${record.shard.index}/${record.shard.count}`;
  const manifest = {
    kind: 'shard-part',
    tool: record.tool,
    planDigest: record.planDigest,
    shard,
    units: record.units,
    asOf: record.asOf,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    operator: record.operator,
    sources: results.map((r) => r.completeness),
    redactions: results.flatMap((r) => r.redactions),
    files,
    signing: { algorithm: 'Ed25519', keyId: key.keyId },
  };
  await writeFile(path.join(staging, MANIFEST_FILE), json(manifest));
  await seal(staging, key, { kind: 'shard-part', planDigest: record.planDigest, shard });
  await rename(staging, out);
}

/** A folder `collect --plan` may write into: absent, or nothing there yet. */
export async function checkPartOutput(out: string): Promise<void> {
  const existing = await stat(out).catch(() => undefined);
  if (existing) throw new ExitError(EXIT.usage, `--out: ${out} already exists; a part is written into a new folder (remove it or name another)`);
}

export async function discardPartStaging(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true });
}

export interface OpenedPart {
  dir: string;
  manifest: PartManifest;
  plan: OpenedPlan;
  shard: { index: number; count: number };
  /** The part's attestation digest: how the merged pack names it. */
  attestationDigest: string;
  /** Every identity it collected, by source. */
  identities: Identity[];
}

/** Opens a part, verified against the trusted keys first: a part that does not verify is an input error naming it. */
export async function openPart(dir: string, keys: readonly KeyObject[]): Promise<OpenedPart> {
  const refuse = (lines: string[], fix: string) => new ExitError(EXIT.usage, `${dir}: ${lines.length > 1 ? `\n${lines.map((l) => `  ${l}`).join('\n')}\n` : `${lines[0]}; `}${fix}`);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new ExitError(EXIT.usage, `${dir}: no such folder; name the folders \`nhi-audit collect --plan --shard\` wrote`);
  }
  const verification = await verifyPack(dir, keys);
  if (!verification.ok) {
    throw refuse(
      verification.problems.slice(0, 20),
      'this is not a part as `nhi-audit collect --plan --shard` sealed it (tampered, truncated or not a part): collect that shard again',
    );
  }
  const parsed = PartManifestSchema.safeParse(verification.manifest);
  if (!parsed.success) {
    throw refuse(
      parsed.error.issues.slice(0, 10).map((i) => `${MANIFEST_FILE}: ${formatPath(i.path) || 'manifest'}: ${i.message}`),
      'this is a sealed folder but not a part written by `nhi-audit collect --plan --shard`',
    );
  }
  const manifest = parsed.data;
  const plan = await openPlan(path.join(dir, PART_PLAN_FILE), keys);
  if (plan.digest !== manifest.planDigest) throw refuse([`${MANIFEST_FILE}: planDigest does not name the plan the part holds`], 'collect that shard again');
  const [index, count] = manifest.shard.split('/').map(Number) as [number, number];
  const identities = await readJsonItems(dir, PART_INVENTORY_FILE, 'identities', IdentitySchema);
  return { dir, manifest, plan, shard: { index, count }, attestationDigest: verification.attestationDigest!, identities };
}

/** Copies the named files of a part into the pack being written, byte for byte. */
export async function copyPartFiles(part: OpenedPart, files: readonly string[], staging: string): Promise<void> {
  for (const file of files) {
    await mkdir(path.dirname(path.join(staging, file)), { recursive: true });
    await copyFile(path.join(part.dir, file), path.join(staging, file));
  }
}
