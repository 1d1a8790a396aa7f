import { PagingError, type RawPage } from '../../src/sdk/index.js';

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

/**
 * Whether a listing's kept pages stopped partway, as the collection judged it: the last page still claims more
 * (the collection stopped there: a failure, a paging fault, an export of one page), or a page repeats items of an
 * earlier one.
 */
export function stoppedPartway<Body>(pages: readonly RawPage[], ids: (body: Body) => string[]): boolean {
  const last = pages.at(-1)?.body as { IsTruncated?: boolean; Marker?: string; NextToken?: string } | undefined;
  if (last && (last.IsTruncated === true || Boolean(last.Marker) || Boolean(last.NextToken))) return true;
  const seen = new SeenItems(pages[0]?.operation ?? '');
  try {
    for (const page of pages) seen.add(ids(page.body as Body));
  } catch {
    return true;
  }
  return false;
}
