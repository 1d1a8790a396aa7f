import type { KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { JSONParser } from '@streamparser/json';
import path from 'node:path';
import { z } from 'zod';
import type { EnrichmentChange } from '../engine/enrich.js';
import type { InputFile } from '../engine/pipeline.js';
import {
  ConfigError,
  ExitError,
  EXIT,
  type Finding,
  FindingSchema,
  formatPath,
  type Identity,
  type Problem,
  IdentitySchema,
  type SourceCompleteness,
  SourceCompletenessSchema,
  VerdictSchema,
  type Waiver,
  WaiverSchema,
} from '../sdk/index.js';
import type { ControlInForce, ResultSet } from '../writers/types.js';
import { findingBriefsOffThread, identitiesOffThread, identityBrief, LIST_BATCH, listBatches, worthAThread, type FindingBrief, type IdentityBrief } from './pack-list-thread.js';
import { fileChunks, fileText } from './file-chunks.js';
import { isPlainFinding } from './finding-guard.js';
import { ItemScanner } from './item-scanner.js';
import { ATTESTATION_FILE, MANIFEST_FILE, sha256, TextDigest } from './seal.js';
import { stableStringify } from '../stable-json.js';
import { verifyPack } from './verify.js';
import type { StreamedPackSide } from './diff.js';

/** Run ids name folders: a shape that cannot leave the output folder (`20261120T101500Z-3f9a2c`). */
export const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** How a pack names another: the chain's previous pack, or the complete pack its changes are measured against. */
const PackLinkSchema = z.object({ path: z.string(), runId: z.string(), cycle: z.string(), attestationDigest: z.string() });
export type PackLink = z.infer<typeof PackLinkSchema>;

/** A file the run read, sealed under inputs/: the manifest's IPE section lists each. */
const SealedInputSchema = z.object({
  kind: z.enum(['config', 'waivers', 'owners', 'hr-roster', 'approvals', 'privileged-access', 'systems', 'recertification', 'export']),
  source: z.string().optional(),
  path: z.string(),
  originalPath: z.string(),
  sha256: z.string(),
  size: z.number(),
  rows: z.number().nullable(),
});
export type SealedInput = z.infer<typeof SealedInputSchema>;

/** The parts of manifest.json that commands read back. */
const ManifestSchema = z.looseObject({
  packFormat: z.number(),
  tool: z.looseObject({ name: z.string(), version: z.string() }),
  runId: z.string().regex(RUN_ID, 'expected a run id such as 20261120T101500Z-3f9a2c'),
  organization: z.string().nullable(),
  cycle: z.object({ id: z.string(), start: z.string(), end: z.string() }),
  asOf: z.string(),
  finishedAt: z.string(),
  verdict: VerdictSchema,
  sources: z.array(SourceCompletenessSchema),
  previous: PackLinkSchema.nullable(),
  baseline: PackLinkSchema.nullable().optional(),
  backfill: z.boolean().optional(),
  ipe: z.object({ inputs: z.array(SealedInputSchema), enrichment: z.string() }).optional(),
  signing: z.object({ algorithm: z.string(), keyId: z.string() }),
  /** Every file but the seal's own, with the digest SHA256SUMS holds for it (verification checked they agree). */
  files: z.array(z.looseObject({ path: z.string(), sha256: z.string(), size: z.number() })).optional(),
});
export type PackManifest = z.infer<typeof ManifestSchema>;

const ControlInForceSchema = z.looseObject({
  id: z.string(),
  title: z.string(),
  severity: z.string(),
  appliesTo: z.array(z.string()),
  rationale: z.string(),
  remediation: z.string(),
  options: z.record(z.string(), z.unknown()),
  mappings: z.array(z.looseObject({ framework: z.string(), ids: z.array(z.string()) })),
});

/** The population-sized lists of a pack, read only by the commands that use them (at scale, most of opening one). */
export interface PackLists {
  identities: Identity[];
  findings: Finding[];
}
export type PackList = keyof PackLists;
const PACK_LISTS: readonly PackList[] = ['identities', 'findings'];

/** A verified pack, with the lists `L` read. */
export type PackData<L extends PackList = PackList> = PackHead & Pick<PackLists, L>;

export interface PackHead {
  /** The pack's folder, absolute: a trailing slash or `.` in what the user typed is gone. */
  dir: string;
  manifest: PackManifest;
  controls: ControlInForce[];
  waivers: Waiver[];
  /** The effective configuration the run used. */
  config: Record<string, unknown>;
  /** sha256 of attestation.dsse.json: what the next pack in the chain names. */
  attestationDigest: string;
  /** How it was verified before it was read. */
  verification: { keyId: string; signatureChecked: boolean };
}

async function readJson<T>(dir: string, file: string, schema: z.ZodType<T>): Promise<T> {
  const full = path.join(dir, file);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(full, 'utf8'));
  } catch (error) {
    throw new ConfigError(full, [{ path: '', message: `cannot read it as JSON (${(error as Error).message}); is ${dir} a sealed pack?` }]);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ConfigError(full, parsed.error.issues.slice(0, 10).map((i) => ({ path: formatPath(i.path), message: i.message })));
  return parsed.data;
}

