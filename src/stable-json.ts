/**
 * JSON with object keys in code-point order, so the same data always gives the same bytes whatever order
 * it was built in (a connector's objects and the same objects read back from a pack differ in key order).
 */
export function stableStringify(value: unknown, indent?: number): string {
  return JSON.stringify(inKeyOrder(value) ? value : sortKeys(value), null, indent);
}

/**
 * True when JSON.stringify writes the value as it writes sortKeys' copy of it: plain objects and arrays only, each
 * object's keys enumerated in code-point order, none of them a toJSON. Most evidence a control writes is one or
 * two members in order, and checking costs less than copying it.
 */
function inKeyOrder(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!inKeyOrder(value[i])) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  let previous: string | undefined;
  for (const key in value) {
    if ((previous !== undefined && !(previous < key)) || key === 'toJSON' || !inKeyOrder((value as Record<string, unknown>)[key])) return false;
    previous = key;
  }
  return true;
}

/** A member set as data, so a `__proto__` key from a provider's data stays a key rather than a prototype. */
export function defineMember(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    // A plain object, built in key order, keeps V8's fast properties, which JSON.stringify writes a fifth faster
    // than a prototype-less dictionary; a `__proto__` key from a provider's data is defined, so it stays a key.
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      if (child === undefined) continue;
      defineMember(sorted, key, sortKeys(child));
    }
    return sorted;
  }
  return value;
}

/**
 * `stableStringify(value, 2)` with each line after the first indented by `indent` (spaces, two a level), as the
 * value reads nested that deep: written nested in as many arrays and cut out, which costs less than indenting
 * every line of it again (a population's inventory is a hundred thousand of them).
 */
function indentedBy(value: unknown, indent: string): string {
  const depth = indent.length / 2;
  if (!Number.isInteger(depth) || indent.trim() !== '') return stableStringify(value, 2).replaceAll('\n', `\n${indent}`);
  let nested = inKeyOrder(value) ? value : sortKeys(value);
  for (let level = 0; level < depth; level++) nested = [nested];
  const text = JSON.stringify(nested, null, 2);
  const [opening, closing] = arrayFrame(depth);
  return text.slice(opening, text.length - closing);
}

/** How many characters the arrays around a value nested `depth` deep take before it and after it. */
function arrayFrame(depth: number): [number, number] {
  let [opening, closing] = [0, 0];
  for (let level = 1; level <= depth; level++) {
    opening += 2 + 2 * level; // "[\n" and the next level's indent
    closing += 2 + 2 * (level - 1); // "\n", the indent and "]"
  }
  return [opening, closing];
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
  const list = new StableJsonList(key, layout);
  for (const item of items) yield list.item(value, item);
  yield list.end(value);
}

/**
 * `stableStringify(outline(items), 2)` plus a newline, in pieces, for an array anywhere in what surrounds it
 * (`stableJsonChunks` is the case of a top-level key): the text around the array once, then each item as it comes.
 */
export function* stableJsonChunksWithin(outline: (items: unknown[]) => unknown, items: Iterable<unknown>): Generator<string> {
  const { before, after, indent } = listFrame(outline);
  let first = true;
  for (const item of items) {
    yield `${first ? `${before}\n` : ',\n'}${indent}${indentedBy(item, indent)}`;
    first = false;
  }
  yield first ? `${stableStringify(outline([]), 2)}\n` : `\n${after}\n`;
}

/**
 * `stableJsonChunks` with the items pushed one at a time, for a list written as it is made: what surrounds the
 * list may be known only once every item came (a summary of them), as long as what comes before the list in
 * key order does not change; `end` checks that it did not.
 */
export class StableJsonList {
  private frame: { before: string; after: string; indent: string } | undefined;

  constructor(
    private readonly key: string,
    private readonly layout: ItemLayout,
  ) {}

  /** The text of the next item; before the first, the file up to the list too (from `value`, what surrounds it). */
  item(value: Record<string, unknown>, item: unknown): string {
    if (this.layout === 'line') return this.itemText(value, stableStringify(item));
    return this.framed(value, (indent) => indentedBy(item, indent));
  }

  /** `item` for an item already written as `stableStringify` writes it in this layout. */
  itemText(value: Record<string, unknown>, text: string): string {
    return this.framed(value, (indent) => (this.layout === 'line' ? text : text.replaceAll('\n', `\n${indent}`)));
  }

  private framed(value: Record<string, unknown>, text: (indent: string) => string): string {
    const opening = this.frame === undefined;
    const frame = (this.frame ??= this.frameOf(value));
    return `${opening ? `${frame.before}\n` : ',\n'}${frame.indent}${text(frame.indent)}`;
  }

  /** What comes between two items (one-line layout): items another thread joins with it are written as one text. */
  separator(value: Record<string, unknown>): string {
    if (this.layout !== 'line') throw new Error('internal: only one-line items are joined elsewhere');
    return `,\n${(this.frame ?? this.frameOf(value)).indent}`;
  }

  /** The rest of the file after the last item, with `value` as it ended (or the whole file, when no item came). */
  end(value: Record<string, unknown>): string {
    if (this.frame === undefined) return `${stableStringify({ ...value, [this.key]: [] }, 2)}\n`;
    const frame = this.frameOf(value);
    if (frame.before !== this.frame.before) throw new Error(`internal: what comes before "${this.key}" changed while its items were written`);
    return `\n${frame.after}\n`;
  }

  private frameOf(value: Record<string, unknown>) {
    return listFrame((items) => ({ ...value, [this.key]: items }));
  }
}

/** The text of `stableStringify(outline(items), 2)` before and after its items' lines, and the items' indent. */
function listFrame(outline: (items: unknown[]) => unknown): { before: string; after: string; indent: string } {
  const marker = '\u0000stable-json-items\u0000';
  const text = stableStringify(outline([marker]), 2);
  const line = text.split('\n').find((l) => l.includes(JSON.stringify(marker)))!;
  const [before, after] = text.split(`\n${line}\n`) as [string, string];
  return { before, after, indent: line.slice(0, line.length - line.trimStart().length) };
}
