import { compareIds } from '../engine/collect.js';
import type { WaiverUse } from '../engine/evaluate.js';
import { spilledOf } from '../engine/spill.js';
import type { Finding, SourceCompleteness } from '../sdk/index.js';
import type { ResultSet } from './types.js';

/** Code-point order on each key in turn (never `localeCompare`, which would tie the bytes to the machine's locale). */
function sortBy<T>(items: readonly T[], key: (item: T) => readonly string[]): T[] {
  return [...items].sort((a, b) => {
    const left = key(a);
    const right = key(b);
    for (let i = 0; i < left.length; i++) {
      const order = compareIds(left[i]!, right[i]!);
      if (order !== 0) return order;
    }
    return 0;
  });
}

/** Control, identity, credential (an identity-level finding before its credentials), then the rest for a total order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return sortBy(findings, (f) => [f.controlId, f.identityId, f.credentialId ?? '', f.status, f.message]);
}

export function sortWaivers(uses: readonly WaiverUse[]): WaiverUse[] {
  return sortBy(uses, ({ waiver: w }) => [w.control, w.identity, w.ticket, w.expires, w.approver, w.reason]);
}

function sortSources(sources: readonly SourceCompleteness[]): SourceCompleteness[] {
  // Scopes are collected concurrently, so their order is the order they finished in.
  return sortBy(sources, (s) => [s.source]).map((s) => ({ ...s, scopes: sortBy(s.scopes, (scope) => [scope.scope]) }));
}

/** ResultSets this module put in canonical order: every writer of a run sorts, and a run has many writers. */
const canonical = new WeakSet<ResultSet>();

/**
 * The ResultSet with every collection in its canonical order, so each writer's bytes depend on the content
 * alone and never on the order collection or evaluation happened to produce. A set it already sorted is
 * returned as it is (sorted once for all the writers of a run), so callers must not reorder what it returns.
 */
export function sortResultSet(results: ResultSet): ResultSet {
  if (canonical.has(results)) return results;
  const sorted = {
    ...results,
    controls: sortBy(results.controls, (c) => [c.id]),
    // A spilled population is in id order as it was written, and sorting one would decode it whole.
    identities: spilledOf(results.identities)?.inIdOrder ? results.identities : sortBy(results.identities, (i) => [i.id]),
    findings: sortFindings(results.findings),
    sources: sortSources(results.sources),
    waivers: results.waivers && sortWaivers(results.waivers),
  };
  canonical.add(sorted);
  return sorted;
}
