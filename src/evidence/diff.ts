import { compareFindings } from '../engine/evaluate.js';
import type { Finding, Identity } from '../sdk/index.js';
import { identityBrief, type FindingBrief, type IdentityBrief } from './pack-list-thread.js';
import { stableStringify } from '../stable-json.js';
import { safeText } from '../terminal.js';

export interface PackSide {
  runId: string;
  cycle: string;
  asOf: string;
  /** Briefs, as read from a pack, or the identities a run holds, each made a brief only while it is compared. */
  identities: readonly (IdentityBrief | Identity)[];
  findings: readonly FindingBrief[];
}

export interface IdentityRef {
  id: string;
  kind: string;
  name: string;
}

export interface PrivilegeChange {
  identityId: string;
  before: { level: string; flags: string[] };
  after: { level: string; flags: string[] };
  grantsAdded: string[];
  grantsRemoved: string[];
}

export interface CredentialChange {
  identityId: string;
  added: string[];
  removed: string[];
  /** A credential replaced by a new one: the rotation auditors look for. */
  rotated: boolean;
}

export interface FindingChange {
  controlId: string;
  identityId: string;
  credentialId?: string;
  before: string;
  after: string;
  message: string;
}

export interface PackDiff {
  from: { runId: string; cycle: string; asOf: string };
  to: { runId: string; cycle: string; asOf: string };
  added: IdentityRef[];
  removed: IdentityRef[];
  privilege: PrivilegeChange[];
  credentials: CredentialChange[];
  /** Failing now, and not failing before (new identities included). */
  newlyFailing: FindingChange[];
  /** Failing before; passing, not applicable or gone now. */
  remediated: FindingChange[];
  /** Failing before; excepted by a waiver now. */
  waived: FindingChange[];
  /** Failing in both: listed unless the diff was asked only to count them (`{ stillOpen: 'counted' }`). */
  stillOpen: FindingChange[];
  stillOpenCount: number;
}

/**
 * What a diff holds: `counted` keeps only the number of findings still open, which a report prints, where a long
 * control failure in a large population would otherwise hold a change per finding.
 */
export interface DiffOptions {
  stillOpen?: 'listed' | 'counted';
}

const ref = (i: IdentityBrief | Identity): IdentityRef => ({ id: i.id, kind: i.kind, name: i.name });
const findingKey = (f: Pick<Finding, 'controlId' | 'identityId' | 'credentialId'>) => `${f.controlId}\n${f.identityId}\n${f.credentialId ?? ''}`;

function change(finding: FindingBrief, before: string, after: string): FindingChange {
  return {
    controlId: finding.controlId,
    identityId: finding.identityId,
    ...(finding.credentialId !== undefined ? { credentialId: finding.credentialId } : {}),
    before,
    after,
    message: finding.message,
  };
}

const inOrder = (findings: readonly FindingBrief[]) => findings.every((f, i) => i === 0 || compareFindings(findings[i - 1]!, f) <= 0);

/**
 * Each finding of either side with the other side's finding on the same control, identity and credential: a merge
 * of the two lists in their canonical order (as packs and evaluations give them; sorted here otherwise), so no map
 * of a million findings is built for it.
 */
function* matchedFindings(before: readonly FindingBrief[], after: readonly FindingBrief[]): Generator<[FindingBrief | undefined, FindingBrief | undefined]> {
  const left = inOrder(before) ? before : [...before].sort(compareFindings);
  const right = inOrder(after) ? after : [...after].sort(compareFindings);
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const order = i === left.length ? 1 : j === right.length ? -1 : compareFindings(left[i]!, right[j]!);
    if (order < 0) yield [left[i++], undefined];
    else if (order > 0) yield [undefined, right[j++]];
    else yield [left[i++], right[j++]];
  }
}

