import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from '../system-errors.js';

/**
 * Records kept on disk as JSON Lines and read back a record at a time, for a population too large to hold: at a
 * million identities the objects alone are about 1.7 GB of heap. A list is read-only; `asArray()` lends it to code
 * written for arrays, each record decoded when it is read (and decoded again if it is read again).
 */
export class SpilledList<T> {
  constructor(
    private readonly file: SpillFile,
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
    /** The records are in id order by construction, so nobody needs to check or sort them. */
    readonly inIdOrder: boolean,
  ) {}

  get length(): number {
    return this.starts.length;
  }

  at(index: number): T {
    return JSON.parse(this.file.text(this.starts[index]!, this.ends[index]!)) as T;
  }

  *[Symbol.iterator](): Generator<T> {
    for (let i = 0; i < this.starts.length; i++) yield this.at(i);
  }

  /** The records `keep` accepts, as a list over the same file: nothing but their places is held. */
  where(keep: (record: T) => boolean): SpilledList<T> {
    const kept: number[] = [];
    for (let i = 0; i < this.starts.length; i++) if (keep(this.at(i))) kept.push(i);
    return new SpilledList(this.file, Float64Array.from(kept, (i) => this.starts[i]!), Float64Array.from(kept, (i) => this.ends[i]!), this.inIdOrder);
  }

  /** The list as a read-only array, for code that takes one; `spilledOf` gives the list back. */
  asArray(): T[] {
    const list = this;
    const array = new Proxy([] as T[], {
      get(target, key, receiver) {
        if (key === 'length') return list.length;
        if (key === Symbol.iterator) return () => list[Symbol.iterator]();
        const index = indexOf(key);
        if (index !== undefined) return index < list.length ? list.at(index) : undefined;
        return Reflect.get(target, key, receiver);
      },
      has(target, key) {
        const index = indexOf(key);
        return index !== undefined ? index < list.length : Reflect.has(target, key);
      },
      set() {
        throw new TypeError('a spilled population is read-only: copy what you change');
      },
      deleteProperty() {
        throw new TypeError('a spilled population is read-only: copy what you change');
      },
    });
    lent.set(array, list);
    return array;
  }
}

const lent = new WeakMap<object, SpilledList<unknown>>();

/** The spilled list behind an array `asArray()` lent, if it is one. */
export function spilledOf<T>(array: readonly T[]): SpilledList<T> | undefined {
  return lent.get(array) as SpilledList<T> | undefined;
}

/** `array.filter(keep)`, without decoding and holding a spilled array's records. */
export function keptWhere<T>(array: readonly T[], keep: (record: T) => boolean): readonly T[] {
  const spilled = spilledOf(array);
  return spilled ? spilled.where(keep).asArray() : array.filter(keep);
}

function indexOf(key: string | symbol): number | undefined {
  if (typeof key !== 'string' || key.length === 0 || key.length > 10) return undefined;
  const index = Number(key);
  return Number.isInteger(index) && index >= 0 && String(index) === key ? index : undefined;
}

/** The last stretch read is kept, so a list walked in order reads the file in blocks. */
const BLOCK = 1 << 20;

/** One spill file: appended to while it is written, then read by byte ranges. */
class SpillFile {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private size = 0;
  private block = Buffer.alloc(0);
  private blockStart = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'w+');
  }

  /** Appends one record's line; its byte range. */
  append(line: string): [number, number] {
    const start = this.size;
    const bytes = Buffer.byteLength(line);
    this.size += bytes + 1;
    this.pending.push(line);
    this.pendingBytes += bytes + 1;
    if (this.pendingBytes >= BLOCK) this.flush();
    return [start, start + bytes];
  }

  flush(): void {
    if (this.pending.length === 0) return;
    // writeSync may write less than it is given; what it leaves out would be a record silently cut.
    const bytes = Buffer.from(`${this.pending.join('\n')}\n`);
    for (let written = 0; written < bytes.length; ) written += writeSync(this.fd, bytes, written, bytes.length - written, this.size - this.pendingBytes + written);
    this.pending = [];
    this.pendingBytes = 0;
  }

  text(start: number, end: number): string {
    if (start < this.blockStart || end > this.blockStart + this.block.length) {
      this.block = Buffer.allocUnsafe(Math.max(BLOCK, end - start));
      const read = readSync(this.fd, this.block, 0, this.block.length, start);
      this.block = this.block.subarray(0, read);
      this.blockStart = start;
    }
    return this.block.toString('utf8', start - this.blockStart, end - this.blockStart);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Writes records to a new spill file; `finish` gives them back as a list. */
export class SpillWriter<T> {
  private readonly file: SpillFile;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(folder: SpillFolder, name: string) {
    this.file = folder.file(name);
  }

  write(record: T): void {
    const [start, end] = this.file.append(JSON.stringify(record));
    this.starts.push(start);
    this.ends.push(end);
  }

  finish(inIdOrder: boolean): SpilledList<T> {
    this.file.flush();
    return new SpilledList<T>(this.file, Float64Array.from(this.starts), Float64Array.from(this.ends), inIdOrder);
  }
}

/** A run's spill files, in a folder of their own under the system's temporary folder, removed when the process ends. */
export class SpillFolder {
  private folder: string | undefined;
  private readonly files: SpillFile[] = [];

  file(name: string): SpillFile {
    if (!this.folder) {
      removeAbandoned(os.tmpdir());
      this.folder = mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
      removeAtExit(this);
    }
    const file = new SpillFile(path.join(this.folder, name));
    this.files.push(file);
    return file;
  }

  remove(): void {
    for (const file of this.files.splice(0)) file.close();
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
  }
}

const PREFIX = 'nhi-audit-spill-';
const folders = new Set<SpillFolder>();

/**
 * A run's spill can be gigabytes: it goes when the process exits, and when it is interrupted (the signal is then
 * raised again, so the process still ends as it would have).
 */
function removeAtExit(folder: SpillFolder): void {
  if (folders.size === 0) {
    const removeAll = () => folders.forEach((f) => f.remove());
    process.once('exit', removeAll);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        removeAll();
        process.kill(process.pid, signal);
      });
    }
  }
  folders.add(folder);
}

/**
 * Spill folders of processes that are gone (killed outright, out of memory), which had no chance to remove them.
 * Only a day after they were last written to: a process of another PID namespace sharing the folder looks gone too.
 */
const ABANDONED_AFTER_MS = 24 * 3_600_000;
function removeAbandoned(parent: string, now = Date.now()): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^nhi-audit-spill-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    const folder = path.join(parent, name);
    try {
      if (now - statSync(folder).mtimeMs < ABANDONED_AFTER_MS) continue;
      rmSync(folder, { recursive: true, force: true });
    } catch {
      // Another process removed it first, or it is not ours to remove.
    }
  }
}
