import { RawPageIndex, type Identity, type RawPage, type RawPages } from '../../src/sdk/index.js';
import { groupIdentities, INSTANCE_SCOPE, instanceIdentities } from './collect.js';
import { COLLECTION_KINDS, type CollectionKind } from './config.js';
import type { ItemOf, Operation } from './operations.js';
import { itemReads, type Read, type Reads } from './reader.js';

/**
 * Answers the collection's reads from a pack's kept pages instead of the API. A page answers a read made with
 * the same parameters; a read with no page is one the collection could not make (refused, failed, or of a kind
 * not configured), and gives nothing, as it gave nothing then.
 */
class RawReader implements Reads {
  // A re-read keeps the original collection's completeness: what it reports again is not recorded twice.
  readonly scope = { error: () => {} };
  private readonly index: RawPageIndex;

  constructor(raw: RawPages, scopeName: string) {
    this.index = new RawPageIndex(raw, scopeName);
  }

  async list<O extends Operation>(_kind: CollectionKind | undefined, operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>[] | undefined> {
    const pages = await this.pages(operation.id, parameters);
    if (pages.length === 0) return undefined;
    return pages.flatMap((page) => itemReads<ItemOf<O>>(page.path, page.body as unknown[]));
  }

  async get<O extends Operation>(operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>> {
    const [page] = await this.pages(operation.id, parameters);
    if (!page) throw new Error(`the pack keeps no ${operation.id} page for ${JSON.stringify(parameters)}`);
    return { item: page.body as ItemOf<O>, rawRef: `${page.path}#/body` };
  }

  private pages(operation: string, parameters: Record<string, unknown>): Promise<RawPage[]> {
    return this.index.pages(operation, parameters);
  }
}

/**
 * The identities a pack's raw pages hold, mapped as the collection mapped them. Every kind is asked for: one that
 * was not configured has no pages, so it gives nothing, as it gave nothing then.
 */
export async function identitiesFromRaw(raw: RawPages, source: string): Promise<Identity[]> {
  const identities: Identity[] = [];
  // With no API to wait on, places are mapped one at a time.
  const settings = { kinds: [...COLLECTION_KINDS], concurrency: 1 };
  for (const scope of raw.scopes()) {
    const reader = new RawReader(raw, scope);
    const read = scope === INSTANCE_SCOPE ? instanceIdentities(reader, settings, source) : groupIdentities(reader, scope, settings, source);
    for await (const identity of read) identities.push(identity);
  }
  return identities;
}
