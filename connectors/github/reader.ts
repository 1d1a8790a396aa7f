import type { ScopeRecorder } from '../../src/sdk/index.js';
import { acceptedPermissions, refusalStatus, type GitHubClient } from './client.js';
import type { CollectionKind } from './config.js';
import type { GraphqlOperation, ItemOf, Operation } from './operations.js';

/** An API object and where the pack keeps it (`raw/...json#/body/...`). */
export interface Read<T> {
  item: T;
  rawRef: string;
}

/** The items of one kept list page, each with its place in the pack. */
export function itemReads<T>(path: string, items: unknown[], pointer: string): Read<T>[] {
  return items.map((item, index) => ({ item: item as T, rawRef: `${path}#/body${pointer}/${index}` }));
}

/** Every page of a GraphQL connection, read to its end. */
export interface ConnectionRead<Node> {
  nodes: Node[];
  /** GitHub's own count of the connection's items. */
  totalCount: number;
}

/**
 * What the organization's identities are assembled from: the live API (`Reader`) or a pack's kept pages
 * (`RawReader`), so a re-read decides what to read and how to map it exactly as the collection did.
 */
export interface Reads {
  /** Where reconciliations and errors the collection recovers from are reported. */
  readonly scope: Pick<ScopeRecorder, 'error' | 'reconcile'>;
  /** Every item of a list; `undefined` when not one page of it could be read. */
  list<O extends Operation>(kind: CollectionKind, operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>[] | undefined>;
  /**
   * A list that only enriches identities (owner hints). `mapping` holds settings that decide how its items are
   * mapped: they are kept with its pages, beside the request's parameters, so a re-read maps them the same way.
   */
  enrichment<O extends Operation>(
    operation: O,
    parameters: Record<string, unknown>,
    consequence: string,
    mapping?: Record<string, unknown>,
  ): Promise<Read<ItemOf<O>>[]>;
  get<O extends Operation>(operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>>;
  connection<Body, Node>(operation: GraphqlOperation<Body, Node>, variables: Record<string, unknown>): Promise<ConnectionRead<Node>>;
  /**
   * GitHub's own count of what one listing (`listing`, of `operation`) should give, beside what it gave: a
   * listing that disagrees is reconciled at once, naming it; the others are summed per count until `settle`.
   */
  count(count: string, operation: string, listing: string, expected: number, observed: number): void;
}

/** What GitHub requires beyond a permission, said once where the kind is reported unreadable. */
const KIND_NOTES: Partial<Record<CollectionKind, string>> = {
  'pat-grants': 'only a GitHub App installation can list fine-grained token grants',
  'credential-authorizations': 'only organizations on GitHub Enterprise Cloud with SAML single sign-on have credential authorizations',
};

/** A listing's parameters as a short label for a reconciliation that names it. */
function label(parameters: Record<string, unknown>): string {
  return Object.entries(parameters)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(' ');
}

/**
 * Reads through the client and keeps every page as evidence in the scope. A permission error on an
 * operation makes its kind unreadable (named with the permission GitHub asked for) and stops further
 * calls to that operation; any other failure is a scope error.
 */
export class Reader implements Reads {
  private readonly denied = new Set<string>();
  private readonly sums = new Map<string, { operation: string; expected: number; observed: number; listings: number }>();

  constructor(
    private readonly client: GitHubClient,
    readonly scope: ScopeRecorder,
    private readonly signal: AbortSignal,
  ) {}

  async list<O extends Operation>(kind: CollectionKind, operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>[] | undefined> {
    if (this.denied.has(operation.id)) return undefined;
    const { reads, failure } = await this.readAll<ItemOf<O>>(operation, parameters, {});
    if (failure) this.fail(kind, operation, parameters, failure.error);
    return reads;
  }

  /**
   * A read that only enriches identities (owner hints). A refusal is how the organization is set up, the same
   * on every run: the manifest keeps it with what it costs and the scope stays whole. Any other failure
   * leaves identities without what this read would have given them, so the scope is incomplete.
   */
  async enrichment<O extends Operation>(
    operation: O,
    parameters: Record<string, unknown>,
    consequence: string,
    mapping: Record<string, unknown> = {},
  ): Promise<Read<ItemOf<O>>[]> {
    const { reads, failure } = await this.readAll<ItemOf<O>>(operation, parameters, mapping);
    if (failure) {
      const refused = refusalStatus(failure.error) !== undefined;
      const needs = refused ? (acceptedPermissions(failure.error) ?? operation.permission) : undefined;
      this.scope.error(operation.id, failure.error, { recovered: refused, hint: `${consequence}${needs ? `; needs ${needs}` : ''}` });
    }
    return reads ?? [];
  }

  /**
   * Every page up to the first failure. The items of pages read before a failure are kept with them: the
   * identities then match the pack's evidence, so a re-read of the pack gives the same ones, while the
   * failure still makes the kind unreadable or the scope incomplete. A listing read to its end is reconciled
   * with GitHub's `total_count` where its answer carries one.
   */
  private async readAll<T>(
    operation: Operation,
    parameters: Record<string, unknown>,
    mapping: Record<string, unknown>,
  ): Promise<{ reads: Read<T>[] | undefined; failure?: { error: unknown } }> {
    let reads: Read<T>[] | undefined;
    let totalCount: number | undefined;
    try {
      this.signal.throwIfAborted();
      for await (const page of this.client.pages(operation, parameters, this.signal)) {
        const path = await this.scope.page(operation.id, { ...parameters, ...mapping }, page.body, { records: page.items.length, attempts: page.attempts });
        (reads ??= []).push(...itemReads<T>(path, page.items, page.itemsPointer));
        totalCount = page.totalCount;
        this.signal.throwIfAborted();
      }
    } catch (error) {
      if (this.signal.aborted) throw error;
      return { reads, failure: { error } };
    }
    if (totalCount !== undefined) this.count('total_count', operation.id, label(parameters), totalCount, reads?.length ?? 0);
    return { reads };
  }

  async get<O extends Operation>(operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>> {
    this.signal.throwIfAborted();
    const { body, value, attempts } = await this.client.request(operation, parameters, this.signal);
    const path = await this.scope.page(operation.id, parameters, body, { records: 1, attempts });
    return { item: value as ItemOf<O>, rawRef: `${path}#/body` };
  }

  async connection<Body, Node>(operation: GraphqlOperation<Body, Node>, variables: Record<string, unknown>): Promise<ConnectionRead<Node>> {
    this.signal.throwIfAborted();
    const nodes: Node[] = [];
    let totalCount = 0;
    for await (const page of this.client.connection(operation, variables, this.signal)) {
      await this.scope.page(operation.id, variables, page.body, { records: page.nodes.length, attempts: page.attempts });
      nodes.push(...page.nodes);
      totalCount = page.totalCount;
      this.signal.throwIfAborted();
    }
    return { nodes, totalCount };
  }

  count(count: string, operation: string, listing: string, expected: number, observed: number): void {
    if (expected !== observed) {
      this.scope.reconcile(`${operation}: ${count}`, expected, observed, `GitHub's count for ${listing || 'the listing'} disagrees with the items ${operation} listed`);
      return;
    }
    const key = `${operation}: ${count}`;
    const sum = this.sums.get(key) ?? { operation, expected: 0, observed: 0, listings: 0 };
    sum.expected += expected;
    sum.observed += observed;
    sum.listings += 1;
    this.sums.set(key, sum);
  }

  /** Records the counts that matched, one sum per count and operation. */
  settle(): void {
    for (const [name, { operation, expected, observed, listings }] of [...this.sums].sort(([a], [b]) => (a < b ? -1 : 1))) {
      this.scope.reconcile(name, expected, observed, `GitHub's own count, summed over ${listings} ${listings === 1 ? 'listing' : 'listings'} of ${operation}`);
    }
    this.sums.clear();
  }

  private fail(kind: CollectionKind, operation: Operation, parameters: Record<string, unknown>, error: unknown): void {
    const status = refusalStatus(error);
    if (status === undefined) {
      this.scope.error(operation.id, error);
      return;
    }
    const repository = typeof parameters.repo === 'string' ? parameters.repo : undefined;
    // A missing permission applies to every repository; a 404 can be one repository's own (a feature off).
    const stops = status === 403 || repository === undefined;
    if (stops && this.denied.has(operation.id)) return;
    if (stops) this.denied.add(operation.id);
    const needs = acceptedPermissions(error) ?? operation.permission;
    const message = error instanceof Error ? error.message : String(error);
    const reason = [
      `${operation.id}${repository && !stops ? ` on ${repository}` : ''} answered ${status} (${message})`,
      needs ? `needs ${needs}` : undefined,
      KIND_NOTES[kind],
    ]
      .filter(Boolean)
      .join('; ');
    this.scope.unreadable(kind, reason);
  }
}
