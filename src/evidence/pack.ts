import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConnectorPackage } from '../config.js';
import type { Evaluation } from '../engine/evaluate.js';
import { collectionVerdict, type Logger, type Waiver } from '../sdk/index.js';
import { requestTimeStamp } from './timestamp.js';
import { stableJsonChunks, stableStringify } from '../stable-json.js';
import { summarize } from '../writers/summary.js';
import type { ResultSet } from '../writers/types.js';
import type { Cycle } from './cycle.js';
import type { SigningKey } from './keys.js';
import type { Operator } from './operator.js';
import type { PageRedactions } from '../engine/collect.js';
import type { EnrichmentChange } from '../engine/enrich.js';
import type { InputFile } from '../engine/pipeline.js';
import { sealInputs } from './inputs.js';
import type { PackEntry, PackLink } from './read-pack.js';
import { MANIFEST_FILE, TIMESTAMP_FILE, digestFiles, listPackFiles, pruneEmptyDirectories, seal, sha256, SEAL_FILES, writeDigested, type FileDigest } from './seal.js';

/**
 * 2: inputs/ with the manifest's IPE section, enrichment.json, redactions, baseline and backfill.
 * 3: raw pages as JSON Lines, one file per operation and scope (earlier packs: one file a page; both are read).
 */
export const PACK_FORMAT = 3;

/** What the join with the registries changed on each identity. */
export const ENRICHMENT_FILE = 'enrichment.json';

/** What one run did, for the manifest. */
export interface RunRecord {
  runId: string;
  cycle: Cycle;
  asOf: string;
  startedAt: string;
  finishedAt: string;
  operator: Operator;
  retentionYears: number;
  /** The git commit the tool ran from, when known. */
  toolCommit?: string;
  /** RFC 3161 time-stamping authority to stamp the manifest's digest with. */
  tsaUrl?: string;
  /** The connector packages that read sources: which code, outside this tool, produced part of the population. */
  plugins?: readonly ConnectorPackage[];
  /** A pack merged from the parts of a sharded collection: the plan and each part, with who collected it. */
  sharding?: Record<string, unknown>;
}

export interface PackContents {
  /** The run's results: every finding, or only those their summary lists when the findings' files were written already. */
  results: ResultSet;
  evaluation: Omit<Evaluation, 'findings'>;
  /** The effective configuration: env var names and file paths, never secret values. */
  config: unknown;
  /** The waivers as loaded: with the inventory and config, what `reperform` needs to repeat the evaluation. */
  waivers: readonly Waiver[];
  /** Every file the run read (config, registries, waivers, exports), sealed under inputs/. */
  inputs: readonly InputFile[];
  /** What the join with the registries changed, so `reperform` can repeat it from the pack. */
  enrichment: readonly EnrichmentChange[];
  /** Raw pages whose secrets were replaced before they were written. */
  redactions: readonly PageRedactions[];
  /**
   * Files the writers rendered, by pack path (inventory.csv, findings.csv, summary.md, ...); those that grow with
   * the population come as pieces, written one after another.
   */
  rendered: Record<string, PackFileContent>;
  /** Files already written into the staging folder as they were made (findings.json, findings.csv, exceptions.csv), with their digests. */
  written?: readonly FileDigest[];
}

/** How a new pack names older ones: the chain's head (sealed last) and the complete pack it is compared with. */
export interface PackLinks {
  previous: PackLink | undefined;
  baseline: PackLink | undefined;
  /** The new pack's as-of precedes the previous pack's, and the operator said so. */
  backfill: boolean;
}

