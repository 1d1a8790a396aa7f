import { RawPageIndex, type Identity, type RawPage, type RawPages } from '../../src/sdk/index.js';
import { organizationIdentities } from './collect.js';
import { COLLECTION_KINDS, DEFAULT_OWNER_PROPERTY, type CollectionKind } from './config.js';
import { listItems, OPERATIONS, type GraphqlOperation, type ItemOf, type Operation } from './operations.js';
import { itemReads, type ConnectionRead, type Read, type Reads } from './reader.js';

/**
 * Answers the collection's reads from a pack's kept pages instead of the API. A page answers a read made
 * with the same parameters; it may carry more (settings kept with it, such as the owner property). A read
 * with no page is one the collection could not make (refused, failed, or of a kind not configured).
 */
class RawReader implements Reads {
  // A re-read keeps the original collection's completeness: what it reports again is not recorded twice.
  readonly scope = { error: () => {}, reconcile: () => {} };
  private readonly index: RawPageIndex;

  constructor(raw: RawPages, org: string) {
    this.index = new RawPageIndex(raw, org);
  }

  async list<O extends Operation>(_kind: CollectionKind, operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>[] | undefined> {
    return this.reads<ItemOf<O>>(operation, parameters);
  }

  async enrichment<O extends Operation>(operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>[]> {
    return (await this.reads<ItemOf<O>>(operation, parameters)) ?? [];
  }

  private async reads<T>(operation: Operation, parameters: Record<string, unknown>): Promise<Read<T>[] | undefined> {
    const pages = await this.pages(operation.id, parameters);
    if (pages.length === 0) return undefined;
    return pages.flatMap((page) => {
      const { items, pointer } = listItems(operation, page.body);
      return itemReads<T>(page.path, items, pointer);
    });
  }

  async get<O extends Operation>(operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>> {
    const [page] = await this.pages(operation.id, parameters);
    if (!page) throw new Error(`the pack keeps no ${operation.id} page for ${JSON.stringify(parameters)}`);
    return { item: page.body as ItemOf<O>, rawRef: `${page.path}#/body` };
  }

  /** A connection's pages were kept in the order they were read; one the collection could not finish fails again. */
  async connection<Body, Node>(operation: GraphqlOperation<Body, Node>, variables: Record<string, unknown>): Promise<ConnectionRead<Node>> {
    const pages = await this.pages(operation.id, variables);
    const nodes: Node[] = [];
    for (const page of pages) {
      const { nodes: more, totalCount, pageInfo } = operation.connection(page.body as Body);
      nodes.push(...more);
      if (!pageInfo.hasNextPage) return { nodes, totalCount };
    }
    throw new Error(`the pack keeps no page ${pages.length + 1} of ${operation.id}`);
  }

  count(): void {}

  private pages(operation: string, parameters: Record<string, unknown>): Promise<RawPage[]> {
    return this.index.pages(operation, parameters);
  }
}

/**
 * The identities a pack's raw pages hold, mapped as the collection mapped them. Every kind is asked for:
 * one that was not configured has no pages, so it gives nothing, as it gave nothing then.
 */
export async function identitiesFromRaw(raw: RawPages, source: string): Promise<Identity[]> {
  const identities: Identity[] = [];
  for (const org of raw.scopes()) {
    // Without its organization page the collection stopped before its first identity.
    if ((await raw.pages(org, OPERATIONS.getOrg.id)).length === 0) continue;
    // Packs written before the owner property was kept with these pages were read with the default.
    const [values] = await raw.pages(org, OPERATIONS.listRepoPropertyValues.id);
    const ownerProperty = typeof values?.parameters.ownerProperty === 'string' ? values.parameters.ownerProperty : DEFAULT_OWNER_PROPERTY;
    // With no API to wait on, repositories are mapped one at a time.
    const settings = { org, kinds: [...COLLECTION_KINDS], ownerProperty, concurrency: 1 };
    for await (const identity of organizationIdentities(new RawReader(raw, org), settings, source)) identities.push(identity);
  }
  return identities;
}
