import { compareFindings } from '../engine/evaluate.js';
import type { Finding, Grant, Identity } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { safeText } from '../terminal.js';

export interface PackSide {
  runId: string;
  cycle: string;
  asOf: string;
  identities: readonly Identity[];
  findings: readonly Finding[];
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
  /** Failing in both. */
  stillOpen: FindingChange[];
}

const ref = (i: Identity): IdentityRef => ({ id: i.id, kind: i.kind, name: i.name });
const grantKey = (g: Grant) => `${g.via} ${g.name}${g.ref ? ` (${g.ref})` : ''}: ${g.level}`;
const findingKey = (f: Pick<Finding, 'controlId' | 'identityId' | 'credentialId'>) => `${f.controlId}\n${f.identityId}\n${f.credentialId ?? ''}`;

function change(finding: Finding, before: string, after: string): FindingChange {
  return {
    controlId: finding.controlId,
    identityId: finding.identityId,
    ...(finding.credentialId !== undefined ? { credentialId: finding.credentialId } : {}),
    before,
    after,
    message: finding.message,
  };
}

const inOrder = (findings: readonly Finding[]) => findings.every((f, i) => i === 0 || compareFindings(findings[i - 1]!, f) <= 0);

/**
 * Each finding of either side with the other side's finding on the same control, identity and credential: a merge
 * of the two lists in their canonical order (as packs and evaluations give them; sorted here otherwise), so no map
 * of a million findings is built for it.
 */
function* matchedFindings(before: readonly Finding[], after: readonly Finding[]): Generator<[Finding | undefined, Finding | undefined]> {
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
  readonly remediated: FindingChange[] = [];
  readonly waived: FindingChange[] = [];

  add(then: Finding | undefined, now: Finding | undefined): void {
    if (now?.status === 'fail') (then?.status === 'fail' ? this.stillOpen : this.newlyFailing).push(change(now, then?.status ?? 'absent', 'fail'));
    if (then?.status !== 'fail') return;
    if (now?.status === 'excepted') this.waived.push(change(now, 'fail', 'excepted'));
    else if (now?.status !== 'fail') this.remediated.push(change(now ?? then, 'fail', now?.status ?? 'absent'));
  }
}

const byIdentity = (a: { identityId: string }, b: { identityId: string }) => (a.identityId < b.identityId ? -1 : a.identityId > b.identityId ? 1 : 0);
const byFinding = (a: FindingChange, b: FindingChange) => (findingKey(a) < findingKey(b) ? -1 : findingKey(a) > findingKey(b) ? 1 : 0);

/** The population's side of the diff (identities added and removed, privilege and credentials), with the findings' tally. */
function assemble(from: Omit<PackSide, 'findings'>, to: Omit<PackSide, 'findings'>, tally: FindingTally): PackDiff {
  const before = new Map(from.identities.map((i) => [i.id, i]));
  const after = new Map(to.identities.map((i) => [i.id, i]));
  const privilege: PrivilegeChange[] = [];
  const credentials: CredentialChange[] = [];

  for (const [id, now] of after) {
    const then = before.get(id);
    if (!then) continue;
    const grantsThen = new Set(then.privilege.grants.map(grantKey));
    const grantsNow = new Set(now.privilege.grants.map(grantKey));
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
    const keysThen = new Set(then.credentials.map((c) => c.id));
    const keysNow = new Set(now.credentials.map((c) => c.id));
    const added = [...keysNow].filter((k) => !keysThen.has(k)).sort();
    const removed = [...keysThen].filter((k) => !keysNow.has(k)).sort();
    if (added.length || removed.length) credentials.push({ identityId: id, added, removed, rotated: added.length > 0 && removed.length > 0 });
  }

  return {
    from: { runId: from.runId, cycle: from.cycle, asOf: from.asOf },
    to: { runId: to.runId, cycle: to.cycle, asOf: to.asOf },
    added: to.identities.filter((i) => !before.has(i.id)).map(ref),
    removed: from.identities.filter((i) => !after.has(i.id)).map(ref),
    privilege: privilege.sort(byIdentity),
    credentials: credentials.sort(byIdentity),
    newlyFailing: tally.newlyFailing.sort(byFinding),
    remediated: tally.remediated.sort(byFinding),
    waived: tally.waived.sort(byFinding),
    stillOpen: tally.stillOpen.sort(byFinding),
  };
}

/** What changed between two packs: population, privilege, credentials and findings. Pure and ordered. */
export function diffPacks(from: PackSide, to: PackSide): PackDiff {
  const tally = new FindingTally();
  for (const [then, now] of matchedFindings(from.findings, to.findings)) tally.add(then, now);
  return assemble(from, to, tally);
}

/**
 * A pack whose findings are read as they are walked (or, for a run not sealed yet, held): each call of
 * `findings` starts a walk of them from the first.
 */
export interface StreamedPackSide extends Omit<PackSide, 'findings'> {
  findings: () => AsyncIterable<Finding> | Iterable<Finding>;
}

/**
 * diffPacks over two packs' findings walked in step, as they are read, so neither side's findings are held. A side
 * found out of canonical order (a pack no run of this tool wrote) is read again whole and sorted.
 */
export async function diffStreamedPacks(from: StreamedPackSide, to: StreamedPackSide): Promise<PackDiff> {
  const tally = new FindingTally();
  if (await tallyInStep(from.findings(), to.findings(), tally)) return assemble(from, to, tally);
  const [before, after] = [await held(from.findings()), await held(to.findings())];
  return diffPacks({ ...from, findings: before }, { ...to, findings: after });
}

async function held(findings: AsyncIterable<Finding> | Iterable<Finding>): Promise<Finding[]> {
  const list: Finding[] = [];
  for await (const finding of findings) list.push(finding);
  return list;
}

/** Merges the two walks as matchedFindings does; false as soon as either is out of canonical order. */
async function tallyInStep(before: AsyncIterable<Finding> | Iterable<Finding>, after: AsyncIterable<Finding> | Iterable<Finding>, tally: FindingTally): Promise<boolean> {
  const walk = (findings: AsyncIterable<Finding> | Iterable<Finding>): AsyncIterator<Finding> | Iterator<Finding> =>
    Symbol.asyncIterator in findings ? findings[Symbol.asyncIterator]() : findings[Symbol.iterator]();
  const left = walk(before);
  const right = walk(after);
  try {
    let then = await left.next();
    let now = await right.next();
    while (!then.done || !now.done) {
      const order = then.done ? 1 : now.done ? -1 : compareFindings(then.value, now.value);
      const taken: [Finding | undefined, Finding | undefined] = [order <= 0 ? then.value : undefined, order >= 0 ? now.value : undefined];
      tally.add(...taken);
      if (taken[0]) {
        then = await left.next();
        if (!then.done && compareFindings(taken[0], then.value) > 0) return false;
      }
      if (taken[1]) {
        now = await right.next();
        if (!now.done && compareFindings(taken[1], now.value) > 0) return false;
      }
    }
    return true;
  } finally {
    await Promise.all([left.return?.(), right.return?.()]);
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
