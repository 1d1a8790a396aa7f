import { globToRegExp } from '../sdk/glob.js';

export { globToRegExp, matchesGlob } from '../sdk/glob.js';

function isGlob(key: string): boolean {
  return key.includes('*') || key.includes('?');
}

/**
 * Rows keyed by an identity id or glob, for lookups across a large population: exact ids through a map, each
 * glob compiled once and tried only when the id starts with the glob's literal prefix. Row order is kept, so
 * "the first row that matches wins" holds as in a plain scan.
 */
export class GlobIndex<Row> {
  private readonly exact = new Map<string, number[]>();
  private readonly globs: Array<{ index: number; prefix: string; regex: RegExp }> = [];

  constructor(
    readonly rows: readonly Row[],
    key: (row: Row) => string | undefined,
  ) {
    rows.forEach((row, index) => {
      const value = key(row);
      if (value === undefined) return;
      if (!isGlob(value)) {
        const list = this.exact.get(value) ?? [];
        list.push(index);
        this.exact.set(value, list);
        return;
      }
      this.globs.push({ index, prefix: value.slice(0, value.search(/[*?]/)), regex: globToRegExp(value) });
    });
  }

  /** The indexes of every row whose key matches `value`, in row order. */
  matches(value: string): number[] {
    const found = [...(this.exact.get(value) ?? [])];
    for (const glob of this.globs) if (value.startsWith(glob.prefix) && glob.regex.test(value)) found.push(glob.index);
    return found.sort((a, b) => a - b);
  }

  /** The first row whose key matches `value`. */
  first(value: string): Row | undefined {
    const exact = this.exact.get(value)?.[0] ?? Number.POSITIVE_INFINITY;
    for (const glob of this.globs) {
      if (glob.index > exact) break;
      if (value.startsWith(glob.prefix) && glob.regex.test(value)) return this.rows[glob.index];
    }
    return Number.isFinite(exact) ? this.rows[exact] : undefined;
  }
}
