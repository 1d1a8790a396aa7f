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
  /** In canonical order: every failing finding, or the first of each control's (`LISTED_PER_CONTROL`) when bounded; `counts.fail` counts them all. */
  failing: Finding[];
  /**
   * Results grouped by system, in registry order (the registry's systems, else as the identities name them); an
   * identity reaching two systems counts in both. Empty when no identity reaches one.
   */
  systems: SystemResults[];
  incompleteSources: SourceCompleteness[];
  /** Read without error, but with no independent count: not proven whole. */
  unreconciledSources: SourceCompleteness[];
  /** Its lists, and the results' findings beside it, hold only the first LISTED_PER_CONTROL of each control's. */
  bounded: boolean;
}

export function zeroCounts(): StatusCounts {
  return { pass: 0, fail: 0, excepted: 0, 'not-applicable': 0 };
}

/** One system's share of a run: the identities reaching it and the findings on them. */
export interface SystemResults {
  name: string;
  sox: boolean;
  owner?: string;
  identities: number;
  counts: StatusCounts;
  /** Its failing findings, or the first `LISTED_PER_CONTROL` of them when bounded; `counts.fail` counts them all. */
  failing: Finding[];
}

/**
 * The most failing (and excepted) findings of one control, or of one system, a bounded summary lists one by one:
 * more than any report shows (the PDF's 200, summary.md's 50, OSCAL's 10). A run holds no more than these, so a
 * million identities' failing findings are never held at once; exceptions.csv is written as they stream past, and
 * an output that lists them all reads them back from the sealed pack (`withEveryListed`).
 */
export const LISTED_PER_CONTROL = 250;

/**
 * The findings a summary lists one by one, beside its counts: the failing and the excepted (exceptions.csv, the
 * reports' exception lists) and every finding of `revocation-executed` (the report tells each revocation's fate).
 * A run that streams its findings to the pack holds these and no others.
 */
export function isListed(finding: Finding): boolean {
  return finding.status === 'fail' || finding.status === 'excepted' || finding.controlId === REVOCATION;
}

/** The report tells every revocation's fate, so its findings are all listed, bounded or not. */
const REVOCATION = 'revocation-executed';

/**
 * A bounded summary's results (a run's) with every listed finding, read back from the sealed pack: the lists whole,
 * for an output that shows them all, and the counts as summarized.
 */
export function withEveryListed(results: ResultSet, listed: Finding[]): ResultSet {
  const { summary } = results;
  if (!summary) return results;
  const fold = new SummaryFold(results);
  for (const finding of listed) fold.add(finding);
  const lists = fold.summary(undefined);
  const systemFailing = new Map(lists.systems.map((s) => [s.name, s.failing]));
  return {
    ...results,
    findings: listed,
    summary: { ...summary, bounded: false, failing: lists.failing, systems: summary.systems.map((s) => ({ ...s, failing: systemFailing.get(s.name) ?? [] })) },
  };
}

/** A set's findings, for a writer that renders every one of them: a set that holds only the listed ones is refused. */
export function everyFinding(results: ResultSet): Finding[] {
  if (results.summary) throw new Error('internal: this output renders every finding, and the results hold only the failing and excepted ones');
  return results.findings;
}

/** A set's failing and excepted findings, for a writer that lists every one: a set holding only the first few is refused. */
export function everyListed(results: ResultSet): Finding[] {
  if (results.summary?.bounded) throw new Error('internal: this output lists every failing finding, and the results hold only the first of each control');
  return results.findings;
}

/** Summaries already made: a run's writers each summarize the same ResultSet, and each pass reads every finding. */
const summaries = new WeakMap<ResultSet, Summary>();

/**
 * Counts and lists every writer shows; expects a ResultSet already in canonical order (`sortResultSet`). A set
 * that holds only the listed findings carries the summary of all of them, made as they streamed past.
 */
export function summarize(results: ResultSet): Summary {
  if (results.summary) return results.summary;
  let summary = summaries.get(results);
  if (!summary) {
    const fold = new SummaryFold(results);
    for (const finding of results.findings) fold.add(finding);
    summaries.set(results, (summary = fold.summary(results.waivers)));
  }
  return summary;
}

/** One control's findings at one severity, none listed, counted as SummaryFold.add counts them. */
export interface FindingsTally {
  controlId: string;
  severity: Severity;
  counts: StatusCounts;
  /** How many were about a credential. */
  onCredentials: number;
  /** By status, for each system the findings' identities reach (an identity reaching one twice counts twice). */
  systems: Record<string, StatusCounts>;
}

/**
 * The tally of one control's findings that the summary does not list, for a thread that renders them where the
 * fold is not: `systemsOf` names the systems each identity reaches, as the run's identities say.
 */
export function tallyFindings(controlId: string, severity: Severity, findings: Iterable<Finding>, systemsOf: (identityId: string) => readonly string[] | undefined): FindingsTally {
  const tally: FindingsTally = { controlId, severity, counts: zeroCounts(), onCredentials: 0, systems: {} };
  for (const finding of findings) {
    if (finding.controlId !== controlId || finding.severity !== severity || isListed(finding)) {
      throw new Error(`internal: a tally of ${controlId} at ${severity} was given finding ${finding.controlId} ${finding.identityId} (${finding.severity}, ${finding.status})`);
    }
    tally.counts[finding.status]++;
    if (finding.credentialId !== undefined) tally.onCredentials++;
    for (const name of systemsOf(finding.identityId) ?? []) (tally.systems[name] ??= zeroCounts())[finding.status]++;
  }
  return tally;
}

