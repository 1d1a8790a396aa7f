import { createHash, type Hash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  DEFAULT_PAGING,
  DEFAULT_TIMEOUTS,
  IdentitySchema,
  PagingError,
  PagingSchema,
  TimeoutsSchema,
  type Paging,
  type Timeouts,
  type Verdict,
  type CollectContext,
  type Connector,
  type Identity,
  type Logger,
  type OperationStats,
  type ScopeCompleteness,
  type ScopeRecorder,
  type SourceCompleteness,
  type UsageData,
} from '../sdk/index.js';
import { redactWithReport, type Redaction } from '../redact.js';
import type { FileDigest } from '../evidence/seal.js';
import { stableStringify } from '../stable-json.js';

/** Calls of one operation described each by its parameters in the manifest; the rest are summed in one entry. */
const DETAILED_PARAMETER_SETS = 100;

export interface SourceSettings {
  name: string;
  connector: string;
  [field: string]: unknown;
}

export interface CollectOptions {
  now: Date;
  log: Logger;
  env: Readonly<Record<string, string | undefined>>;
  /** Folder that relative paths in source settings resolve against (the config file's folder). */
  baseDir: string;
  /** The pack's raw/ folder; pages are written below `<rawDir>/<source>/`. */
  rawDir: string;
  signal?: AbortSignal;
  /** Wall clock for started/finished stamps; separate from `now`, which is the audit's as-of. */
  clock?: () => Date;
  /** One shard's scopes of the source (`collect --plan --shard`); unset, every scope. */
  onlyScopes?: readonly string[];
  /** Takes the identities as they are accepted, instead of the source's result (a run's `Population`). */
  sink?: IdentitySink;
}

/** Where a run's identities go as they are collected, so a large population need not be held. */
export interface IdentitySink {
  add(identity: Identity): void;
}

export interface SourceResult {
  identities: Identity[];
  completeness: SourceCompleteness;
  /** Raw pages whose secrets were replaced before they were written, and where in each. */
  redactions: PageRedactions[];
  /** The raw files the source wrote, digested as they were written (each whose every page was written whole). */
  rawDigests?: FileDigest[];
}

export interface PageRedactions {
  page: string;
  redactions: Redaction[];
}

/** Folder and file names derived from provider names must stay inside the pack and portable. */
export function safeSegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return cleaned.length > 0 ? cleaned : '_';
}

/** Thrown by a recorder once its source has ended: nothing is written after a source failed or finished. */
export class SourceClosedError extends Error {
  override readonly name = 'AbortError';
  constructor(scope: string, operation: string) {
    super(`${operation} in ${scope} answered after its source ended; the page was not kept`);
  }
}

interface RawFile {
  /** The last append: a file's pages are appended one after another, in the order they were handed over. */
  appended: Promise<unknown>;
  lines: number;
  hash: Hash;
  size: number;
  failed: boolean;
}

/**
 * A source's raw files, each digested as its pages are appended, so sealing need not read raw/ again: at 100 000
 * identities reading it back started threads and held up the seal by about a second. Shared by the source's scopes,
 * whose folder names may coincide once made safe.
 */
class RawFiles {
  private readonly files = new Map<string, RawFile & { pack: string }>();

  constructor(private readonly rawDir: string) {}

  /**
   * Appends a line to a file named as the pack names it (`raw/...`), after the lines handed over before it: its line
   * number in the file (which two scopes sharing a folder both write), and the write.
   */
  append(packPath: string, line: string): { at: number; written: Promise<void> } {
    const file = path.join(this.rawDir, ...packPath.split('/').slice(1));
    let entry = this.files.get(file);
    if (!entry) {
      entry = { pack: packPath, appended: mkdir(path.dirname(file), { recursive: true }), lines: 0, hash: createHash('sha256'), size: 0, failed: false };
      this.files.set(file, entry);
    }
    const bytes = Buffer.from(line, 'utf8');
    entry.hash.update(bytes);
    entry.size += bytes.length;
    entry.lines += 1;
    const written = entry.appended.then(() => appendFile(file, bytes));
    const appended = entry;
    appended.appended = written.catch(() => {
      appended.failed = true;
    });
    return { at: entry.lines, written };
  }

