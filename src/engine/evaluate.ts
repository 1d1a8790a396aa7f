import type { SystemsScope } from '../config.js';
import type { Control, ControlResult, Finding, Identity, Severity, Waiver } from '../sdk/index.js';
import { compareIds } from './collect.js';
import { matchesGlob } from './glob.js';
import { keptWhere, spilledOf } from './spill.js';

/** A control as configured for a run: enabled, with its severity and parsed options. */
export interface ActiveControl {
  control: Control;
  severity: Severity;
  options: unknown;
  /** Stricter options for the identities reaching a system: a failure under them fails the identity. */
  systems?: Array<{ system: string; options: unknown }>;
}

export interface WaiverUse {
  waiver: Waiver;
  /** applied: it excepted at least one failure; expired: it matched failures after its expiry; unused: it matched none. */
  state: 'applied' | 'expired' | 'unused';
  findings: number;
}

export interface Evaluation {
  findings: Finding[];
  waivers: WaiverUse[];
  /** Identities left out of evaluation, by reason: the population exclusions an auditor asks about. */
  excluded: { reason: string; identities: number }[];
  evaluated: number;
}

export interface EvaluateOptions {
  now: Date;
  waivers: readonly Waiver[];
  includeHumans: boolean;
  /** Judge only identities reaching these systems: `sox` for every key system, or names. */
  systems?: SystemsScope;
  /** Identities per slice for the controls that judge each identity alone (tests take a small one). */
  sliceSize?: number;
}

/**
 * Small enough that a slice's results are still young when they are written and dropped: at 100 000 identities a
 * control's results held whole outlived V8's young generation and were collected only with the old one.
 */
const SLICE_SIZE = 2_000;

/** The instant a waiver stops applying: the end of its `expires` day (UTC), or the instant it names. */
export function waiverEnd(waiver: Waiver): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(waiver.expires) ? Date.parse(`${waiver.expires}T00:00:00Z`) + 86_400_000 : Date.parse(waiver.expires);
}

export function compareFindings(a: Pick<Finding, 'controlId' | 'identityId' | 'credentialId'>, b: Pick<Finding, 'controlId' | 'identityId' | 'credentialId'>): number {
  return compareIds(a.controlId, b.controlId) || compareIds(a.identityId, b.identityId) || compareIds(a.credentialId ?? '', b.credentialId ?? '');
}

/** The total order a pack seals findings in (`sortFindings`'): the finding's place, then its status and message. */
function sealedOrder(a: Finding, b: Finding): number {
  return compareFindings(a, b) || compareIds(a.status, b.status) || compareIds(a.message, b.message);
}

/**
 * The population cut in slices for a control that judges each identity alone ([start, end) of each); the whole
 * population for any other. Each slice's findings sorted, one after another, are every finding sorted only if the
 * identities are in id order, the order a finding's place starts with, so a population out of that order is never cut.
 */
function* slices(identities: readonly Identity[], active: ActiveControl, size: number, inIdOrder: () => boolean): Generator<[number, number] | undefined> {
  if (!active.control.perIdentity || identities.length <= size || !inIdOrder()) {
    yield undefined;
    return;
  }
  for (let start = 0; start < identities.length; start += size) yield [start, Math.min(start + size, identities.length)];
}

/**
 * A control that says it judges each identity alone and judges another breaks the findings' order: it is refused.
 * The slice's findings are sorted by identity, so the first and the last tell.
 */
function withinSlice(active: ActiveControl, judged: readonly Finding[], slice: readonly Identity[]): void {
  const [first, last] = [judged[0], judged.at(-1)];
  const outside = first && compareIds(first.identityId, slice[0]!.id) < 0 ? first : last && compareIds(last.identityId, slice.at(-1)!.id) > 0 ? last : undefined;
  if (outside) {
    throw new Error(`control ${active.control.meta.id} says it judges each identity alone (perIdentity) but judged ${outside.identityId}, which it was not handed; leave perIdentity out`);
  }
}

function strictlyInIdOrder(identities: readonly Identity[]): boolean {
  for (let i = 1; i < identities.length; i++) if (compareIds(identities[i - 1]!.id, identities[i]!.id) >= 0) return false;
  return true;
}

