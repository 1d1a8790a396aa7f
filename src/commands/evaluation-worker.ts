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
const slices = new Map<number, Identity[]>();
port.on('message', (message: EvaluationThreadMessage) => {
  if ('slice' in message) slices.set(message.slice, JSON.parse(message.identities) as Identity[]);
  else credits += message.credit;
  wake?.();
});
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
  await until(() => slices.size === data.slices);
  const rendering: FindingsRendering = { separator: data.separator, systemsOf: () => undefined };
  if (data.csv) {
    // The CSV record and the summary's tally need each identity's verdict and systems; lines alone need neither.
    const identities = [...slices.values()].flat();
    const systems = new Map(identities.map((i) => [i.id, i.systems?.map((s) => s.name)]));
    rendering.record = findingsCsvRecords({ ...data.csv, identities }).record;
    rendering.systemsOf = (id) => systems.get(id);
  }
  const now = new Date(data.now);
  const tallies: WaiverTally[] = data.waivers.map((waiver) => ({ waiver, applied: 0, expired: 0 }));
  for (const unit of data.units) {
    await until(() => credits > 0);
    credits--;
    const findings = judgeUnit({ active: active.get(unit.control)!, identities: slices.get(unit.slice)!, slice: unit.slice }, now, tallies);
    const rendered = renderFindings(findings, rendering);
    post({ rendered }, [...rendered.json, ...rendered.csv].map((bytes) => bytes.buffer as ArrayBuffer));
  }
  post({ waivers: { applied: tallies.map((t) => t.applied), expired: tallies.map((t) => t.expired) } });
} catch (error) {
  post({ error: error instanceof Error ? error.message : String(error) });
}
port.close();
