/**
 * JSON with object keys in code-point order, so the same data always gives the same bytes whatever order
 * it was built in (a connector's objects and the same objects read back from a pack differ in key order).
 */
export function stableStringify(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    // No prototype, so a `__proto__` key from a provider's data stays a key instead of being dropped.
    const sorted = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      if (child !== undefined) sorted[key] = sortKeys(child);
    }
    return sorted;
  }
  return value;
}

/** How the items of a streamed array are laid out: indented like the rest of the file, or each on one line. */
export type ItemLayout = 'indented' | 'line';

/**
 * `stableStringify({ ...value, [key]: items }, 2)` plus a newline, in pieces: the object around the array once,
 * then each item on its own, so a population of any size is written without one string of it all. With the
 * `line` layout each item is compact on a line of its own (still the same JSON): a file of a million findings is
 * a third smaller, and quicker both to write and to read one item at a time.
 */
export function* stableJsonChunks(value: Record<string, unknown>, key: string, items: Iterable<unknown>, layout: ItemLayout = 'indented'): Generator<string> {
  const marker = '\u0000stable-json-items\u0000';
  const outline = stableStringify({ ...value, [key]: [marker] }, 2);
  const line = outline.split('\n').find((l) => l.includes(JSON.stringify(marker)))!;
  const [before, after] = outline.split(`\n${line}\n`) as [string, string];
  const indent = line.slice(0, line.length - line.trimStart().length);
  const text = layout === 'line' ? (item: unknown) => stableStringify(item) : (item: unknown) => stableStringify(item, 2).replaceAll('\n', `\n${indent}`);
  let first = true;
  for (const item of items) {
    yield `${first ? `${before}\n` : ',\n'}${indent}${text(item)}`;
    first = false;
  }
  if (first) yield `${stableStringify({ ...value, [key]: [] }, 2)}\n`;
  else yield `\n${after}\n`;
}
