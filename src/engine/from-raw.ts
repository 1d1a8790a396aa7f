import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Connector, RawPage, RawPages, SourceCompleteness } from '../sdk/index.js';
import { compareIds, describeError, IdentityBoundary, safeSegment, type SourceResult } from './collect.js';

interface StoredPage {
  operation: string;
  parameters: Record<string, unknown>;
  scope?: string;
  page: number;
  body: unknown;
}

const PAGE_FILE = /^(.+)-(\d{4,})\.json$/;

/**
 * A source's raw pages as `ScopeRecorder.page` wrote them: `raw/<source>/<scope>/<operation>-NNNN.json`. Scopes
 * are the names the pages record (folder names for packs written before pages carried them).
 */
export async function readRawPages(packDir: string, source: string): Promise<RawPages> {
  const root = path.join(packDir, 'raw', safeSegment(source));
  const byScope = new Map<string, Map<string, RawPage[]>>();
  for (const folder of await readdir(root, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    const files = (await readdir(path.join(root, folder.name))).filter((f) => PAGE_FILE.test(f)).sort();
    for (const file of files) {
      const stored = JSON.parse(await readFile(path.join(root, folder.name, file), 'utf8')) as StoredPage;
      const scope = stored.scope ?? folder.name;
      const operations = byScope.get(scope) ?? new Map<string, RawPage[]>();
      byScope.set(scope, operations);
      const pages = operations.get(stored.operation) ?? [];
      operations.set(stored.operation, pages);
      pages.push({ ...stored, path: `raw/${safeSegment(source)}/${folder.name}/${file}` });
    }
  }
  return {
    scopes: () => [...byScope.keys()].sort(compareIds),
    pages: async (scope, operation) => [...(byScope.get(scope)?.get(operation) ?? [])].sort((a, b) => a.page - b.page),
  };
}

/**
 * Maps a pack's raw pages to identities again with the connector's current normalizer. No API is called, so the
 * completeness is the original collection's: the re-read covers exactly what was read then.
 */
export async function collectFromRaw(
  connector: Connector,
  packDir: string,
  original: SourceCompleteness,
  now: Date,
): Promise<SourceResult> {
  const completeness: SourceCompleteness = { ...original, errors: [...original.errors] };
  const boundary = new IdentityBoundary(connector.id, original.source, completeness.errors);
  if (!connector.fromRaw) {
    completeness.errors.push(`connector ${connector.id} cannot re-read raw pages`);
  } else {
    try {
      const raw = await readRawPages(packDir, original.source);
      for (const identity of await connector.fromRaw(raw, { source: original.source, now })) boundary.accept(identity);
    } catch (error) {
      completeness.errors.push(`re-reading raw pages failed: ${describeError(error).message}`);
    }
  }
  if (completeness.errors.length > original.errors.length) completeness.verdict = 'incomplete';
  const identities = boundary.identities.sort((a, b) => compareIds(a.id, b.id));
  return { identities, completeness: { ...completeness, identities: identities.length }, redactions: [] };
}
