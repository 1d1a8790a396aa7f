import { collectionVerdict } from '../sdk/index.js';
import { stableJsonChunks, stableStringify } from '../stable-json.js';
import type { Finding } from '../sdk/index.js';
import { sortResultSet } from './sorted.js';
import { everyFinding, summarize, type Summary } from './summary.js';
import { streamingWriter, type ResultSet, type Writer } from './types.js';

/** What says which run a file belongs to when it is read on its own, outside its pack. */
function header(results: Pick<ResultSet, 'tool' | 'organization' | 'asOf' | 'cycle'>) {
  return { tool: results.tool, organization: results.organization, asOf: results.asOf, cycle: results.cycle };
}

export const inventoryJson: Writer = streamingWriter({
  id: 'inventory-json',
  fileName: 'inventory.json',
  chunks(results) {
    const sorted = sortResultSet(results);
    return stableJsonChunks(header(sorted), 'identities', sorted.identities);
  },
});

/** What findings.json holds around its list: the run, the summary an auditor ties out against the findings, the collection. */
export function findingsAround(sorted: Omit<ResultSet, 'findings'>, summary: Summary): Record<string, unknown> {
  return {
    ...header(sorted),
    ...(sorted.drift ? { drift: sorted.drift } : {}),
    summary: {
      statuses: summary.counts,
      controls: Object.fromEntries(
        summary.controls.map(({ control, counts }) => [control.id, { title: control.title, severity: control.severity, ...counts }]),
      ),
      severities: summary.severities,
      waivers: summary.waivers.map(({ waiver, state, findings, inForce }) => ({ ...waiver, state, inForce, findings })),
      sources: Object.fromEntries(sorted.sources.map((s) => [s.source, s.verdict])),
    },
    collection: {
      verdict: collectionVerdict(sorted.sources),
      sources: sorted.sources.map((s) => ({
        source: s.source,
        connector: s.connector,
        verdict: s.verdict,
        scopes: s.scopes.map((scope) => ({ scope: scope.scope, verdict: scope.verdict })),
      })),
    },
  };
}

const FINDING_KEYS = new Set(['controlId', 'credentialId', 'evidence', 'identityId', 'message', 'severity', 'status', 'waiver']);

/**
 * A finding on one line as `stableStringify` writes it, its evidence given already written that way (findings.csv
 * writes the same text, so a run serializes each evidence once). Its members are written in their sorted order by
 * hand; a finding with any other member is left to `stableStringify`.
 */
export function findingLine(f: Finding, evidence: string): string {
  for (const key in f) if (!FINDING_KEYS.has(key)) return stableStringify(f);
  const string = JSON.stringify;
  return (
    `{"controlId":${string(f.controlId)}` +
    (f.credentialId === undefined ? '' : `,"credentialId":${string(f.credentialId)}`) +
    (f.evidence === undefined ? '' : `,"evidence":${evidence}`) +
    `,"identityId":${string(f.identityId)},"message":${string(f.message)},"severity":${string(f.severity)},"status":${string(f.status)}` +
    (f.waiver === undefined ? '' : `,"waiver":${stableStringify(f.waiver)}`) +
    '}'
  );
}

/** The findings' list of findings.json: each compact on a line of its own (a pack holds millions; a line greps). */
export const FINDINGS_KEY = 'findings';
export const FINDINGS_LAYOUT = 'line';

/** `findings` in control, identity, credential order, and a summary an auditor can tie out against them. */
const findingsJson: Writer = streamingWriter({
  id: 'json',
  fileName: 'findings.json',
  everyFinding: true,
  chunks(results) {
    const sorted = sortResultSet(results);
    return stableJsonChunks(findingsAround(sorted, summarize(sorted)), FINDINGS_KEY, everyFinding(sorted), FINDINGS_LAYOUT);
  },
});

export default findingsJson;

/** Lines (1-based, inclusive) of one identity's object in inventory.json. */
export interface LineRange {
  startLine: number;
  endLine: number;
}

/**
 * Where each identity's object sits in inventory.json as `inventoryJson` renders it, so other formats (SARIF)
 * can point into the file. Identity objects open and close at depth 2 (four spaces) and their own `"id"` is at
 * depth 3 (six spaces); deeper objects (owners, credentials) are indented further.
 */
export function locateIdentities(inventory: string | Iterable<string>): Map<string, LineRange> {
  const ranges = new Map<string, LineRange>();
  let startLine = 0;
  let id: string | undefined;
  let index = 0;
  const take = (line: string) => {
    if (line === '    {') startLine = index + 1;
    const idLine = /^ {6}"id": (".*"),?$/.exec(line);
    if (idLine) id = JSON.parse(idLine[1]!) as string;
    if (/^ {4}\},?$/.test(line) && id !== undefined) {
      ranges.set(id, { startLine, endLine: index + 1 });
      id = undefined;
    }
    index++;
  };
  // Pieces as a streaming writer makes them: a line may end in a later piece than it starts.
  let partial = '';
  for (const piece of typeof inventory === 'string' ? [inventory] : inventory) {
    const lines = piece.split('\n');
    lines[0] = partial + lines[0]!;
    partial = lines.pop()!;
    for (const line of lines) take(line);
  }
  take(partial);
  return ranges;
}
