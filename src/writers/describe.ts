import type { Finding, LastUsed, SourceCompleteness, Waiver } from '../sdk/index.js';

/** The identity a finding is about, with the credential when the control judged one credential. */
export function findingSubject(finding: Pick<Finding, 'identityId' | 'credentialId'>): string {
  return finding.credentialId === undefined ? finding.identityId : `${finding.identityId} [${finding.credentialId}]`;
}

/** "never" and "unknown" stay distinct: they are different audit facts. */
export function describeLastUsed(lastUsed: LastUsed): string {
  if (typeof lastUsed === 'string') return lastUsed;
  return 'at' in lastUsed ? lastUsed.at : `not since ${lastUsed.notSince}`;
}

export function describeWaiver(waiver: Waiver): string {
  return `${waiver.reason} (ticket ${waiver.ticket}, approved by ${waiver.approver}, expires ${waiver.expires})`;
}

/** Why a source is incomplete, in one line: its own errors, then each incomplete scope's. */
export function describeIncompleteness(source: SourceCompleteness): string {
  const reasons = [...source.errors];
  for (const scope of source.scopes) {
    if (scope.verdict !== 'incomplete') continue;
    for (const error of scope.errors) reasons.push(`${scope.scope}: ${error.operation}: ${error.code}: ${error.message}`);
    for (const kind of scope.unreadable) reasons.push(`${scope.scope}: ${kind.kind} unreadable: ${kind.reason}`);
    for (const count of scope.reconciliations) {
      if (!count.matches) reasons.push(`${scope.scope}: ${count.name}: expected ${count.expected}, collected ${count.observed}`);
    }
  }
  return reasons.length > 0 ? reasons.join('; ') : 'no reason recorded';
}

/** Which scopes of a source had nothing to reconcile with: read without error, but not proven whole. */
export function describeUnreconciled(source: SourceCompleteness): string {
  const scopes = source.scopes.filter((s) => s.verdict === 'unreconciled').map((s) => s.scope);
  return `read without error, but ${scopes.length > 0 ? scopes.join(', ') : 'the source'} offered no independent count to check the listing against`;
}
