import type { Finding } from '../sdk/index.js';
import { type StatusCounts, zeroCounts } from './summary.js';
import type { ResultSet } from './types.js';

/** One system's share of a run: the identities reaching it and the findings on them. */
export interface SystemResults {
  name: string;
  sox: boolean;
  owner?: string;
  identities: number;
  counts: StatusCounts;
  failing: Finding[];
}

/**
 * Results grouped by system, in registry order (the registry's systems when the results carry them, else as the
 * identities name them); an identity reaching two systems counts in both. Empty when no identity reaches one.
 */
export function resultsBySystem(results: ResultSet): SystemResults[] {
  const groups = new Map<string, SystemResults>();
  for (const system of results.systems ?? []) {
    groups.set(system.name, { name: system.name, sox: system.sox, owner: system.owner, identities: 0, counts: zeroCounts(), failing: [] });
  }
  const reaching = new Map<string, string[]>();
  for (const identity of results.identities) {
    for (const reach of identity.systems ?? []) {
      if (!groups.has(reach.name)) groups.set(reach.name, { name: reach.name, sox: reach.sox, identities: 0, counts: zeroCounts(), failing: [] });
      groups.get(reach.name)!.identities++;
      reaching.set(identity.id, [...(reaching.get(identity.id) ?? []), reach.name]);
    }
  }
  if (reaching.size === 0) return [];
  for (const finding of results.findings) {
    for (const name of reaching.get(finding.identityId) ?? []) {
      const group = groups.get(name)!;
      group.counts[finding.status]++;
      if (finding.status === 'fail') group.failing.push(finding);
    }
  }
  return [...groups.values()];
}