/**
 * A summary made one finding at a time, in canonical order, so a run can summarize findings it writes as they are
 * evaluated and never holds; `listed` keeps the findings the summary lists one by one (`isListed`).
 */
export class SummaryFold {
  readonly counts = zeroCounts();
  readonly listed: Finding[] = [];
  private readonly failing: Finding[] = [];
  /** When bounded: the listed findings kept so far by control and status, and the failing ones by system. */
  private readonly keptByControl = new Map<string, number>();
  private readonly keptBySystem = new Map<string, number>();
  private readonly perControl: Map<string, StatusCounts>;
  private readonly onCredentials = new Map<string, number>();
  private readonly severities = Object.fromEntries(SEVERITIES.map((s) => [s, zeroCounts()])) as Record<Severity, StatusCounts>;
  private readonly systems = new Map<string, SystemResults>();
  /** The systems each identity reaches; empty when none does, and then the summary has no systems. */
  private readonly reaching = new Map<string, SystemResults[]>();
  private readonly uses = new Map<string, WaiverUse>();

  /** `bounded`: keep only the first LISTED_PER_CONTROL failing and excepted findings of each control (and system). */
  constructor(
    private readonly results: Omit<ResultSet, 'findings'>,
    private readonly bounded = false,
  ) {
    this.perControl = new Map(results.controls.map((control) => [control.id, zeroCounts()]));
    for (const system of results.systems ?? []) {
      this.systems.set(system.name, { name: system.name, sox: system.sox, owner: system.owner, identities: 0, counts: zeroCounts(), failing: [] });
    }
    for (const identity of results.identities) {
      for (const reach of identity.systems ?? []) {
        let group = this.systems.get(reach.name);
        if (!group) this.systems.set(reach.name, (group = { name: reach.name, sox: reach.sox, identities: 0, counts: zeroCounts(), failing: [] }));
        group.identities++;
        const groups = this.reaching.get(identity.id);
        if (groups) groups.push(group);
        else this.reaching.set(identity.id, [group]);
      }
    }
  }

  add(finding: Finding): void {
    const { status } = finding;
    this.counts[status]++;
    this.severities[finding.severity][status]++;
    const controlCounts = this.perControl.get(finding.controlId);
    if (controlCounts) controlCounts[status]++;
    if (finding.credentialId !== undefined) this.onCredentials.set(finding.controlId, (this.onCredentials.get(finding.controlId) ?? 0) + 1);
    if (isListed(finding) && (finding.controlId === REVOCATION || this.keeps(this.keptByControl, `${finding.controlId}\n${status}`))) {
      this.listed.push(finding);
      if (status === 'fail') this.failing.push(finding);
    }
    for (const group of this.reaching.get(finding.identityId) ?? []) {
      group.counts[status]++;
      if (status === 'fail' && this.keeps(this.keptBySystem, group.name)) group.failing.push(finding);
    }
    if (finding.waiver) {
      // Without the evaluation's account, the waivers known are those the excepted findings carry.
      const key = stableStringify(finding.waiver);
      const use = this.uses.get(key) ?? { waiver: finding.waiver, state: 'applied', findings: 0 };
      use.findings++;
      this.uses.set(key, use);
    }
  }

  /** Whether one more finding of `key` is kept: always, unless bounded. */
  private keeps(kept: Map<string, number>, key: string): boolean {
    if (!this.bounded) return true;
    const count = kept.get(key) ?? 0;
    if (count >= LISTED_PER_CONTROL) return false;
    kept.set(key, count + 1);
    return true;
  }

  /** Findings counted on another thread (`tallyFindings`), none of them listed: what `add` would have counted. */
  addTally(tally: FindingsTally): void {
    const controlCounts = this.perControl.get(tally.controlId);
    for (const status of STATUSES) {
      const n = tally.counts[status];
      this.counts[status] += n;
      this.severities[tally.severity][status] += n;
      if (controlCounts) controlCounts[status] += n;
    }
    if (tally.onCredentials > 0) this.onCredentials.set(tally.controlId, (this.onCredentials.get(tally.controlId) ?? 0) + tally.onCredentials);
    for (const [name, counts] of Object.entries(tally.systems)) {
      const group = this.systems.get(name);
      if (!group) throw new Error(`internal: findings were tallied for system ${name}, which no identity of the run reaches`);
      for (const status of STATUSES) group.counts[status] += counts[status];
    }
  }

  /** The summary of the findings added, with the evaluation's account of the waivers when there is one. */
  summary(waivers: readonly WaiverUse[] | undefined): Summary {
    const { results } = this;
    return {
      counts: this.counts,
      controls: results.controls.map((control) => ({ control, counts: this.perControl.get(control.id)!, credentialFindings: this.onCredentials.get(control.id) ?? 0 })),
      severities: this.severities,
      waivers: (waivers ?? [...this.uses.values()]).map((use) => ({ ...use, inForce: Date.parse(results.asOf) < waiverEnd(use.waiver) })),
      failing: this.failing,
      systems: this.reaching.size === 0 ? [] : [...this.systems.values()],
      incompleteSources: results.sources.filter((s) => s.verdict === 'incomplete'),
      unreconciledSources: results.sources.filter((s) => s.verdict === 'unreconciled'),
      bounded: this.bounded,
    };
  }
}