/** Sortable and unique: the wall-clock start, then random hex so two runs in one second never collide. */
export function newRunId(startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function json(value: unknown): string {
  return `${stableStringify(value, 2)}\n`;
}

export function linkTo(output: string, entry: PackEntry, attestationDigest: string): PackLink {
  return { path: path.relative(output, entry.dir), runId: entry.manifest.runId, cycle: entry.manifest.cycle.id, attestationDigest };
}

function retainUntil(finishedAt: string, years: number): string {
  const date = new Date(finishedAt);
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date.toISOString().slice(0, 10);
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** A pack file's content: whole, or in pieces. */
type PackFileContent = string | Buffer | Iterable<string>;

/**
 * The digests made as files were written, each as long as its file still has the size it was written with; one that
 * does not (something wrote to it afterwards) is left out, and the file is read and digested again.
 */
export async function stillAsWritten(staging: string, digests: readonly FileDigest[]): Promise<FileDigest[]> {
  const sizes = await Promise.all(digests.map(async (d) => (await lstat(path.join(staging, d.path)).catch(() => undefined))?.size));
  return digests.filter((d, i) => sizes[i] === d.size);
}

/**
 * Writes the content files into the staging folder (raw/ is already there), then the manifest, then seals it.
 * The folder is renamed to its final place only once sealed, so a pack is either whole or absent.
 */
export async function writePack(
  staging: string,
  finalDir: string,
  contents: PackContents,
  record: RunRecord,
  key: SigningKey,
  links: PackLinks,
  log: Logger,
): Promise<{ dir: string; attestationDigest: string }> {
  const { results, evaluation } = contents;
  const { previous, baseline } = links;
  const configText = json(contents.config);
  const files: Record<string, PackFileContent> = {
    'controls.json': json({ controls: results.controls }),
    'config.json': configText,
    'waivers.json': json({ waivers: contents.waivers }),
    // In pieces: at a million identities the join changes most of them.
    [ENRICHMENT_FILE]: stableJsonChunks({}, 'changes', contents.enrichment),
    ...contents.rendered,
  };
  const inputs = await sealInputs(staging, contents.inputs);
  const written: FileDigest[] = await stillAsWritten(staging, contents.written ?? []);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(staging, name)), { recursive: true });
    written.push(await writeDigested(path.join(staging, name), name, content));
  }

  await pruneEmptyDirectories(staging);
  const sealFiles: readonly string[] = SEAL_FILES;
  const writtenNames = new Set(written.map((d) => d.path));
  const others = (await listPackFiles(staging)).filter((f) => f !== MANIFEST_FILE && f !== TIMESTAMP_FILE && !sealFiles.includes(f) && !writtenNames.has(f));
  // raw/ and inputs/ were written before; each is read once here, and the seal reuses every digest.
  const digests = [...written, ...(await digestFiles(staging, others))].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const incomplete = results.sources.filter((s) => s.verdict === 'incomplete').map((s) => s.source);
  const unreconciled = results.sources.filter((s) => s.verdict === 'unreconciled').map((s) => s.source);
  const manifest = {
    packFormat: PACK_FORMAT,
    tool: results.tool,
    toolCommit: record.toolCommit ?? null,
    runId: record.runId,
    organization: results.organization ?? null,
    cycle: record.cycle,
    asOf: record.asOf,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    operator: record.operator,
    configDigest: sha256(configText),
    verdict: collectionVerdict(results.sources),
    incompleteSources: incomplete,
    unreconciledSources: unreconciled,
    sources: results.sources,
    plugins: record.plugins ?? [],
    ...(record.sharding ? { sharding: record.sharding } : {}),
    population: {
      identities: results.identities.length,
      evaluated: evaluation.evaluated,
      excluded: evaluation.excluded,
      byKind: countBy(results.identities, (i) => i.kind),
      bySource: countBy(results.identities, (i) => i.source),
    },
    results: Object.fromEntries(Object.entries(summarize(results).counts).filter(([, n]) => n > 0)),
    thresholds: Object.fromEntries(results.controls.map((c) => [c.id, { severity: c.severity, ...c.options }])),
    ipe: { inputs, enrichment: ENRICHMENT_FILE },
    redactions: contents.redactions,
    files: digests,
    previous: previous ?? null,
    baseline: baseline ?? null,
    backfill: links.backfill,
    retainUntil: retainUntil(record.finishedAt, record.retentionYears),
    signing: { algorithm: 'Ed25519', keyId: key.keyId },
  };
  const manifestText = json(manifest);
  const manifestDigest = await writeDigested(path.join(staging, MANIFEST_FILE), MANIFEST_FILE, manifestText);
  const timestamp = record.tsaUrl ? await stampManifest(staging, record.tsaUrl, manifestText, log) : undefined;
  const { attestationDigest } = await seal(staging, key, {
    ...(timestamp ? { timestamp } : {}),
    runId: record.runId,
    cycle: record.cycle.id,
    asOf: record.asOf,
    verdict: manifest.verdict,
    tool: results.tool,
    previousAttestationDigest: previous?.attestationDigest ?? null,
  }, [...digests, manifestDigest]);
  await mkdir(path.dirname(finalDir), { recursive: true });
  await rename(staging, finalDir);
  return { dir: finalDir, attestationDigest };
}

/**
 * Stamps the manifest's digest and keeps the reply as manifest.tsr. A TSA that fails does not cost the
 * collection: the pack is sealed without the stamp and its attestation says why.
 */
async function stampManifest(staging: string, tsaUrl: string, manifestText: string, log: Logger): Promise<Record<string, unknown>> {
  try {
    const { reply, token } = await requestTimeStamp(tsaUrl, createHash('sha256').update(manifestText).digest());
    await writeFile(path.join(staging, TIMESTAMP_FILE), reply);
    return { tsaUrl, genTime: token.genTime, file: TIMESTAMP_FILE };
  } catch (error) {
    log.warn({ tsaUrl, err: (error as Error).message }, 'time-stamping failed; the pack is sealed without a timestamp');
    return { tsaUrl, error: (error as Error).message };
  }
}

export async function discardStaging(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true });
}
