/**
 * Globs over identifiers (identity ids in waivers and registries, role names in a file export's rules): `*`
 * matches any run of characters (ids contain `:` and `/`, which path-style globs would treat as boundaries), `?`
 * one character; everything else is literal.
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

export function matchesGlob(glob: string, value: string): boolean {
  return glob === value || globToRegExp(glob).test(value);
}