/** Sorts each finding pair into the diff's sections, as the pairs come. */
class FindingTally {
  readonly newlyFailing: FindingChange[] = [];
  readonly stillOpen: FindingChange[] = [];
  stillOpenCount = 0;
  readonly remediated: FindingChange[] = [];
  readonly waived: FindingChange[] = [];

  constructor(private readonly options: DiffOptions = {}) {}

  add(then: FindingBrief | undefined, now: FindingBrief | undefined): void {
    if (now?.status === 'fail') {
      if (then?.status !== 'fail') this.newlyFailing.push(change(now, then?.status ?? 'absent', 'fail'));
      else {
        this.stillOpenCount++;
        if (this.options.stillOpen !== 'counted') this.stillOpen.push(change(now, 'fail', 'fail'));
      }
    }
    if (then?.status !== 'fail') return;
    if (now?.status === 'excepted') this.waived.push(change(now, 'fail', 'excepted'));
    else if (now?.status !== 'fail') this.remediated.push(change(now ?? then, 'fail', now?.status ?? 'absent'));
  }
}

const byIdentity = (a: { identityId: string }, b: { identityId: string }) => (a.identityId < b.identityId ? -1 : a.identityId > b.identityId ? 1 : 0);
const byFinding = (a: FindingChange, b: FindingChange) => (findingKey(a) < findingKey(b) ? -1 : findingKey(a) > findingKey(b) ? 1 : 0);

const briefOf = (i: IdentityBrief | Identity): IdentityBrief => ('connector' in i ? identityBrief(i) : i);

/** The population's side of the diff (identities added and removed, privilege and credentials), with the findings' tally. */
function assemble(from: Omit<PackSide, 'findings'>, to: Omit<PackSide, 'findings'>, tally: FindingTally): PackDiff {
  // The newer side is walked once, not held by id: a run's spilled population is decoded as it is read.
  const before = new Map(from.identities.map((i) => [i.id, i]));
  const kept = new Set<string>();
  const identitiesAdded: IdentityRef[] = [];
  const privilege: PrivilegeChange[] = [];
  const credentials: CredentialChange[] = [];

  for (const held of to.identities) {
    const id = held.id;
    const heldThen = before.get(id);
    if (!heldThen) {
      identitiesAdded.push(ref(held));
      continue;
    }
    kept.add(id);
    const [then, now] = [briefOf(heldThen), briefOf(held)];
    const grantsThen = new Set(then.privilege.grants);
    const grantsNow = new Set(now.privilege.grants);
    const grantsAdded = [...grantsNow].filter((g) => !grantsThen.has(g)).sort();
    const grantsRemoved = [...grantsThen].filter((g) => !grantsNow.has(g)).sort();
    if (then.privilege.level !== now.privilege.level || stableStringify(then.privilege.flags) !== stableStringify(now.privilege.flags) || grantsAdded.length || grantsRemoved.length) {
      privilege.push({
        identityId: id,
        before: { level: then.privilege.level, flags: then.privilege.flags },
        after: { level: now.privilege.level, flags: now.privilege.flags },
        grantsAdded,
        grantsRemoved,
      });
    }
    const keysThen = new Set(then.credentials);
    const keysNow = new Set(now.credentials);
    const keysAdded = [...keysNow].filter((k) => !keysThen.has(k)).sort();
    const keysRemoved = [...keysThen].filter((k) => !keysNow.has(k)).sort();
    if (keysAdded.length || keysRemoved.length) credentials.push({ identityId: id, added: keysAdded, removed: keysRemoved, rotated: keysAdded.length > 0 && keysRemoved.length > 0 });
  }

  return {
    from: { runId: from.runId, cycle: from.cycle, asOf: from.asOf },
    to: { runId: to.runId, cycle: to.cycle, asOf: to.asOf },
    added: identitiesAdded,
    removed: from.identities.filter((i) => !kept.has(i.id)).map(ref),
    privilege: privilege.sort(byIdentity),
    credentials: credentials.sort(byIdentity),
    newlyFailing: tally.newlyFailing.sort(byFinding),
    remediated: tally.remediated.sort(byFinding),
    waived: tally.waived.sort(byFinding),
    stillOpen: tally.stillOpen.sort(byFinding),
    stillOpenCount: tally.stillOpenCount,
  };
}

