import { ExitError, EXIT, type Identity, type Logger } from '../sdk/index.js';
import { compareIds, type IdentitySink } from './collect.js';
import { enrich, enricher, enrichmentChange, enrichmentChanges, type EnrichInputs, type EnrichmentChange } from './enrich.js';
import { SpillFolder, SpillWriter, type SpilledList } from './spill.js';
import { isSystemError } from '../system-errors.js';

/**
 * Identities a run holds before it spills the population to disk. Below it nothing is written and the run is as
 * fast as it can be (100 000 identities are about 170 MB of heap); past it the identities go to sorted run files
 * of RUN_SIZE as they are collected, and are read back a slice at a time (docs/benchmarks.md, fifteenth round).
 */
export const SPILL_AT = 150_000;
const RUN_SIZE = 25_000;

/** Overrides SPILL_AT, for a machine with less memory (or a test that spills a small population). */
export const SPILL_AT_VARIABLE = 'NHI_AUDIT_SPILL_AT';

export function spillAtFrom(env: Readonly<Record<string, string | undefined>>): number {
  const text = env[SPILL_AT_VARIABLE];
  if (text === undefined || text === '') return SPILL_AT;
  if (!/^\d+$/.test(text.trim())) throw new ExitError(EXIT.usage, `${SPILL_AT_VARIABLE}: "${text}" is not a whole number of identities; unset it for the default of ${SPILL_AT}`);
  return Number(text);
}

const byId = (a: Identity, b: Identity) => compareIds(a.id, b.id);

/** A run's population as its sources yield it: held while it is small, spilled in sorted runs once it is not. */
export class Population implements IdentitySink {
  private held: Identity[] = [];
  private readonly runs: SpilledList<Identity>[] = [];
  private readonly folder = new SpillFolder();
  /** Why spilling failed: every source then stops at its next identity, and the run ends without a pack. */
  private failure: ExitError | undefined;

  constructor(
    private readonly spillAt = SPILL_AT,
    private readonly runSize = RUN_SIZE,
  ) {}

  add(identity: Identity): void {
    if (this.failure) throw this.failure;
    this.held.push(identity);
    if (this.held.length > (this.runs.length === 0 ? this.spillAt : this.runSize - 1)) this.spilled(() => this.writeRun());
  }

  private get spilledCount(): number {
    return this.runs.reduce((n, run) => n + run.length, 0);
  }

  private writeRun(): void {
    const writer = new SpillWriter<Identity>(this.folder, `run-${this.runs.length}.jsonl`);
    for (const identity of this.held.sort(byId)) writer.write(identity);
    this.runs.push(writer.finish(true));
    this.held = [];
  }

  /** Spill files that cannot be written (a full disk, no temporary folder) end the run: no pack is better than a wrong one. */
  private spilled<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      // Only the system's errors (ENOSPC, EACCES, ENOENT...) are the spill's; anything else is a bug to report.
      if (!isSystemError(error)) throw error;
      this.failure ??= new ExitError(
        EXIT.usage,
        `could not spill the population to disk (${this.held.length + this.spilledCount} identities, more than ${SPILL_AT_VARIABLE}=${this.spillAt}): ${(error as Error).message}. ` +
          'Free space in the temporary folder, point TMPDIR at a folder with room (about 2 KB an identity), or raise ' +
          `${SPILL_AT_VARIABLE} to hold the population in memory. No pack was written.`,
      );
      this.folder.remove();
      throw this.failure;
    }
  }

  /**
   * The population joined with the registries and in id order, with what the join changed. A spilled one is
   * merged from its runs, an identity at a time, into a spilled list of each.
   */
  joined(inputs: EnrichInputs, log?: Logger): { identities: Identity[]; enrichment: EnrichmentChange[] } {
    if (this.failure) throw this.failure;
    if (this.runs.length > 0) return this.spilled(() => this.joinRuns(inputs, log));
    const held = this.held;
    this.held = [];
    const enriched = enrich(held, inputs);
    const enrichment = enrichmentChanges(held, enriched);
    return { identities: enriched.sort(byId), enrichment };
  }

  private joinRuns(inputs: EnrichInputs, log?: Logger): { identities: Identity[]; enrichment: EnrichmentChange[] } {
    if (this.held.length > 0) this.writeRun();
    log?.info({ identities: this.spilledCount, runs: this.runs.length, spillAt: this.spillAt }, 'population spilled to disk');
    const join = enricher(inputs);
    const identities = new SpillWriter<Identity>(this.folder, 'identities.jsonl');
    const changes = new SpillWriter<EnrichmentChange>(this.folder, 'enrichment.jsonl');
    for (const identity of merged(this.runs)) {
      const enriched = join(identity);
      identities.write(enriched);
      const change = enrichmentChange(identity, enriched);
      if (change) changes.write(change);
    }
    return { identities: identities.finish(true).asArray(), enrichment: changes.finish(true).asArray() };
  }
}

/** Sorted runs merged into one order; of equal ids, the earlier run's first. */
function* merged(runs: readonly SpilledList<Identity>[]): Generator<Identity> {
  const walks = runs.map((run) => run[Symbol.iterator]());
  const heads = walks.map((walk) => walk.next());
  for (;;) {
    let least = -1;
    heads.forEach((head, i) => {
      if (!head.done && (least < 0 || compareIds(head.value.id, (heads[least]!.value as Identity).id) < 0)) least = i;
    });
    if (least < 0) return;
    yield heads[least]!.value as Identity;
    heads[least] = walks[least]!.next();
  }
}
