import type { ScopeRecorder } from '../../src/sdk/index.js';
import { acceptedPermissions, refusalStatus, type GitHubClient } from './client.js';
import type { CollectionKind } from './config.js';
import type { Operation } from './operations.js';

/** An API object and where the pack keeps it (`raw/...json#/body/...`). */
export interface Read<T> {
  item: T;
  rawRef: string;
}

/** The items of one kept list page, each with its place in the pack. */
export function itemReads<T>(path: string, items: unknown[], pointer: string): Read<T>[] {
  return items.map((item, index) => ({ item: item as T, rawRef: `${path}#/body${pointer}/${index}` }));
}

/**
 * What the organization's identities are assembled from: the live API (`Reader`) or a pack's kept pages
 * (`RawReader`), so a re-read decides what to read and how to map it exactly as the collection did.
 */
export interface Reads {
  /** Where reconciliations and errors the collection recovers from are reported. */
  readonly scope: Pick<ScopeRecorder, 'error' | 'reconcile'>;
  /** Every item of a list; `undefined` when not one page of it could be read. */
  list<T>(kind: CollectionKind, operation: Operation, parameters: Record<string, unknown>): Promise<Read<T>[] | undefined>;
  /**
   * A list that only enriches identities (owner hints). `mapping` holds settings that decide how its items are
   * mapped: they are kept with its pages, beside the request's parameters, so a re-read maps them the same way.
   */
  enrichment<T>(operation: Operation, parameters: Record<string, unknown>, consequence: string, mapping?: Record<string, unknown>): Promise<Read<T>[]>;
  get<T>(operation: Operation, parameters: Record<string, unknown>): Promise<Read<T>>;
  graphql<T>(name: string, query: string, variables: Record<string, unknown>, records: (body: T) => number): Promise<T>;
}

/** A query's pages are kept under its variables without the cursor, in the order they were read. */
export function graphqlParameters(variables: Record<string, unknown>): Record<string, unknown> {
  const { after: _cursor, ...parameters } = variables;
  return parameters;
}

/** What GitHub requires beyond a permission, said once where the kind is reported unreadable. */
const KIND_NOTES: Partial<Record<CollectionKind, string>> = {
  'pat-grants': 'only a GitHub App installation can list fine-grained token grants',
  'credential-authorizations': 'only organizations on GitHub Enterprise Cloud with SAML single sign-on have credential authorizations',
};

/**
 * Reads through the client and keeps every page as evidence in the scope. A permission error on an
 * operation makes its kind unreadable (named with the permission GitHub asked for) and stops further
 * calls to that operation; any other failure is a scope error.
 */
export class Reader implements Reads {
  private readonly denied = new Set<string>();

  constructor(
    private readonly client: GitHubClient,
    readonly scope: ScopeRecorder,
    private readonly signal: AbortSignal,
  ) {}

  async list<T>(kind: CollectionKind, operation: Operation, parameters: Record<string, unknown>): Promise<Read<T>[] | undefined> {
    if (this.denied.has(operation.id)) return undefined;
    const { reads, failure } = await this.readAll<T>(operation, parameters, {});
    if (failure) this.fail(kind, operation, parameters, failure.error);
    return reads;
  }

  /**
   * A read that only enriches identities (owner hints): when it fails the population is still whole, so
   * the error is kept with what it costs, without making the scope incomplete.
   */
  async enrichment<T>(operation: Operation, parameters: Record<string, unknown>, consequence: string, mapping: Record<string, unknown> = {}): Promise<Read<T>[]> {
    const { reads, failure } = await this.readAll<T>(operation, parameters, mapping);
    if (failure) {
      const needs = acceptedPermissions(failure.error) ?? operation.permission;
      this.scope.error(operation.id, failure.error, { recovered: true, hint: `${consequence}${needs ? `; needs ${needs}` : ''}` });
    }
    return reads ?? [];
  }

  /**
   * Every page up to the first failure. The items of pages read before a failure are kept with them: the
   * identities then match the pack's evidence, so a re-read of the pack gives the same ones, while the
   * failure still makes the kind unreadable or the scope incomplete.
   */
  private async readAll<T>(
    operation: Operation,
    parameters: Record<string, unknown>,
    mapping: Record<string, unknown>,
  ): Promise<{ reads: Read<T>[] | undefined; failure?: { error: unknown } }> {
    let reads: Read<T>[] | undefined;
    try {
      this.signal.throwIfAborted();
      for await (const page of this.client.pages(operation, parameters)) {
        const path = await this.scope.page(operation.id, { ...parameters, ...mapping }, page.body, { records: page.items.length, attempts: page.attempts });
        (reads ??= []).push(...itemReads<T>(path, page.items, page.itemsPointer));
        this.signal.throwIfAborted();
      }
      return { reads };
    } catch (error) {
      if (this.signal.aborted) throw error;
      return { reads, failure: { error } };
    }
  }

  async get<T>(operation: Operation, parameters: Record<string, unknown>): Promise<Read<T>> {
    this.signal.throwIfAborted();
    const { body, attempts } = await this.client.request(operation, parameters);
    const path = await this.scope.page(operation.id, parameters, body, { records: 1, attempts });
    return { item: body as T, rawRef: `${path}#/body` };
  }

  async graphql<T>(name: string, query: string, variables: Record<string, unknown>, records: (body: T) => number): Promise<T> {
    this.signal.throwIfAborted();
    const { body, attempts } = await this.client.graphql(query, variables);
    await this.scope.page(name, graphqlParameters(variables), body, { records: records(body as T), attempts });
    return body as T;
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
