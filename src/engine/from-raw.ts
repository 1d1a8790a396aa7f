import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileLines } from '../evidence/file-chunks.js';
import type { Connector, Identity, RawPage, RawPages, SourceCompleteness } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { jsonEqual } from './reperform.js';
import { compareIds, describeError, IdentityBoundary, safeSegment, type SourceResult } from './collect.js';

interface StoredPage {
  operation: string;
  parameters: Record<string, unknown>;
  scope?: string;
  page: number;
  body: unknown;
}

/** Raw pages as packs before JSON Lines kept them (0.1.0): one file a page, `<operation>-NNNN.json`. */
const PAGE_FILE = /^(.+)-(\d{4,})\.json$/;
const LINES_FILE = /\.jsonl$/;

/** The pages one raw file holds, each with the path `Identity.rawRef` names it by. */
async function* storedPages(folder: string, file: string, relative: string): AsyncGenerator<StoredPage & { path: string }> {
  if (LINES_FILE.test(file)) {
    let line = 0;
    for await (const text of fileLines(path.join(folder, file))) {
      line += 1;
      if (text.trim() === '') continue;
      yield { ...(JSON.parse(text) as StoredPage), path: `${relative}:${line}` };
    }
  } else if (PAGE_FILE.test(file)) {
    yield { ...(JSON.parse(await readFile(path.join(folder, file), 'utf8')) as StoredPage), path: relative };
  }
}

/**
 * A source's raw pages as `ScopeRecorder.page` wrote them: `raw/<source>/<scope>/<operation>.jsonl`, a page a
 * line, or the one-file-a-page layout of earlier packs. Scopes are the names the pages record (folder names for
 * packs written before pages carried them).
 */
export async function readRawPages(packDir: string, source: string, signal?: AbortSignal): Promise<RawPages> {
  const root = path.join(packDir, 'raw', safeSegment(source));
  const byScope = new Map<string, Map<string, RawPage[]>>();
  for (const folder of await readdir(root, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    for (const file of (await readdir(path.join(root, folder.name))).sort()) {
      signal?.throwIfAborted();
      for await (const stored of storedPages(path.join(root, folder.name), file, `raw/${safeSegment(source)}/${folder.name}/${file}`)) {
        const scope = stored.scope ?? folder.name;
        const operations = byScope.get(scope) ?? new Map<string, RawPage[]>();
        byScope.set(scope, operations);
        const pages = operations.get(stored.operation) ?? [];
        operations.set(stored.operation, pages);
        pages.push(stored);
      }
    }
  }
  return {
    scopes: () => [...byScope.keys()].sort(compareIds),
    pages: async (scope, operation) => [...(byScope.get(scope)?.get(operation) ?? [])].sort((a, b) => a.page - b.page),
  };
}

/**
 * Maps a pack's raw pages to identities again with the connector's current normalizer. No API is called, so the
 * completeness is the original collection's: the re-read covers exactly what was read then. `read` is the source's
 * pages when their reading began already (readRawPages).
 */
export async function collectFromRaw(
  connector: Connector,
  packDir: string,
  original: SourceCompleteness,
  now: Date,
  read: () => Promise<RawPages> = () => readRawPages(packDir, original.source),
): Promise<SourceResult> {
  const completeness: SourceCompleteness = { ...original, errors: [...original.errors] };
  const boundary = new IdentityBoundary(connector.id, original.source, completeness.errors);
  if (!connector.fromRaw) {
    completeness.errors.push(`connector ${connector.id} cannot re-read raw pages`);
  } else {
    try {
      const raw = await read();
      for (const identity of await connector.fromRaw(raw, { source: original.source, now })) boundary.accept(identity);
    } catch (error) {
      completeness.errors.push(`re-reading raw pages failed: ${describeError(error).message}`);
    }
  }
  if (completeness.errors.length > original.errors.length) completeness.verdict = 'incomplete';
  const identities = boundary.identities.sort((a, b) => compareIds(a.id, b.id));
  return { identities, completeness: { ...completeness, identities: identities.length }, redactions: [] };
}

/** What a normalizer decides, without what enrichment joins on afterwards: the part a re-read must reproduce. */
function normalized(identity: Identity) {
  const { id, kind, name, status, classification, createdAt, lastUsed, credentials, privilege, trust, interactiveLogin } = identity;
  return { id, kind, name, status, classification, createdAt, lastUsed, credentials, privilege, trust, interactiveLogin };
}

/** The same canonical JSON, compared without writing it out unless the values differ. */
function sameNormalized(sealed: Identity, again: Identity): boolean {
  const [left, right] = [normalized(sealed), normalized(again)];
  return jsonEqual(left, right) || stableStringify(left) === stableStringify(right);
}

/** Ids of identities a re-read made differently, found only in it, or found only in the sealed inventory. */
export interface RereadChanges {
  changed: string[];
  added: string[];
  removed: string[];
}

/**
 * How a re-read population differs from a sealed inventory, walked in step with the inventory as it is read, so the
 * sealed population is never held beside the re-read one. Sealed inventories list identities in id order; one that
 * does not (a hand-made or foreign file) is read again whole, as ids to a map.
 */
export async function rereadChanges(again: readonly Identity[], sealed: () => AsyncIterable<readonly Identity[]>): Promise<RereadChanges> {
  const ordered = [...new Map(again.map((i) => [i.id, i])).values()].sort((a, b) => compareIds(a.id, b.id));
  const changes: RereadChanges = { changed: [], added: [], removed: [] };
  let next = 0;
  let previous: string | undefined;
  for await (const batch of sealed()) {
    for (const identity of batch) {
      if (previous !== undefined && compareIds(previous, identity.id) >= 0) return rereadChangesUnordered(ordered, sealed);
      previous = identity.id;
      while (next < ordered.length && compareIds(ordered[next]!.id, identity.id) < 0) changes.added.push(ordered[next++]!.id);
      if (next < ordered.length && ordered[next]!.id === identity.id) {
        if (!sameNormalized(identity, ordered[next]!)) changes.changed.push(identity.id);
        next++;
      } else changes.removed.push(identity.id);
    }
  }
  while (next < ordered.length) changes.added.push(ordered[next++]!.id);
  return changes;
}

async function rereadChangesUnordered(ordered: readonly Identity[], sealed: () => AsyncIterable<readonly Identity[]>): Promise<RereadChanges> {
  const byId = new Map<string, Identity>();
  for await (const batch of sealed()) for (const identity of batch) byId.set(identity.id, identity);
  const again = new Set(ordered.map((i) => i.id));
  return {
    changed: ordered.filter((i) => byId.has(i.id) && !sameNormalized(byId.get(i.id)!, i)).map((i) => i.id),
    added: ordered.filter((i) => !byId.has(i.id)).map((i) => i.id),
    removed: [...byId.keys()].filter((id) => !again.has(id)),
  };
}