/** What changed between two packs: population, privilege, credentials and findings. Pure and ordered. */
export function diffPacks(from: PackSide, to: PackSide, options: DiffOptions = {}): PackDiff {
  const tally = new FindingTally(options);
  for (const [then, now] of matchedFindings(from.findings, to.findings)) tally.add(then, now);
  return assemble(from, to, tally);
}

/** Findings in batches, as a pack's are read (`packFindingBriefs`) or, held, as one batch. */
export type FindingBatches = AsyncIterable<readonly FindingBrief[]> | Iterable<readonly FindingBrief[]>;

/**
 * A pack whose findings are read as they are walked, in batches: each call of `findings` starts a walk of them
 * from the first. Its identities are held, or read (`identities()`) while the findings are walked.
 */
export interface StreamedPackSide extends Omit<PackSide, 'findings' | 'identities'> {
  identities: PackSide['identities'] | (() => Promise<PackSide['identities']>);
  findings: () => FindingBatches;
}

/**
 * diffPacks over two packs' findings walked in step, as they are read, so neither side's findings are held; the
 * identities not held are read meanwhile, as the findings are parsed on threads of their own. A side found out
 * of canonical order (a pack no run of this tool wrote) is read again whole and sorted.
 */
export async function diffStreamedPacks(from: StreamedPackSide, to: StreamedPackSide, options: DiffOptions = {}): Promise<PackDiff> {
  const tally = new FindingTally(options);
  const identities = (side: StreamedPackSide) => (typeof side.identities === 'function' ? side.identities() : side.identities);
  const [inStep, before, after] = await Promise.all([tallyInStep(new BatchWalk(from.findings()), new BatchWalk(to.findings()), tally), identities(from), identities(to)]);
  const [fromHeld, toHeld] = [{ ...from, identities: before }, { ...to, identities: after }];
  if (inStep) return assemble(fromHeld, toHeld, tally);
  return diffPacks({ ...fromHeld, findings: await held(from.findings()) }, { ...toHeld, findings: await held(to.findings()) }, options);
}

async function held(batches: FindingBatches): Promise<FindingBrief[]> {
  const list: FindingBrief[] = [];
  for await (const batch of batches) for (const finding of batch) list.push(finding);
  return list;
}

/** A walk over findings that come in batches: only a step past a batch's end waits, for the next batch. */
class BatchWalk {
  private readonly batches: AsyncIterator<readonly FindingBrief[]> | Iterator<readonly FindingBrief[]>;
  private batch: readonly FindingBrief[] = [];
  private at = 0;

  constructor(batches: FindingBatches) {
    this.batches = Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : batches[Symbol.iterator]();
  }

  /** The finding walked to; undefined at the end. */
  get current(): FindingBrief | undefined {
    return this.batch[this.at];
  }

  /** Steps to the next finding: a promise only when the next batch must be waited for. */
  step(): Promise<void> | undefined {
    return ++this.at < this.batch.length ? undefined : this.refill();
  }

  /** The next batch that holds a finding, or none at the end. */
  async refill(): Promise<void> {
    this.batch = [];
    this.at = 0;
    for (let next = await this.batches.next(); !next.done; next = await this.batches.next()) {
      this.batch = next.value;
      if (this.batch.length > 0) return;
    }
  }

  async stop(): Promise<void> {
    await this.batches.return?.();
  }
}