  /** Once every append has settled: the digests of the files written whole; a file with a failed append is left to be read. */
  digests(): FileDigest[] {
    return [...this.files.values()].filter((f) => !f.failed).map((f) => ({ path: f.pack, sha256: f.hash.digest('hex'), size: f.size }));
  }
}

class Recorder implements ScopeRecorder {
  private readonly operations = new Map<string, OperationStats>();
  private readonly parameterSets = new Map<string, number>();
  private readonly rest = new Map<string, OperationStats>();
  /** Pages of each call summed in a `rest` entry, for the page budget, which holds per call. */
  private readonly restPages = new Map<string, number>();
  private readonly pageCounts = new Map<string, number>();
  private readonly writes = new Set<Promise<unknown>>();
  private closed = false;
  private recovered = 0;
  readonly result: ScopeCompleteness;

  constructor(
    readonly scope: string,
    private readonly raw: RawFiles,
    private readonly rawPrefix: string,
    private readonly log: Logger,
    private readonly paging: Paging,
    private readonly redactions: PageRedactions[],
  ) {
    this.result = {
      scope,
      verdict: 'complete',
      operations: [],
      identities: 0,
      reconciliations: [],
      errors: [],
      unreadable: [],
    };
  }

  collector(identity: string): void {
    this.result.collector = identity;
  }

  /**
   * The manifest's entry for a call: one per operation and parameters for the first DETAILED_PARAMETER_SETS sets
   * of an operation, then one entry summing the rest (`parameterSets` says how many), so a per-user listing over a
   * large population keeps the manifest small; the raw pages still hold every call's parameters.
   */
  private stats(operation: string, parameters: Record<string, unknown>, key: string): OperationStats {
    const detailed = this.operations.get(key);
    if (detailed) return detailed;
    const sets = (this.parameterSets.get(operation) ?? 0) + 1;
    this.parameterSets.set(operation, sets);
    if (sets <= DETAILED_PARAMETER_SETS) {
      const stats = { operation, parameters, pages: 0, records: 0, retries: 0, errors: 0 };
      this.operations.set(key, stats);
      this.result.operations.push(stats);
      return stats;
    }
    let rest = this.rest.get(operation);
    if (!rest) {
      rest = { operation, parameters: {}, parameterSets: 0, pages: 0, records: 0, retries: 0, errors: 0 };
      this.rest.set(operation, rest);
      this.result.operations.push(rest);
    }
    rest.parameterSets! += 1;
    // Later pages of the same call find their entry here.
    this.operations.set(key, rest);
    return rest;
  }

  async page(
    operation: string,
    parameters: Record<string, unknown>,
    body: unknown,
    counts: { records: number; attempts?: number },
  ): Promise<string> {
    if (this.closed) throw new SourceClosedError(this.scope, operation);
    const key = `${operation} ${stableStringify(parameters)}`;
    const stats = this.stats(operation, parameters, key);
    const callPages = stats.parameterSets === undefined ? stats.pages : (this.restPages.get(key) ?? 0);
    // The backstop behind every connector's own PageGuard: no listing writes pages without end.
    if (callPages >= this.paging.maxPages) {
      throw new PagingError(operation, 'page-budget', `more than ${this.paging.maxPages} pages with the same parameters, the budget of paging.maxPages`);
    }
    if (stats.parameterSets !== undefined) this.restPages.set(key, callPages + 1);
    stats.pages += 1;
    stats.records += counts.records;
    stats.retries += Math.max(0, (counts.attempts ?? 1) - 1);
    const n = (this.pageCounts.get(operation) ?? 0) + 1;
    this.pageCounts.set(operation, n);
    // One JSON Lines file per operation and scope, a page a line: a large population makes hundreds of files, not
    // tens of thousands. A page is named by its file and line.
    const fileName = `${this.rawPrefix}/${safeSegment(this.scope)}/${safeSegment(operation)}.jsonl`;
    const redacted = redactWithReport(body, '/body');
    const line = `${stableStringify({ operation, parameters, scope: this.scope, page: n, body: redacted.value })}\n`;
    const { at, written: write } = this.raw.append(fileName, line);
    const relative = `${fileName}:${at}`;
    if (redacted.redactions.length > 0) this.redactions.push({ page: relative, redactions: redacted.redactions });
    this.writes.add(write);
    try {
      await write;
    } finally {
      this.writes.delete(write);
    }
    return relative;
  }

