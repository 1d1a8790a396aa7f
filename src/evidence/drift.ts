import { lastUsedAt, type Credential, type Finding, type Identity, type Severity, SEVERITIES } from '../sdk/index.js';
import { compareIds } from '../engine/collect.js';

/** What changed since a sealed pack that someone watching between audit cycles must hear about. */
export type DriftKind =
  | 'new-identity'
  | 'new-admin'
  | 'new-escalation'
  | 'new-credential'
  | 'rotated-credential'
  | 'owner-left'
  | 'used-after-judged-unused'
  | 'new-usage-context';

export interface DriftEvent {
  kind: DriftKind;
  severity: Severity;
  identityId: string;
  credentialId?: string;
  message: string;
}

export interface Drift {
  baseline: { runId: string; cycle: string; asOf: string };
  asOf: string;
  events: DriftEvent[];
}

export interface DriftSide {
  identities: readonly Identity[];
  findings: readonly Finding[];
}

/** Flags that let an identity raise its own privilege or mint credentials: a new one is an escalation path. */
const ESCALATION_FLAGS = new Set(['iam-write', 'passrole-any', 'privilege-escalation', 'credential-creation', 'impersonation']);

function credentialEvents(identity: Identity, before: Identity, unusedThen: Set<string>, baselineAsOf: string): DriftEvent[] {
  const then = new Map(before.credentials.map((c) => [c.id, c]));
  const events: DriftEvent[] = [];
  const added = identity.credentials.filter((c) => !then.has(c.id));
  const removed = before.credentials.filter((c) => !identity.credentials.some((n) => n.id === c.id));
  for (const credential of added) {
    const rotated = removed.length > 0;
    events.push({
      kind: rotated ? 'rotated-credential' : 'new-credential',
      severity: rotated ? 'info' : 'medium',
      identityId: identity.id,
      credentialId: credential.id,
      message: rotated ? `Credential ${credential.id} replaced ${removed.map((c) => c.id).join(', ')}` : `New ${credential.type} ${credential.id}`,
    });
  }
  for (const credential of identity.credentials) {
    const old = then.get(credential.id);
    if (!old) continue;
    const usedAt = lastUsedAt(credential.lastUsed);
    if (unusedThen.has(credential.id) && usedAt && usedAt > baselineAsOf) {
      events.push({
        kind: 'used-after-judged-unused',
        severity: 'high',
        identityId: identity.id,
        credentialId: credential.id,
        message: `Credential ${credential.id}, judged unused as of ${baselineAsOf.slice(0, 10)}, was used on ${usedAt.slice(0, 10)}`,
      });
    }
    const context = newContext(old, credential);
    if (context) {
      events.push({
        kind: 'new-usage-context',
        severity: 'medium',
        identityId: identity.id,
        credentialId: credential.id,
        message: `Credential ${credential.id} was last used from ${context}, never seen for it before (before: ${old.lastUsedContext ?? 'none recorded'})`,
      });
    }
  }
  return events;
}

/** The service or region (`iam/us-east-1`) a credential was last used from, when it differs from the baseline's. */
function newContext(before: Credential, now: Credential): string | undefined {
  if (!now.lastUsedContext || now.lastUsedContext === before.lastUsedContext) return undefined;
  if (lastUsedAt(now.lastUsed) === lastUsedAt(before.lastUsed)) return undefined;
  return now.lastUsedContext;
}

function privilegeEvents(identity: Identity, before: Identity): DriftEvent[] {
  const events: DriftEvent[] = [];
  const grantsThen = new Set(before.privilege.grants.map((g) => `${g.name} ${g.ref ?? ''}`));
  const grantsNew = identity.privilege.grants.filter((g) => !grantsThen.has(`${g.name} ${g.ref ?? ''}`)).map((g) => (g.ref ? `${g.name} (${g.ref})` : g.name));
  const through = grantsNew.length > 0 ? ` through ${grantsNew.join(', ')}` : '';
  if (identity.privilege.level === 'admin' && before.privilege.level !== 'admin') {
    events.push({ kind: 'new-admin', severity: 'critical', identityId: identity.id, message: `Became an administrator (was ${before.privilege.level})${through}` });
  }
  const flags = identity.privilege.flags.filter((f) => ESCALATION_FLAGS.has(f) && !before.privilege.flags.includes(f));
  if (flags.length > 0) {
    events.push({ kind: 'new-escalation', severity: 'high', identityId: identity.id, message: `Can now escalate (${flags.join(', ')})${through}` });
  }
  return events;
}

function identityEvents(identity: Identity): DriftEvent[] {
  const admin = identity.privilege.level === 'admin';
  return [
    {
      kind: 'new-identity',
      severity: admin ? 'high' : 'low',
      identityId: identity.id,
      message: `New ${identity.kind} ${identity.name}${admin ? ', an administrator' : ''}${identity.owner ? `, owned by ${identity.owner.id}` : ', without an owner'}`,
    },
  ];
}

/**
 * What changed since a sealed baseline: new identities, new administrator or escalation privilege, new and
 * rotated credentials, owners who left, credentials used after the baseline judged them unused, and credentials
 * last used from a service or region other than the baseline recorded. Pure and ordered by identity.
 */
export function driftSince(baseline: DriftSide & { runId: string; cycle: string; asOf: string }, current: DriftSide & { asOf: string }): Drift {
  const before = new Map(baseline.identities.map((i) => [i.id, i]));
  const unusedThen = new Map<string, Set<string>>();
  for (const f of baseline.findings) {
    if (f.controlId !== 'credential-unused' || f.status !== 'fail' || f.credentialId === undefined) continue;
    unusedThen.set(f.identityId, (unusedThen.get(f.identityId) ?? new Set()).add(f.credentialId));
  }
  const events: DriftEvent[] = [];
  for (const identity of current.identities) {
    const then = before.get(identity.id);
    if (!then) {
      events.push(...identityEvents(identity));
      continue;
    }
    events.push(...privilegeEvents(identity, then));
    if (identity.owner?.status === 'terminated' && then.owner?.status !== 'terminated') {
      events.push({ kind: 'owner-left', severity: 'high', identityId: identity.id, message: `Owner ${identity.owner.id} left${identity.owner.terminatedAt ? ` on ${identity.owner.terminatedAt.slice(0, 10)}` : ''}: the identity is orphaned` });
    }
    events.push(...credentialEvents(identity, then, unusedThen.get(identity.id) ?? new Set(), baseline.asOf));
  }
  events.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || compareIds(a.identityId, b.identityId) || compareIds(a.kind, b.kind) || compareIds(a.credentialId ?? '', b.credentialId ?? ''));
  return { baseline: { runId: baseline.runId, cycle: baseline.cycle, asOf: baseline.asOf }, asOf: current.asOf, events };
}

/** One line per event, most severe first, for a terminal, a webhook's `text` and an issue body. */
export function driftLines(drift: Drift): string[] {
  return drift.events.map((e) => `[${e.severity}] ${e.kind}: ${e.credentialId ? `${e.identityId} [${e.credentialId}]` : e.identityId}: ${e.message}`);
}