/**
 * The items of the top-level array `key` of a file laid out as packs write it, and (read to the end with
 * `keepAround`) what the file holds besides, the array left empty; undefined when the file is laid out otherwise.
 */
async function indentedItems(
  full: string,
  key: string,
  onItem: (text: string, oneLine: boolean) => void,
  keepAround: boolean,
  beforeChunk?: (chunk: string) => Promise<void> | undefined,
): Promise<Record<string, unknown> | undefined> {
  const scanner = new ItemScanner(key, onItem, keepAround);
  for await (const chunk of fileText(full)) {
    await beforeChunk?.(chunk);
    if (!scanner.push(chunk)) return undefined;
    if (scanner.done && !keepAround) break;
  }
  if (!scanner.done) return undefined;
  return keepAround ? (JSON.parse(scanner.around()) as Record<string, unknown>) : {};
}

/**
 * The items of one array of a pack's JSON file (`identities` of inventory.json, `findings` of findings.json),
 * parsed as the file streams past and each validated on its own: no string of the whole file is ever built.
 */
export async function readJsonItems<T>(dir: string, file: string, key: string, schema: z.ZodType<T>): Promise<T[]> {
  let items: T[] = [];
  await forEachJsonItem(dir, file, key, schema, () => {
    items = [];
    return { item: (item) => void items.push(item) };
  });
  return items;
}

/** What takes a pack file's items one at a time. */
export interface ItemConsumer<T> {
  /** An item as validated, and the text it was parsed from when read as packs lay their files out. */
  item(value: T, text?: string): void;
  /**
   * An item sealed whole on one line, as that line's text (compact canonical JSON); `read` parses and validates
   * it. Without this, such items come to `item` too.
   */
  line?(text: string, read: () => T): void;
  /**
   * Awaited before each piece of the file is scanned, given its text: a consumer that fills what it compares the
   * items with asynchronously makes ready for as many items as the piece can finish (one a line at most, in the
   * one-line layout). Items read otherwise (another layout) come without it.
   */
  ready?(chunk: string): Promise<void>;
}

/**
 * Guards that take an item as parsed when it is plainly valid, for the schemas whose items a pack holds by the
 * million: the schema then sees only what the guard does not vouch for, and names its problems.
 */
const PLAIN_ITEMS = new Map<z.ZodType, (value: unknown) => boolean>([[FindingSchema, isPlainFinding]]);

/** Validates the items of array `key`, noting the first ten problems in `problems`: undefined for an invalid item. */
function validator<T>(schema: z.ZodType<T>, key: string, problems: Problem[]): (value: unknown, index: number) => T | undefined {
  const plain = PLAIN_ITEMS.get(schema);
  return (value, index) => {
    if (plain?.(value)) return value as T;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    if (problems.length < 10) problems.push(...parsed.error.issues.slice(0, 10 - problems.length).map((i) => ({ path: formatPath([key, index, ...i.path]), message: i.message })));
    return undefined;
  };
}

/**
 * The items of one array of a pack's JSON file, validated, in file order, pulled a piece of the file at a time:
 * for walking two packs' lists in step without holding either. A file laid out otherwise than packs write it is
 * read by the streaming tokenizer; an invalid item ends the walk with an error naming it.
 */