  /** Refuses further pages and waits for the writes already started: sealing must see every file whole. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.writes]);
  }

  /** The scope's verdict from what it met: failures first, then whether any independent count reconciled. */
  finish(): ScopeCompleteness {
    const failed =
      this.result.errors.length > this.recovered ||
      this.result.unreadable.length > 0 ||
      this.result.reconciliations.some((r) => !r.matches);
    const verdict: Verdict = failed ? 'incomplete' : this.result.reconciliations.length > 0 ? 'complete' : 'unreconciled';
    this.result.verdict = verdict;
    return this.result;
  }

  error(operation: string, error: unknown, options: { hint?: string; recovered?: boolean } = {}): void {
    const stats = this.stats(operation, {}, `${operation} {}`);
    stats.errors += 1;
    const { code, message } = describeError(error);
    this.result.errors.push({ operation, code, message, ...(options.hint ? { hint: options.hint } : {}) });
    if (options.recovered) this.recovered += 1;
    this.log.warn({ scope: this.scope, operation, code, recovered: options.recovered ?? false }, message);
  }

  reconcile(name: string, expected: number, observed: number, note?: string): void {
    const matches = expected === observed;
    this.result.reconciliations.push({ name, expected, observed, matches, ...(note ? { note } : {}) });
    if (!matches) {
      this.log.warn({ scope: this.scope, name, expected, observed }, 'independent count does not match the collected population');
    }
  }

  usage(data: UsageData): void {
    this.result.usage = data;
  }

  unreadable(kind: string, reason: string): void {
    this.result.unreadable.push({ kind, reason });
    this.log.warn({ scope: this.scope, kind }, reason);
  }
}

export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const named = error as Error & { code?: unknown; Code?: unknown };
    const code = named.Code ?? named.code ?? named.name;
    return { code: typeof code === 'string' || typeof code === 'number' ? String(code) : 'Error', message: error.message };
  }
  return { code: 'Error', message: String(error) };
}

/**
 * Where identities enter the engine: each is validated against the contract, must name its own source and
 * connector, and appears once. A rejected one is an error of the source, never a silent drop.
 */
export class IdentityBoundary {
  /** What was accepted, unless a sink took it. */
  readonly identities: Identity[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly connector: string,
    private readonly source: string,
    private readonly errors: string[],
    private readonly sink?: IdentitySink,
  ) {}

  get accepted(): number {
    return this.seen.size;
  }

