import type { Config, Registries } from '../config.js';
import type { Finding, Identity } from '../sdk/index.js';
import { TextDigest } from '../evidence/seal.js';
import { stableStringify } from '../stable-json.js';
import { compareIds } from './collect.js';
import { enrich, undoEnrichment, type EnrichmentChange } from './enrich.js';
import { evaluationStream, type UnitEvaluation } from './evaluate.js';
import { activeControls, inputsFrom, type InputFile } from './pipeline.js';
import type { SystemsRegistry } from './systems.js';

/** One side of the comparison: what the pack sealed and what re-performing gave, by key. */
export interface Comparison {
  count: number;
  /** sha256 of each side's canonical JSON array (`stableStringify` of the whole list), hex. */
  sealedDigest: string;
  againDigest: string;
  /** Keys (identity ids, or control/identity/credential) whose sealed and re-performed forms differ. */
  differing: string[];
}

export interface Reperformance {
  /** The sealed inputs, with the rows each holds. */
  inputs: InputFile[];
  /** The re-joined inventory against the sealed one, compared when asked (`report` wants only the evaluation). */
  compareInventory(): Comparison;
  /** The re-performed evaluation, walked a control at a time as the sealed findings are read (ListComparison). */
  evaluation: UnitEvaluation;
  /** The sealed systems registry, when the run had one. */
  systems?: SystemsRegistry;
}

export interface SealedRun {
  asOf: string;
  config: Config;
  identities: readonly Identity[];
  /** sha256 of the identities' list as canonical JSON, when it was taken as they were read (`readIdentitiesDigested`). */
  identitiesDigest?: string;
}

/**
 * Compares the sealed list with the re-performed one an item at a time, in the order both were sorted in, so that
 * neither list is ever one string (a million findings would pass V8's string limit) and the sealed list need not
 * be held: its items are fed as they are read. The digests are of the text the whole list would be. Items out of
 * step (missing, extra, different or moved) are set aside by key, and only those are compared by key.
 */
export class ListComparison<T> {
  private readonly sealedHash = new TextDigest('[');
  /** Undefined while both lists' texts are the same so far: the sealed hash stands for both until they part. */
  private againHash: TextDigest | undefined;
  private readonly before = new Map<string, string>();
  private readonly after = new Map<string, string>();
  private readonly again: Iterator<T>;
  /** The re-performed item at the position last compared, and how many there were so far. */
  private current: T | undefined;
  private count = 0;
  private index = 0;

  /**
   * `again` is walked once, an item per sealed item: a stream of them is never held whole. `canonical` writes an item
   * as `stableStringify` does; a list whose items have a faster writer of that text passes it.
   */
  constructor(
    again: Iterable<T>,
    private readonly key: (item: T) => string,
    private readonly canonical: (item: T) => string = stableStringify,
  ) {
    this.again = again[Symbol.iterator]();
  }

  /** The next sealed item, as read and validated. */
  value(sealed: T): void {
    const right = this.nextAgain();
    // Most items come out as sealed: those are written once, for both digests.
    this.compare(right !== undefined && jsonEqual(sealed, this.current) ? right : this.canonical(sealed), sealed, right);
  }

  /**
   * The next sealed item as the canonical text it was sealed in (a pack's one-line layout): an item that came out
   * the same is compared as text and never parsed; `read` parses and validates one that did not.
   */
  text(sealed: string, read: () => T): void {
    const right = this.nextAgain();
    if (sealed === right) this.compare(right, undefined, right);
    else {
      const value = read();
      this.compare(this.canonical(value), value, right);
    }
  }

  /** The next `count` re-performed items, past the sealed list's end: each is one the pack does not have. */
  extra(count: number): void {
    for (let i = 0; i < count; i++) {
      const right = this.nextAgain();
      if (right === undefined) return;
      this.compare(undefined, undefined, right);
    }
  }

  /** The comparison, once every sealed item was fed. */
  finish(): Comparison {
    for (let right = this.nextAgain(); right !== undefined; right = this.nextAgain()) this.compare(undefined, undefined, right);
    const { before, after } = this;
    const differing = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort(compareIds);
    this.sealedHash.update(']');
    const sealedDigest = this.sealedHash.digest();
    this.againHash?.update(']');
    return { count: this.count, sealedDigest, againDigest: this.againHash ? this.againHash.digest() : sealedDigest, differing };
  }

