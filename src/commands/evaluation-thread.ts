import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { controls } from '../controls/index.js';
import type { ActiveControl, EvaluationUnit, UnitEvaluation, WaiverCounts } from '../engine/evaluate.js';
import type { FindingsPiece, RenderedFindings } from '../evidence/findings-files.js';
import { startThread, THREAD_YOUNG_GENERATION_MB, threadMessages } from '../evidence/thread.js';
import { collectGarbage } from '../heap.js';
import type { Waiver } from '../sdk/index.js';
import type { ResultSet } from '../writers/types.js';

export interface EvaluationWorkerData {
  /** The controls of the units handed over, as configured (options as parsed, cloned). */
  controls: Array<{ id: string } & Omit<ActiveControl, 'control'>>;
  /** In the evaluation's order: each a control over one slice of the population. */
  units: Array<{ control: string; slice: number }>;
  now: string;
  waivers: readonly Waiver[];
  /** What a findings.csv record needs besides the identities; absent, the thread renders findings.json's lines alone. */
  csv?: Pick<ResultSet, 'controls' | 'sources'>;
  separator: string;
  /** How many units the thread may render before the writer has taken them. */
  ahead: number;
}

/** To the thread: a slice of the population it judges, or leave to render more units. */
export type EvaluationThreadMessage = { slice: number; identities: string } | { credit: number };

export type EvaluationWorkerMessage = { rendered: RenderedFindings } | { waivers: WaiverCounts } | { error: string };

/**
 * The share a run hands over: one slice in two. A quarter had been the most a run with a baseline could hand over
 * and stay under the 1 GiB a run is held to (998–1 010 MiB at 100 000 identities); since a run's changes since its
 * baseline walk the population once, half peaks at 922–943 MiB with a baseline, and the thread, idle most of the
 * evaluation with a quarter, takes about a second off the run (docs/benchmarks.md, sixteenth round).
 */
export const RUN_ONE_IN = 2;

/**
 * The most slices a run hands over, whatever the population: as many as at 100 000 identities (25 slices of 2 000).
 * The thread holds the identities of every slice it is handed for the whole evaluation, and at a million
 * identities half the slices would be 500 000 of them, about 800 MB of a heap of its own beside the run's.
 */
export const RUN_HANDED_AT_MOST = 25;

/** Below this many slices of the population to hand over, a second thread costs more than it saves. */
const HELP_FROM = 4;
const AHEAD = 4;

export interface HelperOptions {
  /** The findings.csv context (writeFindingsFiles'); without it, only findings.json's lines are rendered. */
  csv?: Pick<ResultSet, 'controls' | 'sources'>;
  /** Between two lines of findings.json. */
  separator: string;
  /** Hand over from this many slices (tests take a small population). */
  helpFrom?: number;
  /** The cores there are: one keeps every unit here. */
  cores?: number;
  /** One slice in this many goes to the thread (the second of each run of them): two by default. */
  oneIn?: number;
  /** At most this many slices go to the thread: the first ones so chosen. */
  atMost?: number;
}

/**
 * The evaluation's walk with one slice in `oneIn` of each control that judges identities alone judged and rendered
 * on a second thread while this one judges, renders and writes the rest: the pieces come in the evaluation's order,
 * and the files are byte for byte those one thread writes. One core, a small population, or a control the thread
 * cannot load (not the registry's own) keep it all here.
 */
export async function* evaluationPieces(evaluation: UnitEvaluation, options: HelperOptions): AsyncGenerator<FindingsPiece> {
  const registry = new Map(controls.map((control) => [control.meta.id, control]));
  const oneIn = options.oneIn ?? 2;
  const units = [...evaluation.units()];
  const handed = (unit: EvaluationUnit): unit is EvaluationUnit & { slice: number } =>
    unit.slice !== undefined &&
    unit.slice % oneIn === 1 &&
    unit.slice < oneIn * (options.atMost ?? Infinity) &&
    registry.get(unit.active.control.meta.id) === unit.active.control;
  const handedOver = units.filter(handed);
  const helps = new Set(handedOver.map((unit) => unit.slice)).size >= (options.helpFrom ?? HELP_FROM) && (options.cores ?? availableParallelism()) > 1;
  if (helps) collectGarbage();
  const helper = helps ? startHelper(evaluation, handedOver, options) : undefined;
  if (!helper) {
    for (const unit of units) yield evaluation.judge(unit);
    evaluation.finished();
    return;
  }
  try {
    for (const unit of units) yield handed(unit) ? await helper.next() : evaluation.judge(unit);
    evaluation.addWaiverCounts(await helper.waivers());
    evaluation.finished();
  } finally {
    await helper.stop();
  }
}

interface Helper {
  next(): Promise<RenderedFindings>;
  waivers(): Promise<WaiverCounts>;
  stop(): Promise<void>;
}

function startHelper(evaluation: UnitEvaluation, units: Array<EvaluationUnit & { slice: number }>, options: HelperOptions): Helper | undefined {
  // Each slice's first unit cuts it, when it is sent: a unit's identities are cut (and decoded) when read.
  const firsts = new Map<number, EvaluationUnit>();
  for (const unit of units) if (!firsts.has(unit.slice)) firsts.set(unit.slice, unit);
  const settings = new Map(units.map(({ active: { control, ...rest } }) => [control.meta.id, { id: control.meta.id, ...rest }]));
  const data: EvaluationWorkerData = {
    controls: [...settings.values()],
    units: units.map((unit) => ({ control: unit.active.control.meta.id, slice: unit.slice })),
    now: evaluation.now.toISOString(),
    waivers: evaluation.waivers,
    ...(options.csv ? { csv: options.csv } : {}),
    separator: options.separator,
    ahead: AHEAD,
  };
  let worker: Worker;
  try {
    worker = startThread(new URL('./evaluation-worker.js', import.meta.url), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } });
  } catch (error) {
    // Options that are not plain data (a function) cannot reach the thread: this one judges them all.
    if ((error as { name?: unknown } | undefined)?.name === 'DataCloneError') return undefined;
    throw error;
  }
  // A slice at a time, so the text is never all held here, nor on its way, at once.
  for (const [slice, unit] of firsts) worker.postMessage({ slice, identities: JSON.stringify(unit.identities) } satisfies EvaluationThreadMessage);
  const messages = threadMessages<EvaluationWorkerMessage>(worker, () => new Error('the evaluation thread stopped before it handed over every unit'));
  async function take(): Promise<EvaluationWorkerMessage> {
    const message = await messages.take();
    if ('error' in message) throw new Error(message.error);
    return message;
  }
  return {
    async next() {
      const message = await take();
      if (!('rendered' in message)) throw new Error('internal: the evaluation thread ended before its last unit');
      worker.postMessage({ credit: 1 } satisfies EvaluationThreadMessage);
      return message.rendered;
    },
    async waivers() {
      const message = await take();
      if (!('waivers' in message)) throw new Error('internal: the evaluation thread rendered more units than it was handed');
      return message.waivers;
    },
    async stop() {
      await worker.terminate();
    },
  };
}
