import type { ScopeRecorder } from '../../src/sdk/index.js';
import { acceptedPermissions, refusalStatus, type GitHubClient } from './client.js';
import type { CollectionKind } from './config.js';
import type { Operation } from './operations.js';

/** An API object and where the pack keeps it (`raw/...json#/body/...`). */
export interface Read<T> {
  item: T;
  rawRef: string;
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
export class Reader {
  private readonly denied = new Set<string>();

  constructor(
    private readonly client: GitHubClient,
    readonly scope: ScopeRecorder,
    private readonly signal: AbortSignal,
  ) {}

  async list<T>(kind: CollectionKind, operation: Operation, parameters: Record<string, unknown>): Promise<Read<T>[] | undefined> {
    if (this.denied.has(operation.id)) return undefined;
    try {
      return await this.readAll<T>(operation, parameters);
    } catch (error) {
      if (this.signal.aborted) throw error;
      this.fail(kind, operation, parameters, error);
      return undefined;
    }
  }

  /**
   * A read that only enriches identities (owner hints): when it fails the population is still whole, so
   * the error is kept with what it costs, without making the scope incomplete.
   */
  async enrichment<T>(operation: Operation, parameters: Record<string, unknown>, consequence: string): Promise<Read<T>[]> {
    try {
      return await this.readAll<T>(operation, parameters);
    } catch (error) {
      if (this.signal.aborted) throw error;
      const needs = acceptedPermissions(error) ?? operation.permission;
      this.scope.error(operation.id, error, { recovered: true, hint: `${consequence}${needs ? `; needs ${needs}` : ''}` });
      return [];
    }
  }

  private async readAll<T>(operation: Operation, parameters: Record<string, unknown>): Promise<Read<T>[]> {
    const reads: Read<T>[] = [];
    this.signal.throwIfAborted();
    for await (const page of this.client.pages(operation, parameters)) {
      const path = await this.scope.page(operation.id, parameters, page.body, { records: page.items.length, attempts: page.attempts });
      page.items.forEach((item, index) => reads.push({ item: item as T, rawRef: `${path}#/body${page.itemsPointer}/${index}` }));
      this.signal.throwIfAborted();
    }
    return reads;
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
    const { after: _cursor, ...parameters } = variables;
    await this.scope.page(name, parameters, body, { records: records(body as T), attempts });
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
