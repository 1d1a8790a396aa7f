import { SEVERITIES, type Finding, type FindingStatus, type Severity, type SourceCompleteness, type Waiver } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import type { ControlInForce, ResultSet } from './types.js';

export const STATUSES: readonly FindingStatus[] = ['pass', 'fail', 'excepted', 'not-applicable'];

export type StatusCounts = Record<FindingStatus, number>;

export interface ControlSummary {
  control: ControlInForce;
  counts: StatusCounts;
}

export interface WaiverUsage {
  waiver: Waiver;
  state: 'in-force' | 'expired';
  /** Findings that carry this waiver. */
  matched: number;
}

export interface Summary {
  counts: StatusCounts;
  controls: ControlSummary[];
  severities: Record<Severity, StatusCounts>;
  waivers: WaiverUsage[];
  failing: Finding[];
  incompleteSources: SourceCompleteness[];
}

function zeroCounts(): StatusCounts {
  return { pass: 0, fail: 0, excepted: 0, 'not-applicable': 0 };
}

/**
 * A waiver's `expires` is either a date, the last day it applies (inclusive, UTC), or an instant after which
 * it no longer applies.
 */
export function waiverInForce(waiver: Waiver, asOf: string): boolean {
  const end = /^\d{4}-\d{2}-\d{2}$/.test(waiver.expires)
    ? Date.parse(`${waiver.expires}T00:00:00Z`) + 86_400_000
    : Date.parse(waiver.expires);
  return Date.parse(asOf) < end;
}

/** Counts and lists every writer shows; expects a ResultSet already in canonical order (`sortResultSet`). */
export function summarize(results: ResultSet): Summary {
  const counts = zeroCounts();
  const perControl = new Map(results.controls.map((control) => [control.id, zeroCounts()]));
  const severities = Object.fromEntries(SEVERITIES.map((s) => [s, zeroCounts()])) as Record<Severity, StatusCounts>;
  const matches = new Map<string, number>();
  for (const finding of results.findings) {
    counts[finding.status]++;
    severities[finding.severity][finding.status]++;
    const controlCounts = perControl.get(finding.controlId);
    if (controlCounts) controlCounts[finding.status]++;
    if (finding.waiver) {
      const key = stableStringify(finding.waiver);
      matches.set(key, (matches.get(key) ?? 0) + 1);
    }
  }
  return {
    counts,
    controls: results.controls.map((control) => ({ control, counts: perControl.get(control.id)! })),
    severities,
    waivers: results.waivers.map((waiver) => ({
      waiver,
      state: waiverInForce(waiver, results.asOf) ? 'in-force' : 'expired',
      matched: matches.get(stableStringify(waiver)) ?? 0,
    })),
    failing: results.findings.filter((f) => f.status === 'fail'),
    incompleteSources: results.sources.filter((s) => s.verdict === 'incomplete'),
  };
}
