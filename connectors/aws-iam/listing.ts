import { PagingError } from '../../src/sdk/index.js';

/**
 * The items each page of one listing gave, by id: an item that comes again means a marker led back to a page
 * already read (the first page has no marker, so the PageGuard cannot see a way back to it), and what the listing
 * holds can no longer be told from what it repeated.
 */
export class SeenItems {
  private readonly ids = new Set<string>();
  private pages = 0;
  constructor(private readonly operation: string) {}

  add(ids: readonly string[]): void {
    this.pages += 1;
    const repeated = ids.filter((id) => this.ids.has(id)).length;
    if (repeated > 0) {
      throw new PagingError(this.operation, 'repeated-cursor', `page ${this.pages} repeats ${repeated} items of an earlier page: its marker led back to a page already read`);
    }
    for (const id of ids) this.ids.add(id);
  }
}