export async function* jsonItems<T>(dir: string, file: string, key: string, schema: z.ZodType<T>): AsyncGenerator<T> {
  const full = path.join(dir, file);
  const problems: Problem[] = [];
  const validate = validator(schema, key, problems);
  const batch: T[] = [];
  const take = (value: unknown, index: number) => {
    const item = validate(value, index);
    if (item !== undefined) batch.push(item);
  };
  let index = 0;
  let handed = 0;
  const scanner = new ItemScanner(key, (text) => take(JSON.parse(text), index++));
  for await (const chunk of fileText(full)) {
    let laidOut: boolean;
    try {
      laidOut = scanner.push(chunk);
    } catch {
      laidOut = false;
    }
    if (!laidOut) break;
    if (problems.length > 0) throw new ConfigError(full, problems);
    handed += batch.length;
    yield* batch.splice(0);
    if (scanner.done) return;
  }
  if (handed > 0) throw notLaidOutPast(full, key, handed);
  // Laid out otherwise: the streaming tokenizer reads any JSON, from the start.
  batch.length = 0;
  const tokens = tokenized(full, dir, key, take);
  try {
    for (let step = await tokens.next(); ; step = await tokens.next()) {
      if (problems.length > 0) throw new ConfigError(full, problems);
      if (step.done) {
        if (!step.value) throw new ConfigError(full, [{ path: key, message: 'expected an array' }]);
        return;
      }
      yield* batch.splice(0);
    }
  } finally {
    // A walk left early closes the file too.
    await tokens.return(false);
  }
}

/**
 * A file read on as packs lay theirs out, items handed on, and then found laid out otherwise: it cannot be read
 * again from the start, as what was handed on cannot be taken back.
 */
export function notLaidOutPast(full: string, key: string, handed: number): ConfigError {
  return new ConfigError(full, [{ path: `${key}[${handed}]`, message: 'the file is not laid out as packs write it past this item; is it a sealed pack?' }]);
}

/**
 * Any JSON, read from the start by the streaming tokenizer: each item of the top-level array `key` to `onItem`, and
 * each top-level member to `onMember` when given (the array as empty). Yields after each piece of the file, so a
 * reader that pulls can hand on what came; returns whether `key` held an array.
 */
async function* tokenized(
  full: string,
  dir: string,
  key: string,
  onItem: (value: unknown, index: number) => void,
  onMember?: (name: string, value: unknown) => void,
): AsyncGenerator<void, boolean> {
  let found = false;
  const parser = new JSONParser({ paths: [`$.${key}.*`, onMember ? '$.*' : `$.${key}`], keepStack: false });
  parser.onValue = ({ value, key: at, parent, stack }) => {
    // The members of an object where the array should be are not items: the file is refused for that instead.
    if (stack.length > 1) return Array.isArray(parent) ? onItem(value, Number(at)) : undefined;
    if (at === key) found = Array.isArray(value);
    onMember?.(at as string, at === key ? [] : value);
  };
  try {
    for await (const chunk of fileChunks(full)) {
      parser.write(chunk);
      yield;
    }
    if (!parser.isEnded) throw new Error('the file ends before its JSON does');
  } catch (error) {
    throw new ConfigError(full, [{ path: '', message: `cannot read it as JSON (${(error as Error).message}); is ${dir} a sealed pack?` }]);
  }
  return found;
}

/**
 * Each item of one array of a pack's JSON file, validated, handed to a consumer as the file streams past, so a
 * command that folds the items never holds them all. `start` gives the consumer and is called again, for a fresh
 * one, if the file turns out to be laid out otherwise than packs write it and is read again from the start.
 * Items that fail validation are not handed over, and the read ends in an error naming them.
 */