/** Merges the two walks as matchedFindings does; false as soon as either is out of canonical order. */
async function tallyInStep(left: BatchWalk, right: BatchWalk, tally: FindingTally): Promise<boolean> {
  try {
    await Promise.all([left.refill(), right.refill()]);
    for (let then = left.current, now = right.current; then || now; then = left.current, now = right.current) {
      const order = !then ? 1 : !now ? -1 : compareFindings(then, now);
      const taken: [FindingBrief | undefined, FindingBrief | undefined] = [order <= 0 ? then : undefined, order >= 0 ? now : undefined];
      tally.add(...taken);
      if (taken[0]) {
        const waited = left.step();
        if (waited) await waited;
        if (left.current && compareFindings(taken[0], left.current) > 0) return false;
      }
      if (taken[1]) {
        const waited = right.step();
        if (waited) await waited;
        if (right.current && compareFindings(taken[1], right.current) > 0) return false;
      }
    }
    return true;
  } finally {
    await Promise.all([left.stop(), right.stop()]);
  }
}

function subject(f: FindingChange): string {
  return f.credentialId ? `${f.identityId} [${f.credentialId}]` : f.identityId;
}

/** The diff's sections as rows of text, shared by the table and Markdown renderings. */
function sections(diff: PackDiff): { title: string; rows: string[][]; header: string[] }[] {
  return [
    { title: 'Identities added', header: ['identity', 'kind'], rows: diff.added.map((i) => [i.id, i.kind]) },
    { title: 'Identities removed', header: ['identity', 'kind'], rows: diff.removed.map((i) => [i.id, i.kind]) },
    {
      title: 'Privilege changes',
      header: ['identity', 'before', 'after', 'grants added', 'grants removed'],
      rows: diff.privilege.map((p) => [p.identityId, `${p.before.level} ${p.before.flags.join(' ')}`.trim(), `${p.after.level} ${p.after.flags.join(' ')}`.trim(), p.grantsAdded.join('; '), p.grantsRemoved.join('; ')]),
    },
    {
      title: 'Credentials rotated, added or removed',
      header: ['identity', 'added', 'removed', 'rotated'],
      rows: diff.credentials.map((c) => [c.identityId, c.added.join(' '), c.removed.join(' '), c.rotated ? 'yes' : 'no']),
    },
    { title: 'Findings newly failing', header: ['control', 'identity', 'was', 'message'], rows: diff.newlyFailing.map((f) => [f.controlId, subject(f), f.before, f.message]) },
    { title: 'Findings remediated', header: ['control', 'identity', 'now'], rows: diff.remediated.map((f) => [f.controlId, subject(f), f.after]) },
    { title: 'Findings now waived', header: ['control', 'identity'], rows: diff.waived.map((f) => [f.controlId, subject(f)]) },
    { title: 'Findings still open', header: ['control', 'identity', 'message'], rows: diff.stillOpen.map((f) => [f.controlId, subject(f), f.message]) },
  ];
}

export function diffToText(diff: PackDiff): string {
  const lines = [`Changes from ${diff.from.cycle} (${diff.from.runId}, as of ${diff.from.asOf}) to ${diff.to.cycle} (${diff.to.runId}, as of ${diff.to.asOf})`];
  for (const section of sections(diff)) {
    lines.push('', `${section.title} (${section.rows.length})`);
    for (const row of section.rows) lines.push(`  ${row.filter(Boolean).map(safeText).join('  ')}`);
  }
  return `${lines.join('\n')}\n`;
}

const cell = (text: string) => safeText(text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' '));

export function diffToMarkdown(diff: PackDiff): string {
  const lines = [`## Changes from ${diff.from.cycle} to ${diff.to.cycle}`, '', `From run \`${diff.from.runId}\` (as of ${diff.from.asOf}) to run \`${diff.to.runId}\` (as of ${diff.to.asOf}).`];
  for (const section of sections(diff)) {
    lines.push('', `### ${section.title} (${section.rows.length})`, '');
    if (section.rows.length === 0) {
      lines.push('None.');
      continue;
    }
    lines.push(`| ${section.header.join(' | ')} |`, `|${section.header.map(() => '---').join('|')}|`);
    for (const row of section.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
