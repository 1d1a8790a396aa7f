import type { ScopeRecorder } from '../../src/sdk/index.js';
import { refusalStatus, type GitLabClient } from './client.js';
import type { CollectionKind } from './config.js';
import type { ItemOf, Operation } from './operations.js';

/** An API object and where the pack keeps it (`raw/...json#/body/...`). */
export interface Read<T> {
  item: T;
  rawRef: string;
}

/** The items of one kept list page, each with its place in the pack. */
export function itemReads<T>(path: string, items: readonly unknown[]): Read<T>[] {
  return items.map((item, index) => ({ item: item as T, rawRef: `${path}#/body/${index}` }));
}

/**
 * What a scope's identities are assembled from: the live API (`Reader`) or a pack's kept pages (`RawReader`),
 * so a re-read decides what to read and how to map it exactly as the collection did.
 */
export interface Reads {
  readonly scope: Pick<ScopeRecorder, 'error'>;
  /**
   * Every item of a list; `undefined` when not one page of it could be read. `kind` is what a refusal makes
   * unreadable; a listing without one (the group tree) fails the scope instead.
   */
  list<O extends Operation>(kind: CollectionKind | undefined, operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>[] | undefined>;
  get<O extends Operation>(operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>>;
}

/** A listing's parameters as a short label for a reconciliation that names it. */
function label(parameters: Record<string, unknown>): string {
  return Object.entries(parameters)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(' ');
}

/**
 * Reads through the client and keeps every page as evidence in the scope. A refusal (401, 403, 404) makes the
 * operation's kind unreadable, named with the role GitLab requires, and stops further calls to it; any other
 * failure is a scope error. Every listing read to its end is reconciled with GitLab's `X-Total` where it sends one.
 */
export class Reader implements Reads {
  private readonly denied = new Set<string>();
  private readonly sums = new Map<string, { expected: number; observed: number; listings: number }>();

  constructor(
    private readonly client: GitLabClient,
    readonly scope: ScopeRecorder,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Every page up to the first failure. The items of pages read before a failure are kept with them, so the
   * identities match the pack's evidence and a re-read gives the same ones, while the failure still makes the
   * kind unreadable or the scope incomplete.
   */
  async list<O extends Operation>(kind: CollectionKind | undefined, operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>[] | undefined> {
    if (this.denied.has(operation.id)) return undefined;
    let reads: Read<ItemOf<O>>[] | undefined;
    let total: number | undefined;
    try {
      this.signal.throwIfAborted();
      for await (const page of this.client.pages(operation, parameters, this.signal)) {
        const path = await this.scope.page(operation.id, parameters, page.body, { records: page.items.length, attempts: page.attempts });
        (reads ??= []).push(...itemReads<ItemOf<O>>(path, page.items));
        total = page.total;
        this.signal.throwIfAborted();
      }
    } catch (error) {
      if (this.signal.aborted) throw error;
      this.fail(kind, operation, error);
      return reads;
    }
    if (total !== undefined) this.count(operation.id, label(parameters), total, reads?.length ?? 0);
    return reads ?? [];
  }

  async get<O extends Operation>(operation: O, parameters: Record<string, unknown>): Promise<Read<ItemOf<O>>> {
    this.signal.throwIfAborted();
    const { body, attempts } = await this.client.request(operation, parameters, this.signal);
    const path = await this.scope.page(operation.id, parameters, body, { records: 1, attempts });
    return { item: body as ItemOf<O>, rawRef: `${path}#/body` };
  }

  /** A listing whose count disagrees is reconciled at once, naming it; the others are summed per operation until `settle`. */
  private count(operation: string, listing: string, expected: number, observed: number): void {
    if (expected !== observed) {
      this.scope.reconcile(`${operation}: X-Total`, expected, observed, `GitLab's X-Total for ${listing || 'the listing'} disagrees with the items ${operation} listed`);
      return;
    }
    const sum = this.sums.get(operation) ?? { expected: 0, observed: 0, listings: 0 };
    sum.expected += expected;
    sum.observed += observed;
    sum.listings += 1;
    this.sums.set(operation, sum);
  }

  /** Records the counts that matched, one sum per operation. */
  settle(): void {
    for (const [operation, { expected, observed, listings }] of [...this.sums].sort(([a], [b]) => (a < b ? -1 : 1))) {
      this.scope.reconcile(`${operation}: X-Total`, expected, observed, `GitLab's own count (X-Total), summed over ${listings} ${listings === 1 ? 'listing' : 'listings'}`);
    }
    this.sums.clear();
  }

  private fail(kind: CollectionKind | undefined, operation: Operation, error: unknown): void {
    const status = refusalStatus(error);
    if (status === undefined || kind === undefined) {
      this.scope.error(operation.id, error, status ? { hint: `needs ${operation.needs}` } : {});
      return;
    }
    // A missing role or tier applies to every group and project alike: asking again would only repeat it.
    if (this.denied.has(operation.id)) return;
    this.denied.add(operation.id);
    const message = error instanceof Error ? error.message : String(error);
    this.scope.unreadable(kind, `${operation.id} answered ${status} (${message}); needs ${operation.needs}`);
  }
}
