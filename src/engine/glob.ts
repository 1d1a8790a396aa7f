/**
 * Identity-id globs for waivers and registries: `*` matches any run of characters (ids contain `:` and `/`,
 * which path-style globs would treat as boundaries), `?` one character; everything else is literal.
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

const compiled = new Map<string, RegExp>();

/** Whether a glob matches; each distinct glob is compiled once per process. */
export function matchesGlob(glob: string, value: string): boolean {
  if (glob === value) return true;
  let regex = compiled.get(glob);
  if (!regex) {
    regex = globToRegExp(glob);
    compiled.set(glob, regex);
  }
  return regex.test(value);
}

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
