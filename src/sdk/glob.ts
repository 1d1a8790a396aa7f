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