const resultKey = (r: Pick<ControlResult, 'identityId' | 'credentialId'>) => `${r.identityId}\u0000${r.credentialId ?? ''}`;

/**
 * A control's results with each system's stricter options applied: the identities reaching a system are judged
 * again under its options, and a failure there replaces what the control's own options gave (never the reverse).
 */
function judge(active: ActiveControl, identities: readonly Identity[], now: Date): ControlResult[] {
  const results = active.control.evaluate(identities, { options: active.options, now });
  if (!active.systems) return results;
  const byKey = new Map(results.map((r, i) => [resultKey(r), i]));
  for (const { system, options } of active.systems) {
    const reaching = identities.filter((identity) => identity.systems?.some((s) => s.name === system));
    if (reaching.length === 0) continue;
    for (const stricter of active.control.evaluate(reaching, { options, now })) {
      const index = byKey.get(resultKey(stricter));
      if (stricter.status !== 'fail' || index === undefined || results[index]!.status === 'fail') continue;
      results[index] = { ...stricter, message: `${stricter.message} (under system ${system}'s stricter options)`, evidence: { ...stricter.evidence, system } };
    }
  }
  return results;
}

/** Identities left out because they reach none of the systems evaluation is restricted to. */
function bySystems(identities: readonly Identity[], scope: SystemsScope | undefined): { kept: readonly Identity[]; reason?: string } {
  if (!scope) return { kept: identities };
  const reaches = scope === 'sox' ? (i: Identity) => i.systems?.some((s) => s.sox) : (i: Identity) => i.systems?.some((s) => scope.includes(s.name));
  return {
    kept: keptWhere(identities, (i) => reaches(i) === true),
    reason: scope === 'sox' ? 'reaches no SOX key system (evaluation restricted to --systems sox)' : `reaches none of the systems ${scope.join(', ')} (evaluation restricted by --systems)`,
  };
}

/** One control over one slice of the population (or the whole of it): the evaluation's unit of work, in order. */
export interface EvaluationUnit {
  active: ActiveControl;
  /** A slice is cut each time this is read (and a spilled population's decoded): read it once. */
  identities: readonly Identity[];
  /** The slice's number among its control's, when the population was cut (`perIdentity` controls only). */
  slice?: number;
}

/** How often each waiver (by its place in the run's list) excepted a failure, and matched one after its expiry. */
export interface WaiverCounts {
  applied: number[];
  expired: number[];
}

/** An evaluation walked control by control: `findings` once, in canonical order, then `account()`. */
export interface EvaluationStream {
  /** Each control's findings in turn, controls by id and each control's sorted: one walk only. */
  findings: Iterable<Finding>;
  /** The waivers' use and the population left out, once `findings` was walked to its end. */
  account(): Omit<Evaluation, 'findings'>;
}

/**
 * The same walk a unit at a time, for a caller that judges some units on another thread (`judgeUnit` with the
 * same waivers there): each unit's findings, in the order of `units()`, make `findings`. Waivers' counts from the
 * other thread are added with `addWaiverCounts`, and `finished()` closes the walk.
 */
export interface UnitEvaluation extends EvaluationStream {
  /** The instant judged at and the waivers in force, in the order their counts are kept. */
  now: Date;
  waivers: readonly Waiver[];
  units(): Iterable<EvaluationUnit>;
  judge(unit: EvaluationUnit): Finding[];
  addWaiverCounts(counts: WaiverCounts): void;
  finished(): void;
}

/** A waiver and the failures it met so far: the count `judgeUnit` keeps. */
export interface WaiverTally {
  waiver: Waiver;
  applied: number;
  expired: number;
}

/**
 * One unit's findings, sorted, with waivers applied and counted in `tallies`. A control that says it judges each
 * identity alone and judged another is refused (see withinSlice). The same on any thread, given the same unit.
 */
