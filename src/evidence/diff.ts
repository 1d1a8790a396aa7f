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

/** What changed between two packs: population, privilege, credentials and findings. Pure and ordered. */
export function diffPacks(from: PackSide, to: PackSide): PackDiff {
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

  const newlyFailing: FindingChange[] = [];
  const stillOpen: FindingChange[] = [];
  const remediated: FindingChange[] = [];
  const waived: FindingChange[] = [];
  for (const [then, now] of matchedFindings(from.findings, to.findings)) {
    if (now?.status === 'fail') (then?.status === 'fail' ? stillOpen : newlyFailing).push(change(now, then?.status ?? 'absent', 'fail'));
    if (then?.status !== 'fail') continue;
    if (now?.status === 'excepted') waived.push(change(now, 'fail', 'excepted'));
    else if (now?.status !== 'fail') remediated.push(change(now ?? then, 'fail', now?.status ?? 'absent'));
  }

  const byIdentity = (a: { identityId: string }, b: { identityId: string }) => (a.identityId < b.identityId ? -1 : a.identityId > b.identityId ? 1 : 0);
  const byFinding = (a: FindingChange, b: FindingChange) => (findingKey(a) < findingKey(b) ? -1 : findingKey(a) > findingKey(b) ? 1 : 0);
  return {
    from: { runId: from.runId, cycle: from.cycle, asOf: from.asOf },
    to: { runId: to.runId, cycle: to.cycle, asOf: to.asOf },
    added: to.identities.filter((i) => !before.has(i.id)).map(ref),
    removed: from.identities.filter((i) => !after.has(i.id)).map(ref),
    privilege: privilege.sort(byIdentity),
    credentials: credentials.sort(byIdentity),
    newlyFailing: newlyFailing.sort(byFinding),
    remediated: remediated.sort(byFinding),
    waived: waived.sort(byFinding),
    stillOpen: stillOpen.sort(byFinding),
  };
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
