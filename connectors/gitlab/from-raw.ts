import type { Identity, RawPage, RawPages } from '../../src/sdk/index.js';
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
  private readonly indexes = new Map<string, Promise<Map<string, RawPage[]>>>();

  constructor(
    private readonly raw: RawPages,
    private readonly scopeName: string,
  ) {}

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

  /** The pages of an operation made with these parameters, through an index per operation and parameter names. */
  private async pages(operation: string, parameters: Record<string, unknown>): Promise<RawPage[]> {
    const names = Object.keys(parameters).sort();
    const values = (from: Record<string, unknown>) => JSON.stringify(names.map((name) => from[name] ?? null));
    const signature = `${operation} ${names.join(',')}`;
    let index = this.indexes.get(signature);
    if (!index) {
      index = this.raw.pages(this.scopeName, operation).then((pages) => {
        const byValues = new Map<string, RawPage[]>();
        for (const page of pages) {
          const key = values(page.parameters);
          byValues.set(key, [...(byValues.get(key) ?? []), page]);
        }
        return byValues;
      });
      this.indexes.set(signature, index);
    }
    return (await index).get(values(parameters)) ?? [];
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