export async function forEachJsonItem<T>(dir: string, file: string, key: string, schema: z.ZodType<T>, start: () => ItemConsumer<T>): Promise<void>;
/** With `around`, the file is read to its end and what it says around the array (the array left empty) is returned. */
export async function forEachJsonItem<T>(dir: string, file: string, key: string, schema: z.ZodType<T>, start: () => ItemConsumer<T>, around: 'around'): Promise<Record<string, unknown>>;
export async function forEachJsonItem<T>(dir: string, file: string, key: string, schema: z.ZodType<T>, start: () => ItemConsumer<T>, around?: 'around'): Promise<Record<string, unknown> | void> {
  const full = path.join(dir, file);
  const problems: Problem[] = [];
  let consumer = start();
  const validate = validator(schema, key, problems);
  const accept = (value: unknown, index: number, text?: string) => {
    const item = validate(value, index);
    if (item !== undefined) consumer.item(item, text);
  };
  let index = 0;
  const onItem = (text: string, oneLine: boolean) => {
    const at = index++;
    if (!oneLine || !consumer.line) return accept(JSON.parse(text), at, text);
    consumer.line(text, () => {
      const item = validate(JSON.parse(text), at);
      if (item === undefined) throw new ConfigError(full, problems);
      return item;
    });
  };
  // A consumer's own failure ends the read; only a layout the scan cannot follow sends it to the tokenizer.
  let failed: { error: unknown } | undefined;
  const ready = (chunk: string) => consumer.ready?.(chunk).catch((error: unknown) => {
    failed = { error };
    throw error;
  });
  const scanned = await indentedItems(full, key, onItem, around === 'around', ready).catch(() => undefined);
  if (failed) throw failed.error;
  if (scanned !== undefined) {
    if (problems.length > 0) throw new ConfigError(full, problems);
    return around ? scanned : undefined;
  }
  // Laid out otherwise (or unreadable that way): the streaming tokenizer reads any JSON, from the start.
  consumer = start();
  problems.length = 0;
  const outside: Record<string, unknown> = {};
  const tokens = tokenized(full, dir, key, accept, around ? (name, value) => (outside[name] = value) : undefined);
  let step = await tokens.next();
  while (!step.done) step = await tokens.next();
  if (!step.value) problems.unshift({ path: key, message: 'expected an array' });
  if (problems.length > 0) throw new ConfigError(full, problems);
  return around ? outside : undefined;
}

/** A path as the user sees it: relative to the working folder when inside it. */
export function displayPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative === '' ? '.' : relative.startsWith('..') ? dir : relative;
}

/**
 * The sources a pack's manifest names, read before the pack is verified, for reading that may start while `openPack`
 * checks it: nothing read so may be used unless `openPack` then succeeds.
 */
export async function unverifiedSources(given: string): Promise<string[]> {
  return (await readJson(path.resolve(given), MANIFEST_FILE, ManifestSchema)).sources.map((s) => s.source);
}

/**
 * Verifies a pack, then reads it. Nothing is read from a pack whose digests, file list or (with `keys`)
 * signature fail: the command is refused with exit 1 and every failed check. Every command that reads a pack
 * goes through here.
 */
