/**
 * Cuts the items of one top-level array out of a file laid out as `stableJsonChunks` writes it, as the text
 * arrives: the array opens on the line `  "<key>": [`, and each item is an object four spaces in, either whole on
 * one line or opening on `    {` and closing on `    }`. A JSON string never holds a raw line feed, so those lines
 * can only be structure. Each item's text goes to `onItem` to be parsed on its own (JSON.parse is many times
 * faster than a streaming tokenizer), and no line is made a string of its own. An item whole on one line is the
 * compact canonical text `stableStringify` gives, which a comparison can use as it is.
 */
export class ItemScanner {
  private text = '';
  private state: 'before' | 'between' | 'after' | 'unknown' = 'before';
  private readonly opening: string;
  /** The file's text before the array's items and from its closing bracket on, kept when `keepAround` is set. */
  private head = '';
  private tail = '';

  constructor(
    key: string,
    private readonly onItem: (text: string, oneLine: boolean) => void,
    private readonly keepAround = false,
  ) {
    this.opening = `\n  ${JSON.stringify(key)}: [`;
  }

  /** Takes the next piece of the file; false once the file is laid out otherwise (the caller reads it another way). */
  push(chunk: string): boolean {
    if (this.state === 'after') {
      if (this.keepAround) this.tail += chunk;
      return true;
    }
    this.text = this.text.length === 0 ? chunk : this.text + chunk;
    if (this.state === 'before') this.findOpening();
    if (this.state === 'between') this.cutItems();
    if (this.done) this.text = '';
    return this.state !== 'unknown';
  }

  /** True when the array was found and closed. */
  get done(): boolean {
    return this.state === 'after';
  }

  /** The file's JSON with the array left empty: what the file says around its items (read to the end first). */
  around(): string {
    return `${this.head}${this.tail}`;
  }

  private findOpening(): void {
    const at = this.text.indexOf(this.opening);
    const next = at < 0 ? undefined : this.text[at + this.opening.length];
    if (next === undefined) {
      // Keep what could be the start of the opening line, split across two pieces.
      const kept = Math.max(0, (at < 0 ? this.text.length : at) - this.opening.length);
      if (this.keepAround) this.head += this.text.slice(0, kept);
      this.text = this.text.slice(kept);
      return;
    }
    const rest = this.text.slice(at + this.opening.length);
    if (this.keepAround) this.head += this.text.slice(0, at + this.opening.length);
    if (next === ']') {
      this.state = rest.startsWith(']\n') || rest.startsWith('],\n') || rest === ']' || rest === '],' ? 'after' : 'unknown';
      if (this.keepAround) this.tail = rest;
    } else if (next === '\n') (this.state = 'between'), (this.text = rest.slice(1));
    else this.state = 'unknown';
  }

  private cutItems(): void {
    const { text } = this;
    let at = 0;
    for (;;) {
      if (text.startsWith('    {\n', at)) {
        const close = text.indexOf('\n    }', at);
        if (close < 0 || close + 7 > text.length) break;
        const end = this.lineEnd(close + 6);
        if (end === undefined) break;
        if (end < 0) return void (this.state = 'unknown');
        this.onItem(text.slice(at + 4, close + 6), false);
        at = end;
      } else if (text.startsWith('    {', at)) {
        const newline = text.indexOf('\n', at);
        if (newline < 0) break;
        this.onItem(text.slice(at + 4, text[newline - 1] === ',' ? newline - 1 : newline), true);
        at = newline + 1;
      } else if (text.startsWith('  ]\n', at) || text.startsWith('  ],\n', at)) {
        this.state = 'after';
        if (this.keepAround) this.tail = text.slice(at + 2);
        return;
      } else if (text.length - at < 6) {
        break;
      } else {
        this.state = 'unknown';
        return;
      }
    }
    this.text = text.slice(at);
  }

  /** Where the line after an item's closing brace at `from` starts: undefined when not yet read, -1 when malformed. */
  private lineEnd(from: number): number | undefined {
    const { text } = this;
    if (text[from] === '\n') return from + 1;
    if (text[from] === ',') return from + 1 >= text.length ? undefined : text[from + 1] === '\n' ? from + 2 : -1;
    return from >= text.length ? undefined : -1;
  }
}