  accept(candidate: unknown): Identity | undefined {
    const parsed = IdentitySchema.safeParse(candidate);
    if (!parsed.success) {
      const id = (candidate as { id?: unknown } | undefined)?.id;
      this.errors.push(`identity ${String(id)} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return undefined;
    }
    const identity = parsed.data;
    if (identity.source !== this.source || identity.connector !== this.connector) {
      this.errors.push(`identity ${identity.id} names source ${identity.source}/${identity.connector}`);
      return undefined;
    }
    if (this.seen.has(identity.id)) {
      this.errors.push(`identity ${identity.id} was yielded twice`);
      return undefined;
    }
    this.seen.add(identity.id);
    if (this.sink) this.sink.add(identity);
    else this.identities.push(identity);
    return identity;
  }
}

/** Rejects when `signal` aborts, so a connector that ignores its signal cannot hold the run past its deadline. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The source's verdict: any error or incomplete scope makes it incomplete; any unreconciled scope, unreconciled. */
export function sourceVerdict(errors: readonly string[], scopes: readonly ScopeCompleteness[]): Verdict {
  if (errors.length > 0 || scopes.some((s) => s.verdict === 'incomplete')) return 'incomplete';
  if (scopes.length === 0 || scopes.some((s) => s.verdict === 'unreconciled')) return 'unreconciled';
  return 'complete';
}

/** A source's time and paging limits, and the connector's own fields beside them. */
export function sourceLimits(settings: SourceSettings): { timeouts: Timeouts; paging: Paging; fields: Record<string, unknown> } {
  const { name: _name, connector: _connector, timeouts: rawTimeouts, paging: rawPaging, ...fields } = settings;
  return {
    timeouts: rawTimeouts === undefined ? DEFAULT_TIMEOUTS : TimeoutsSchema.parse(rawTimeouts),
    paging: rawPaging === undefined ? DEFAULT_PAGING : PagingSchema.parse(rawPaging),
    fields,
  };
}

/**
 * Runs one source's connector. A connector that throws, yields an invalid identity or reports an error
 * marks the source incomplete; what it did read is kept, and the other sources are unaffected. When the source
 * ends, however it ends, its in-flight requests are aborted and every raw page already started is written
 * whole before this returns: nothing is written into the pack afterwards.
 */
export async function collectSource(
  connector: Connector,
  settings: SourceSettings,
  options: CollectOptions,
): Promise<SourceResult> {
  const clock = options.clock ?? (() => new Date());
  const log = options.log.child({ source: settings.name, connector: connector.id });
  const rawPrefix = `raw/${safeSegment(settings.name)}`;
  const { timeouts, paging, fields } = sourceLimits(settings);
  const recorders = new Map<string, Recorder>();
  const raw = new RawFiles(options.rawDir);
  const redactions: PageRedactions[] = [];
  const completeness: SourceCompleteness = {
    source: settings.name,
    connector: connector.id,
    verdict: 'complete',
    startedAt: clock().toISOString(),
    finishedAt: '',
    scopes: [],
    identities: 0,
    errors: [],
  };
  const scope = (name: string): Recorder => {
    let recorder = recorders.get(name);
    if (!recorder) {
      recorder = new Recorder(name, raw, rawPrefix, log, paging, redactions);
      recorders.set(name, recorder);
    }
    return recorder;
  };
  const controller = new AbortController();
  // Every request in flight listens to the source's signal: dozens at once is the design, not a leak.
  setMaxListeners(0, controller.signal);
  const abortWithRun = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', abortWithRun, { once: true });
  const deadline = setTimeout(() => {
    const limit = timeouts.sourceMs >= 1000 ? `${Math.round(timeouts.sourceMs / 1000)} s` : `${timeouts.sourceMs} ms`;
    const error = new Error(`the source passed its deadline of ${limit} (timeouts.sourceMs); what was still being read was abandoned`);
    error.name = 'TimeoutError';
    controller.abort(error);
  }, timeouts.sourceMs);
  const context: CollectContext = {
    source: settings.name,
    log,
    env: options.env,
    baseDir: options.baseDir,
    now: options.now,
    timeouts,
    paging,
    signal: controller.signal,
    ...(options.onlyScopes ? { onlyScopes: options.onlyScopes } : {}),
    scope,
    collector(identity) {
      completeness.collector = identity;
    },
    reference(reference) {
      const references = (completeness.references ??= []);
      if (!references.some((known) => known.name === reference.name && known.version === reference.version)) references.push(reference);
    },
  };

  const boundary = new IdentityBoundary(connector.id, settings.name, completeness.errors, options.sink);
  let iterator: AsyncIterator<Identity> | undefined;
  try {
    const client = await untilAborted(connector.connect(connector.config.parse(fields), context), controller.signal);
    iterator = connector.collect(client, context)[Symbol.asyncIterator]();
    for (;;) {
      const next = await untilAborted(iterator.next(), controller.signal);
      if (next.done) break;
      const identity = boundary.accept(next.value);
      const recorder = identity && recorders.get(identity.scope);
      if (recorder) recorder.result.identities += 1;
    }
  } catch (error) {
    const { message } = describeError(error);
    const hint = (error as { hint?: string }).hint;
    completeness.errors.push(hint ? `${message} (${hint})` : message);
    log.error({ err: describeError(error) }, `source ${settings.name} failed`);
    // Stops what the connector still has in flight; its generator is not awaited, it may be stuck in a request.
    if (!controller.signal.aborted) controller.abort(error);
    void iterator?.return?.().catch(() => undefined);
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', abortWithRun);
  }
  if (!controller.signal.aborted) controller.abort(new Error('the source has ended'));
  await Promise.all([...recorders.values()].map((r) => r.close()));

  completeness.scopes = [...recorders.values()].map((r) => r.finish()).sort((a, b) => compareIds(a.scope, b.scope));
  const identities = boundary.identities;
  completeness.identities = boundary.accepted;
  completeness.verdict = sourceVerdict(completeness.errors, completeness.scopes);
  completeness.finishedAt = clock().toISOString();
  identities.sort((a, b) => compareIds(a.id, b.id));
  return { identities, completeness, redactions: redactions.sort((a, b) => compareIds(a.page, b.page)), rawDigests: raw.digests() };
}

/** Code-point order, so every machine sorts ids the same way whatever its locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
