import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { connectors } from '../../connectors/index.js';
import { collectSource, type SourceResult } from '../../src/engine/collect.js';
import { collectFromRaw } from '../../src/engine/from-raw.js';
import {
  FAULT_KINDS,
  silentLogger,
  type DemoSandbox,
  type FaultKind,
  type FaultSpec,
  type Identity,
  type SandboxModule,
} from '../../src/sdk/index.js';

/**
 * The fault matrix (issue 9): every operation a connector calls on the demo organization × every fault kind,
 * once (transient) and always (permanent). Each case must end with the fault-free inventory, or with the source
 * incomplete and the operation named: never a shorter or different population passed off as complete.
 */

export const DEMO_ORG = path.resolve(import.meta.dirname, '../../fixtures/demo-org');
export const DEMO_NOW = new Date('2026-11-20T00:00:00Z');

/** Limits that make a hung request, a retry and a runaway listing cost milliseconds in a test. */
export const TEST_LIMITS = {
  timeouts: { connectMs: 1_000, requestMs: 1_000, sourceMs: 60_000 },
  paging: { maxPages: 200, maxEmptyPages: 2 },
};

export interface MatrixSetup {
  connector: string;
  /** Settings merged over the demo source's (retry delays of a millisecond or so). */
  settings?: Record<string, unknown>;
  /**
   * Sandboxes serving cases at the same time, each with its own fault plan, so that `test.concurrent` cases overlap
   * their waits (a hang costs its timeouts in wall time, not in work). Default 1.
   */
  parallel?: number;
  /** Also re-read each run's raw pages with the connector's `fromRaw`, which must give what the run collected. */
  reread?: boolean;
}

export interface MatrixResult extends SourceResult {
  /** The identities `fromRaw` gives from the run's raw pages, when the setup asks for them. */
  reread?: Identity[];
}

export interface MatrixHarness {
  /** The sandbox of the fault-free run (the first of `parallel`). */
  sandbox: DemoSandbox;
  baseline: SourceResult;
  /** Every operation the fault-free run called, as the manifest names them. */
  operations: string[];
  /**
   * Every operation the sandbox answered in the fault-free run, as it asked its fault plan: also the calls that
   * leave no raw page (credentials, polls), which the manifest does not list but faults still reach.
   */
  called: string[];
  /** Runs the source against an idle sandbox with these faults in force; `overrides` narrow the source (e.g. to the kinds that call one operation). */
  run(faults: readonly FaultSpec[], overrides?: Record<string, unknown>): Promise<MatrixResult>;
  /** The fault-free run with these overrides, read once: the baseline for cases run with the same. */
  baselineWith(overrides: Record<string, unknown>): Promise<SourceResult>;
  close(): Promise<void>;
}

/** The demo's source of this connector, pointed at a sandbox over the demo organization's dataset. */
export async function startMatrix(setup: MatrixSetup): Promise<MatrixHarness> {
  const connector = connectors.find((c) => c.id === setup.connector);
  if (!connector) throw new Error(`no connector ${setup.connector}`);
  const config = parse(await readFile(path.join(DEMO_ORG, 'nhi-audit.yaml'), 'utf8')) as { sources: Array<Record<string, unknown>> };
  const source = config.sources.find((s) => s.connector === setup.connector);
  if (!source) throw new Error(`the demo has no ${setup.connector} source`);
  const module = (await import(/* @vite-ignore */ `../../connectors/${setup.connector}/sandbox/index.js`)) as SandboxModule;
  const sandboxes = await Promise.all(
    Array.from({ length: setup.parallel ?? 1 }, () => module.startDemo(path.join(DEMO_ORG, setup.connector), { now: DEMO_NOW })),
  );
  const sandbox = sandboxes[0]!;

  const runOn = async (lane: DemoSandbox, faults: readonly FaultSpec[], overrides: Record<string, unknown> = {}): Promise<MatrixResult> => {
    const settings = { ...source, ...lane.sourceOverrides, ...TEST_LIMITS, ...setup.settings, ...overrides } as unknown as { name: string; connector: string };
    lane.faults.set(faults);
    const pack = await mkdtemp(path.join(tmpdir(), `nhi-matrix-${setup.connector}-`));
    try {
      const result = await collectSource(connector, settings, { now: DEMO_NOW, log: silentLogger, env: lane.env, baseDir: DEMO_ORG, rawDir: path.join(pack, 'raw') });
      if (!setup.reread) return result;
      const reread = await collectFromRaw(connector, pack, result.completeness, DEMO_NOW);
      return { ...result, reread: reread.identities };
    } finally {
      lane.faults.set([]);
      await rm(pack, { recursive: true, force: true });
    }
  };
  const idle = [...sandboxes];
  const waiting: ((lane: DemoSandbox) => void)[] = [];
  const run = async (faults: readonly FaultSpec[], overrides: Record<string, unknown> = {}): Promise<MatrixResult> => {
    const lane = idle.pop() ?? (await new Promise<DemoSandbox>((resolve) => waiting.push(resolve)));
    try {
      return await runOn(lane, faults, overrides);
    } finally {
      const next = waiting.shift();
      if (next) next(lane);
      else idle.push(lane);
    }
  };

  const called = new Set<string>();
  const take = sandbox.faults.take.bind(sandbox.faults);
  sandbox.faults.take = (operation, key) => {
    called.add(operation);
    return take(operation, key);
  };
  const baseline = await runOn(sandbox, []);
  sandbox.faults.take = take;
  const baselines = new Map<string, Promise<SourceResult>>([['{}', Promise.resolve(baseline)]]);
  const baselineWith = (overrides: Record<string, unknown>): Promise<SourceResult> => {
    const key = JSON.stringify(overrides);
    if (!baselines.has(key)) baselines.set(key, run([], overrides));
    return baselines.get(key)!;
  };
  const close = async () => {
    await Promise.all(sandboxes.map((lane) => lane.close()));
  };
  return { sandbox, baseline, operations: operationsOf(baseline), called: [...called].sort(), run, baselineWith, close };
}