  private nextAgain(): string | undefined {
    this.index++;
    const next = this.again.next();
    if (next.done) {
      this.current = undefined;
      return undefined;
    }
    this.current = next.value;
    this.count++;
    return this.canonical(next.value);
  }

  private compare(left: string | undefined, sealed: T | undefined, right: string | undefined): void {
    const first = this.index === 1;
    if (!this.againHash && left !== right) this.againHash = this.sealedHash.copy();
    if (left !== undefined) extend(this.sealedHash, left, first);
    if (right !== undefined && this.againHash) extend(this.againHash, right, first);
    if (left === right) return;
    if (left !== undefined) this.before.set(this.key(sealed!), left);
    if (right !== undefined) this.after.set(this.key(this.current!), right);
  }
}

/** The canonical text of a list grows by an item: a comma before all but the first. */
function extend(hash: TextDigest, item: string, first: boolean): void {
  hash.update(first ? item : `,${item}`);
}

/**
 * Compares two lists held whole (see ListComparison). Given `sealedDigest`, the sealed list's digest as canonical
 * JSON taken already, lists whose items are all the same JSON are not written out again: their texts are the same.
 */
export function compareLists<T>(sealed: readonly T[], again: readonly T[], key: (item: T) => string, sealedDigest?: string): Comparison {
  if (sealedDigest !== undefined && sealed.length === again.length && sealed.every((item, i) => jsonEqual(item, again[i]))) {
    return { count: again.length, sealedDigest, againDigest: sealedDigest, differing: [] };
  }
  const comparison = new ListComparison(again, key);
  for (const item of sealed) comparison.value(item);
  return comparison.finish();
}

/**
 * True only when both values are the same JSON of plain strings, finite numbers, booleans, nulls, arrays and
 * objects (keys in any order; an undefined member is no member), so their canonical texts are the same. Anything
 * else (dates, non-finite numbers, class instances) answers false, and the caller compares texts instead.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null) return a === b && (a === null || typeof a === 'string' || typeof a === 'boolean' || (typeof a === 'number' && Number.isFinite(a)));
  if (typeof b !== 'object' || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!(i in a) || !(i in b) || !jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let members = 0;
  for (const key of Object.keys(left)) {
    if (left[key] === undefined) continue;
    members++;
    if (!Object.hasOwn(right, key) || !jsonEqual(left[key], right[key])) return false;
  }
  for (const key of Object.keys(right)) if (right[key] !== undefined) members--;
  return members === 0;
}

export const findingKey = (f: Pick<Finding, 'controlId' | 'identityId' | 'credentialId'>) => [f.controlId, f.identityId, f.credentialId].filter(Boolean).join(' ');

/**
 * Repeats a run's judgement from its pack: the identities as the connectors gave them (the sealed inventory
 * with the join's changes undone), joined again with the sealed registries, then evaluated with the sealed
 * waivers and configuration as of the pack's as-of instant. Both the inventory and the findings must come out
 * byte for byte as sealed.
 */
export function reperformRun(run: SealedRun, sealedInputs: InputFile[], enrichment: readonly EnrichmentChange[], registries: Pick<Registries, 'controls'>): Reperformance {
  const inputs = inputsFrom(run.config, sealedInputs, registries.controls.map((c) => c.meta.id));
  const identities = enrich(undoEnrichment(run.identities, enrichment), inputs.enrich).sort((a, b) => compareIds(a.id, b.id));
  const evaluation = evaluationStream(identities, activeControls({ config: run.config }, registries, inputs), {
    now: new Date(run.asOf),
    waivers: inputs.waivers,
    includeHumans: run.config.evaluate.includeHumans,
    ...(run.config.evaluate.systems ? { systems: run.config.evaluate.systems } : {}),
  });
  return {
    inputs: inputs.files,
    compareInventory: () => compareLists(run.identities, identities, (i) => i.id, run.identitiesDigest),
    evaluation,
    ...(inputs.systems ? { systems: inputs.systems } : {}),
  };
}