export function judgeUnit(unit: EvaluationUnit, now: Date, tallies: readonly WaiverTally[]): Finding[] {
  const { active, identities } = unit;
  const { control, severity } = active;
  const instant = now.getTime();
  const judged: Finding[] = [];
  for (const result of judge(active, identities, now)) {
    const finding: Finding = { controlId: control.meta.id, identityId: result.identityId, status: result.status, severity, message: result.message, evidence: result.evidence };
    if (result.credentialId !== undefined) finding.credentialId = result.credentialId;
    if (finding.status === 'fail' && tallies.length > 0) {
      const matching = tallies.filter((u) => u.waiver.control === finding.controlId && matchesGlob(u.waiver.identity, finding.identityId));
      const valid = matching.find((u) => instant < waiverEnd(u.waiver));
      if (valid) {
        valid.applied += 1;
        finding.status = 'excepted';
        finding.waiver = valid.waiver;
      } else if (matching.length > 0) {
        for (const u of matching) u.expired += 1;
        finding.message += ` (waiver ${matching[0]!.waiver.ticket} expired ${matching[0]!.waiver.expires})`;
      }
    }
    judged.push(finding);
  }
  judged.sort(sealedOrder);
  if (unit.slice !== undefined) withinSlice(active, judged, identities);
  return judged;
}

/**
 * Runs every control in force over the identities in scope and applies waivers, a control at a time, so a reader
 * that folds the findings as they come (re-performing a pack) never holds every control's at once. Deterministic:
 * findings come in canonical order, and `now` is the only time used.
 */
export function evaluationStream(identities: readonly Identity[], controls: readonly ActiveControl[], options: EvaluateOptions): UnitEvaluation {
  const machines = options.includeHumans ? identities : keptWhere(identities, (i) => i.classification.value !== 'human');
  const humans = identities.length - machines.length;
  const { kept: inScope, reason: systemsReason } = bySystems(machines, options.systems);
  const outsideSystems = machines.length - inScope.length;
  const tallies: WaiverTally[] = options.waivers.map((waiver) => ({ waiver, applied: 0, expired: 0 }));
  let walked = false;
  let ordered: boolean | undefined;
  const inIdOrder = () => (ordered ??= spilledOf(inScope)?.inIdOrder ?? strictlyInIdOrder(inScope));

  function* units(): Generator<EvaluationUnit> {
    for (const active of [...controls].sort((a, b) => compareIds(a.control.meta.id, b.control.meta.id))) {
      let slice = 0;
      for (const range of slices(inScope, active, options.sliceSize ?? SLICE_SIZE, inIdOrder)) {
        if (!range) {
          yield { active, identities: inScope };
          continue;
        }
        // Cut when it is judged: the units are listed ahead, and a spilled population's slice is decoded when cut.
        yield {
          active,
          slice: slice++,
          get identities() {
            return inScope.slice(...range);
          },
        };
      }
    }
  }

  function* findings(): Generator<Finding> {
    for (const unit of units()) yield* judgeUnit(unit, options.now, tallies);
    walked = true;
  }

  return {
    findings: { [Symbol.iterator]: findings },
    now: options.now,
    waivers: options.waivers,
    units,
    judge: (unit) => judgeUnit(unit, options.now, tallies),
    addWaiverCounts({ applied, expired }) {
      tallies.forEach((tally, i) => {
        tally.applied += applied[i] ?? 0;
        tally.expired += expired[i] ?? 0;
      });
    },
    finished() {
      walked = true;
    },
    account() {
      if (!walked) throw new Error('the evaluation is accounted for once its findings were walked');
      return {
        waivers: tallies.map(({ waiver, applied, expired }) => ({
          waiver,
          state: applied > 0 ? 'applied' : expired > 0 ? 'expired' : 'unused',
          findings: applied + expired,
        })),
        excluded: [
          ...(humans > 0 ? [{ reason: 'classified as a person (evaluate.includeHumans is off)', identities: humans }] : []),
          ...(systemsReason && outsideSystems > 0 ? [{ reason: systemsReason, identities: outsideSystems }] : []),
        ],
        evaluated: inScope.length,
      };
    },
  };
}

/** Every control's findings at once, in canonical order, with the waivers' use and the population left out. */
export function evaluate(identities: readonly Identity[], controls: readonly ActiveControl[], options: EvaluateOptions): Evaluation {
  return gathered(evaluationStream(identities, controls, options));
}

/** An evaluation's findings walked and held, with its account. */
export function gathered(stream: EvaluationStream): Evaluation {
  const findings: Finding[] = [];
  for (const finding of stream.findings) findings.push(finding);
  return { findings, ...stream.account() };
}
