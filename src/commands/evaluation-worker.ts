import { parentPort, workerData } from 'node:worker_threads';
import { controls } from '../controls/index.js';
import { judgeUnit, type ActiveControl, type WaiverTally } from '../engine/evaluate.js';
import { renderFindings, type FindingsRendering } from '../evidence/findings-files.js';
import type { Identity } from '../sdk/index.js';
import { findingsCsvRecords } from '../writers/csv.js';
import type { EvaluationThreadMessage, EvaluationWorkerData, EvaluationWorkerMessage } from './evaluation-thread.js';

/**
 * The units of a run's evaluation handed to this thread (evaluation-thread.ts), judged and rendered in order, a
 * few ahead of the writer at most: each posted as findings.json's and findings.csv's bytes, then the waivers' counts.
 */
const data = workerData as EvaluationWorkerData;
const port = parentPort!;
let credits = data.ahead;
let wake: (() => void) | undefined;
/**
 * Each slice's text as it arrives, parsed (with what its findings' CSV records and tally need) when a unit first
 * needs it: the messages come all at once, and parsing every slice before judging any held the run's first handed
 * unit back by a second or two.
 */
const texts = new Map<number, string>();
const slices = new Map<number, { identities: Identity[]; rendering: FindingsRendering }>();
port.on('message', (message: EvaluationThreadMessage) => {
  if ('slice' in message) texts.set(message.slice, message.identities);
  else credits += message.credit;
  wake?.();
});

function slice(n: number): { identities: Identity[]; rendering: FindingsRendering } {
  let parsed = slices.get(n);
  if (!parsed) {
    parsed = sliceOf(JSON.parse(texts.get(n)!) as Identity[]);
    slices.set(n, parsed);
    texts.delete(n);
  }
  return parsed;
}

/** The rendering of a slice's findings: a unit's findings are of the identities of its slice. */
function sliceOf(identities: Identity[]): { identities: Identity[]; rendering: FindingsRendering } {
  // The CSV record and the summary's tally need each identity's verdict and systems; lines alone need neither.
  if (!data.csv) return { identities, rendering: { separator: data.separator, systemsOf: () => undefined } };
  const systems = new Map(identities.map((i) => [i.id, i.systems?.map((s) => s.name)]));
  const { record } = findingsCsvRecords({ ...data.csv, identities });
  return { identities, rendering: { separator: data.separator, record, systemsOf: (id) => systems.get(id) } };
}
/** Until the condition holds: the messages that make it hold arrive while this thread waits. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise<void>((resolve) => (wake = resolve));
}

const post = (message: EvaluationWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

try {
  const registry = new Map(controls.map((control) => [control.meta.id, control]));
  const active = new Map<string, ActiveControl>(
    data.controls.map(({ id, ...settings }) => {
      const control = registry.get(id);
      if (!control) throw new Error(`internal: control ${id} was handed to the evaluation thread but is not in its registry`);
      return [id, { control, ...settings }];
    }),
  );
  const now = new Date(data.now);
  const tallies: WaiverTally[] = data.waivers.map((waiver) => ({ waiver, applied: 0, expired: 0 }));
  for (const unit of data.units) {
    await until(() => credits > 0 && (slices.has(unit.slice) || texts.has(unit.slice)));
    credits--;
    const { identities, rendering } = slice(unit.slice);
    const findings = judgeUnit({ active: active.get(unit.control)!, identities, slice: unit.slice }, now, tallies);
    const rendered = renderFindings(findings, rendering);
    post({ rendered }, [...rendered.json, ...rendered.csv].map((bytes) => bytes.buffer as ArrayBuffer));
  }
  post({ waivers: { applied: tallies.map((t) => t.applied), expired: tallies.map((t) => t.expired) } });
} catch (error) {
  post({ error: error instanceof Error ? error.message : String(error) });
}
port.close();