export async function openPack<L extends PackList = PackList>(given: string, keys: readonly KeyObject[], lists: readonly L[] = PACK_LISTS as readonly L[]): Promise<PackData<L>> {
  const dir = path.resolve(given);
  const verification = await verifyPack(dir, keys);
  if (!verification.ok) {
    throw new ExitError(
      EXIT.controlFailures,
      `${displayPath(dir)}: the pack does not verify, so it is not used:\n${verification.problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  if (verification.manifest?.kind === 'sample-addendum' || verification.manifest?.kind === 'recertification-addendum') {
    throw new ExitError(EXIT.usage, `${displayPath(dir)} is a ${verification.manifest.kind === 'sample-addendum' ? 'sample' : 'recertification'} addendum, not a pack; name the pack it belongs to`);
  }
  const manifest = await readJson(dir, MANIFEST_FILE, ManifestSchema);
  const { controls } = await readJson(dir, 'controls.json', z.object({ controls: z.array(ControlInForceSchema) }));
  const { waivers } = await readJson(dir, 'waivers.json', z.object({ waivers: z.array(WaiverSchema) }));
  const config = await readJson(dir, 'config.json', z.record(z.string(), z.unknown()));
  const head: PackHead = {
    dir,
    manifest,
    controls: controls as unknown as ControlInForce[],
    waivers,
    config,
    attestationDigest: sha256(await readFile(path.join(dir, ATTESTATION_FILE))),
    verification: { keyId: verification.keyId!, signatureChecked: verification.signatureChecked },
  };
  return readPackLists(head, lists);
}

/**
 * A pack's identities with the sha256 of their list as canonical JSON, which `reperform` compares its inventory
 * against: each batch is written out and digested here while the reading thread parses the next.
 */
export async function readIdentitiesDigested(pack: Pick<PackHead, 'dir'>, offThreadFrom?: number): Promise<{ identities: Identity[]; digest: string }> {
  const hash = new TextDigest('[');
  const identities: Identity[] = [];
  const take = (identity: Identity) => {
    hash.update(identities.length > 0 ? `,${stableStringify(identity)}` : stableStringify(identity));
    identities.push(identity);
  };
  if (await worthAThread(pack.dir, 'identities', offThreadFrom)) {
    for await (const batch of listBatches(pack.dir, 'identities')) for (const identity of batch) take(identity as Identity);
  } else {
    for (const identity of await readJsonItems(pack.dir, 'inventory.json', 'identities', IdentitySchema)) take(identity);
  }
  hash.update(']');
  return { identities, digest: hash.digest() };
}

/**
 * A pack's identities, validated, in batches as inventory.json is read: on a thread of its own when the file is
 * large (`worthAThread`; tests pass 0). Each call starts a walk from the first; none holds the population.
 */
export async function* packIdentityBatches(dir: string, offThreadFrom?: number, ahead?: number): AsyncGenerator<Identity[]> {
  if (await worthAThread(dir, 'identities', offThreadFrom)) {
    yield* listBatches(dir, 'identities', ahead) as AsyncGenerator<Identity[]>;
    return;
  }
  let batch: Identity[] = [];
  for await (const identity of jsonItems(dir, 'inventory.json', 'identities', IdentitySchema)) {
    batch.push(identity);
    if (batch.length < LIST_BATCH) continue;
    yield batch;
    batch = [];
  }
  if (batch.length > 0) yield batch;
}

/** The pack with `lists` read from it as well (a pack opened without them, read once they are needed). */
export async function readPackLists<H extends PackHead, L extends PackList>(pack: H, lists: readonly L[]): Promise<H & Pick<PackLists, L>> {
  const read: Partial<PackLists> = {};
  if (lists.includes('identities' as L)) {
    read.identities = (await worthAThread(pack.dir, 'identities')) ? await identitiesOffThread(pack.dir) : await readJsonItems(pack.dir, 'inventory.json', 'identities', IdentitySchema);
  }
  if (lists.includes('findings' as L)) read.findings = await readJsonItems(pack.dir, 'findings.json', 'findings', FindingSchema);
  return { ...pack, ...(read as Pick<PackLists, L>) };
}

/**
 * Opens the pack another one names (its previous or baseline pack, under the same output folder) and checks that
 * it is the pack that was named: the attestation digest recorded when the naming pack was sealed.
 */
export async function openLinkedPack<L extends PackList = PackList>(from: PackHead, link: PackLink, keys: readonly KeyObject[], lists: readonly L[] = PACK_LISTS as readonly L[]): Promise<PackData<L>> {
  const outputRoot = path.dirname(path.dirname(from.dir));
  const dir = path.resolve(outputRoot, link.path);
  if (path.relative(outputRoot, dir).startsWith('..')) throw new ExitError(EXIT.controlFailures, `${displayPath(from.dir)}: names a pack outside its output folder (${link.path})`);
  const linked = await openPack(dir, keys, lists);
  if (linked.attestationDigest !== link.attestationDigest) {
    throw new ExitError(EXIT.controlFailures, `${displayPath(dir)}: is not the pack ${displayPath(from.dir)} names (its attestation digest differs)`);
  }
  return linked;
}

/** The files the run read, as sealed in the pack's inputs/. */
export async function readSealedInputs(pack: PackHead): Promise<InputFile[]> {
  return Promise.all(
    (pack.manifest.ipe?.inputs ?? []).map(async (input) => ({
      kind: input.kind,
      ...(input.source ? { source: input.source } : {}),
      originalPath: input.originalPath,
      bytes: await readFile(path.join(pack.dir, input.path)),
      rows: input.rows,
    })),
  );
}

const EnrichmentSchema = z.object({
  changes: z.array(z.object({ identityId: z.string(), collected: z.record(z.string(), z.unknown()), absent: z.array(z.string()) })),
});

/** What the join with the registries changed on each identity (enrichment.json). */
export async function readEnrichment(pack: PackHead): Promise<EnrichmentChange[]> {
  if (!pack.manifest.ipe) return [];
  return (await readJson(pack.dir, pack.manifest.ipe.enrichment, EnrichmentSchema)).changes;
}

/** A sealed pack found under an output folder, by its manifest (not yet verified). */
export interface PackEntry {
  dir: string;
  /** `<cycle>/<run-id>`, from the output folder. */
  relative: string;
  manifest: PackManifest;
}

/**
 * Every pack under an output folder (`<cycle>/<run-id>/`), in the order they were sealed, and a problem for each
 * folder that should be a pack and is not (no manifest, or one that cannot be read). Folders starting with a dot
 * (a run being written, the lock) and addenda (`<run-id>.samples`, `<run-id>.recert`) are not packs.
 */
export async function listPacks(root: string): Promise<{ packs: PackEntry[]; problems: string[] }> {
  const packs: PackEntry[] = [];
  const problems: string[] = [];
  let cycles;
  try {
    cycles = await readdir(root, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { packs, problems: [`${root}: ${code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : (error as Error).message}`] };
  }
  for (const cycle of cycles) {
    if (!cycle.isDirectory() || cycle.name.startsWith('.')) continue;
    for (const run of await readdir(path.join(root, cycle.name), { withFileTypes: true })) {
      if (!run.isDirectory() || run.name.startsWith('.') || run.name.endsWith('.samples') || run.name.endsWith('.recert')) continue;
      const relative = `${cycle.name}/${run.name}`;
      const dir = path.join(root, cycle.name, run.name);
      let text: string;
      try {
        text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
      } catch {
        problems.push(`${relative}: no ${MANIFEST_FILE}; every folder of a chain must be a sealed pack`);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        problems.push(`${relative}/${MANIFEST_FILE}: not JSON (${(error as Error).message})`);
        continue;
      }
      const parsed = ManifestSchema.safeParse(value);
      if (!parsed.success) {
        problems.push(...parsed.error.issues.slice(0, 5).map((i) => `${relative}/${MANIFEST_FILE}: ${formatPath(i.path) || 'manifest'}: ${i.message}`));
        continue;
      }
      packs.push({ dir, relative, manifest: parsed.data });
    }
  }
  packs.sort((a, b) => (a.manifest.finishedAt < b.manifest.finishedAt ? -1 : a.manifest.finishedAt > b.manifest.finishedAt ? 1 : a.manifest.runId < b.manifest.runId ? -1 : 1));
  return { packs, problems };
}

/** The ResultSet a pack was rendered from, for re-rendering its reports. */
export function resultSetOf(pack: PackData, waiverUses: ResultSet['waivers']): ResultSet {
  const { manifest } = pack;
  return {
    tool: manifest.tool as ResultSet['tool'],
    ...(manifest.organization ? { organization: manifest.organization } : {}),
    asOf: manifest.asOf,
    cycle: manifest.cycle.id,
    controls: pack.controls,
    identities: pack.identities,
    findings: pack.findings,
    sources: manifest.sources as SourceCompleteness[],
    ...(waiverUses ? { waivers: waiverUses } : {}),
  };
}

/** A pack's findings, walked as findings.json is read: each call starts a walk from the first. */
export function packFindings(dir: string): AsyncGenerator<Finding> {
  return jsonItems(dir, 'findings.json', 'findings', FindingSchema);
}

/**
 * A pack's findings as their briefs, in batches, as findings.json is read: on a thread of its own when the file is
 * large (`worthAThread`; tests pass 0 to have every file so read). Each call starts a walk from the first.
 */
export async function* packFindingBriefs(dir: string, offThreadFrom?: number): AsyncGenerator<FindingBrief[]> {
  if (await worthAThread(dir, 'finding-briefs', offThreadFrom)) {
    yield* findingBriefsOffThread(dir);
    return;
  }
  let batch: Finding[] = [];
  for await (const finding of packFindings(dir)) {
    batch.push(finding);
    if (batch.length < LIST_BATCH) continue;
    yield batch;
    batch = [];
  }
  if (batch.length > 0) yield batch;
}

/** A pack's identities as a diff reads them: briefs, so a population is never held whole twice over. */
async function readIdentityBriefs(dir: string): Promise<IdentityBrief[]> {
  if (await worthAThread(dir, 'identity-briefs')) return identitiesOffThread(dir, 'identity-briefs');
  return (await readJsonItems(dir, 'inventory.json', 'identities', IdentitySchema)).map(identityBrief);
}

/**
 * A verified pack as one side of a diff: its findings walked as they are read (on a thread of their own), and its
 * identities, when not read yet, read meanwhile.
 */
export function streamedSide(pack: PackHead & Partial<Pick<PackLists, 'identities'>>): StreamedPackSide {
  return {
    runId: pack.manifest.runId,
    cycle: pack.manifest.cycle.id,
    asOf: pack.manifest.asOf,
    identities: pack.identities ?? (() => readIdentityBriefs(pack.dir)),
    findings: () => packFindingBriefs(pack.dir),
  };
}