/** The operations a run called, as the manifest names them. */
export function operationsOf(result: SourceResult): string[] {
  return [...new Set(result.completeness.scopes.flatMap((s) => s.operations.map((o) => o.operation)))].sort();
}

/** Identities without where their pages sit: a retried or re-paged listing keeps the population, not the page numbers. */
export function population(identities: readonly Identity[]): unknown[] {
  return identities.map(({ rawRef: _rawRef, ...rest }) => rest);
}

/** Everything the completeness record says went wrong, as one text to search for the operation's name. */
export function failureText(result: SourceResult): string {
  const { completeness } = result;
  return JSON.stringify([completeness.errors, completeness.scopes.map((s) => [s.errors, s.unreadable, s.reconciliations.filter((r) => !r.matches)])]);
}

export type Outcome = 'identical' | 'incomplete-named';

/** A line per fault kind: how its cases ended, met once and always, from outcomes keyed by `formatFaultSpec`. */
export function outcomesByKind(outcomes: ReadonlyMap<string, Outcome>): string[] {
  const count = (outcome: Outcome, suffix: string) => [...outcomes].filter(([spec, o]) => o === outcome && spec.endsWith(suffix)).length;
  return FAULT_KINDS.map((kind) => {
    const [once, always] = [`:${kind}:1`, `:${kind}`];
    return `  ${kind.padEnd(16)} once: ${count('identical', once)} identical, ${count('incomplete-named', once)} incomplete; always: ${count('identical', always)} identical, ${count('incomplete-named', always)} incomplete`;
  });
}

/**
 * Judges one case: the fault-free population (complete or unreconciled as the baseline was), or incomplete with
 * the operation named. Returns the outcome, or throws with what went wrong.
 */
export function judge(baseline: SourceResult, result: SourceResult, operation: string): Outcome {
  if (result.completeness.verdict === 'incomplete') {
    if (!failureText(result).includes(operation)) {
      throw new Error(`incomplete without naming ${operation}: ${failureText(result).slice(0, 600)}`);
    }
    return 'incomplete-named';
  }
  const expected = JSON.stringify(population(baseline.identities));
  const actual = JSON.stringify(population(result.identities));
  if (expected !== actual) {
    throw new Error(
      `verdict ${result.completeness.verdict} with a different population: ${result.identities.length} identities vs ${baseline.identities.length}`,
    );
  }
  if (result.completeness.verdict !== baseline.completeness.verdict) {
    throw new Error(`verdict ${result.completeness.verdict}, the fault-free run's was ${baseline.completeness.verdict}`);
  }
  return 'identical';
}

/** The cases for one operation: every fault kind, once and always. */
export function casesFor(connector: string, operation: string, kinds: readonly FaultKind[] = FAULT_KINDS): FaultSpec[] {
  return kinds.flatMap((kind) => [
    { connector, operation, kind, times: 1 },
    { connector, operation, kind },
  ]);
}
