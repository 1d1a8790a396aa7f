import { waiverEnd, type WaiverUse } from '../engine/evaluate.js';
import { SEVERITIES, type Finding, type FindingStatus, type Severity, type SourceCompleteness } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import type { ControlInForce, ResultSet } from './types.js';

export const STATUSES: readonly FindingStatus[] = ['pass', 'fail', 'excepted', 'not-applicable'];

export type StatusCounts = Record<FindingStatus, number>;

export interface ControlSummary {
  control: ControlInForce;
  counts: StatusCounts;
  /** How many of its findings judge a credential (the rest judge an identity). */
  credentialFindings: number;
}

/** A waiver as the evaluation used it, and whether it is still in force at the run's as-of instant. */
export interface WaiverUsage extends WaiverUse {
  inForce: boolean;
}

export interface Summary {
  counts: StatusCounts;
  controls: ControlSummary[];
  severities: Record<Severity, StatusCounts>;
  waivers: WaiverUsage[];
  failing: Finding[];
  incompleteSources: SourceCompleteness[];
  /** Read without error, but with no independent count: not proven whole. */
  unreconciledSources: SourceCompleteness[];
}

export function zeroCounts(): StatusCounts {
  return { pass: 0, fail: 0, excepted: 0, 'not-applicable': 0 };
}

/** Without the evaluation's account, the waivers known are those the excepted findings carry. */
function usesFromFindings(findings: readonly Finding[]): WaiverUse[] {
  const uses = new Map<string, WaiverUse>();
  for (const { waiver } of findings) {
    if (!waiver) continue;
    const key = stableStringify(waiver);
    const use = uses.get(key) ?? { waiver, state: 'applied', findings: 0 };
    use.findings++;
    uses.set(key, use);
  }
  return [...uses.values()];
}

/** Summaries already made: a run's writers each summarize the same ResultSet, and each pass reads every finding. */
const summaries = new WeakMap<ResultSet, Summary>();

/** Counts and lists every writer shows; expects a ResultSet already in canonical order (`sortResultSet`). */
export function summarize(results: ResultSet): Summary {
  let summary = summaries.get(results);
  if (!summary) summaries.set(results, (summary = summaryOf(results)));
  return summary;
}

function summaryOf(results: ResultSet): Summary {
  const counts = zeroCounts();
  const perControl = new Map(results.controls.map((control) => [control.id, zeroCounts()]));
  const onCredentials = new Map<string, number>();
  const severities = Object.fromEntries(SEVERITIES.map((s) => [s, zeroCounts()])) as Record<Severity, StatusCounts>;
  for (const finding of results.findings) {
    counts[finding.status]++;
    severities[finding.severity][finding.status]++;
    const controlCounts = perControl.get(finding.controlId);
    if (controlCounts) controlCounts[finding.status]++;
    if (finding.credentialId !== undefined) onCredentials.set(finding.controlId, (onCredentials.get(finding.controlId) ?? 0) + 1);
  }
  return {
    counts,
    controls: results.controls.map((control) => ({ control, counts: perControl.get(control.id)!, credentialFindings: onCredentials.get(control.id) ?? 0 })),
    severities,
    waivers: (results.waivers ?? usesFromFindings(results.findings)).map((use) => ({
      ...use,
      inForce: Date.parse(results.asOf) < waiverEnd(use.waiver),
    })),
    failing: results.findings.filter((f) => f.status === 'fail'),
    incompleteSources: results.sources.filter((s) => s.verdict === 'incomplete'),
    unreconciledSources: results.sources.filter((s) => s.verdict === 'unreconciled'),
  };
}
