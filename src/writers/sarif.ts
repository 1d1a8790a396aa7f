import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Finding, Severity } from '../sdk/index.js';
import { stableJsonChunksWithin } from '../stable-json.js';
import { describeIncompleteness, describeWaiver, findingSubject } from './describe.js';
import { inventoryJson, locateIdentities, type LineRange } from './json.js';
import { sortResultSet } from './sorted.js';
import { everyListed, summarize } from './summary.js';
import { streamingWriter, type ControlInForce, type RenderOptions, type ResultSet, type Writer } from './types.js';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/**
 * GitHub code scanning ranks security alerts by `properties["security-severity"]`, a number 0.0–10.0 written as
 * a string (as CodeQL writes it): over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. `info` gets
 * none, so GitHub shows it by its level alone rather than as a security alert.
 */
const SECURITY_SEVERITY: Partial<Record<Severity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
};

/**
 * The key under `partialFingerprints`. GitHub matches alerts across uploads by these: control, identity and
 * credential are what a finding is about, so they are all that goes in (never the message, the location or
 * the run). Bump the version if that input ever changes.
 */
export const FINGERPRINT_KEY = 'nhiAuditFinding/v1';

function fingerprint(finding: Finding): string {
  return createHash('sha256')
    .update(JSON.stringify([finding.controlId, finding.identityId, finding.credentialId ?? null]))
    .digest('hex');
}

function rule(control: ControlInForce) {
  const tags = [
    'security',
    'non-human-identity',
    ...control.mappings.flatMap((m) => m.ids.map((id) => [m.framework, m.version, id].filter(Boolean).join(' '))),
  ];
  return {
    id: control.id,
    shortDescription: { text: control.title },
    fullDescription: { text: control.rationale },
    help: { text: control.remediation },
    defaultConfiguration: { level: LEVEL[control.severity] },
    properties: { tags, 'security-severity': SECURITY_SEVERITY[control.severity], severity: control.severity },
  };
}

/** The file a result may point at, and where in it each identity is. */
interface Place {
  uri: string;
  lines: ReadonlyMap<string, LineRange>;
}

/**
 * Where a finding is placed. GitHub requires `physicalLocation.artifactLocation.uri` on every result to show
 * an alert, and the same path across runs to keep tracking it. An identity lives in a cloud or SaaS account,
 * not in the repository; the one file that holds every identity is the pack's `inventory.json`, so when a pack
 * was written results point there at the lines of the identity's object. Without a pack they point at the
 * configuration that named the source, a file that exists in the job's checkout; with neither, at no file. The
 * identity id itself goes in a `logicalLocation`, which is how SARIF names a location that is not a place in a
 * file. Alerts are tracked by `partialFingerprints`, so lines moving as the population changes do not duplicate them.
 */
function location(finding: Finding, place: Place | undefined) {
  return {
    ...(place
      ? { physicalLocation: { artifactLocation: { uri: place.uri }, region: place.lines.get(finding.identityId) ?? { startLine: 1 } } }
      : {}),
    logicalLocations: [{ fullyQualifiedName: finding.identityId, kind: 'resource' }],
  };
}

function placeFor(results: ResultSet, options: RenderOptions): Place | undefined {
  if (options.pack !== undefined) return { uri: posix.join(options.pack, inventoryJson.fileName), lines: locateIdentities(inventoryJson.chunks!(results)) };
  if (options.config !== undefined) return { uri: options.config, lines: new Map() };
  return undefined;
}

function result(finding: Finding, ruleIndex: number | undefined, place: Place | undefined) {
  return {
    ruleId: finding.controlId,
    ruleIndex,
    level: LEVEL[finding.severity],
    message: { text: `${findingSubject(finding)}: ${finding.message}` },
    locations: [location(finding, place)],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(finding) },
    // A waived finding stays visible as a suppressed result: the waiver is an accepted exception, not a fix.
    suppressions: finding.waiver ? [{ kind: 'external', status: 'accepted', justification: describeWaiver(finding.waiver) }] : undefined,
    properties: {
      identityId: finding.identityId,
      credentialId: finding.credentialId,
      status: finding.status,
      severity: finding.severity,
      evidence: finding.evidence,
    },
  };
}

/**
 * SARIF 2.1.0 for GitHub code scanning: failing and waived findings as results, one rule per control in force.
 * Written a result at a time: a large organization's failing findings make a log larger than one string can hold.
 */
const sarif: Writer = streamingWriter({
  id: 'sarif',
  fileName: 'findings.sarif',
  *chunks(results: ResultSet, options: RenderOptions = {}) {
    const sorted = sortResultSet(results);
    const place = placeFor(sorted, options);
    const ruleIndex = new Map(sorted.controls.map((c, i) => [c.id, i]));
    const reported = everyListed(sorted).filter((f) => f.status === 'fail' || f.status === 'excepted');
    const incomplete = summarize(sorted).incompleteSources;
    const log = (items: unknown[]) => ({
      $schema: SCHEMA,
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: sorted.tool.name,
              version: sorted.tool.version,
              informationUri: sorted.tool.informationUri,
              rules: sorted.controls.map(rule),
            },
          },
          // An incomplete source means the results are not the whole population: say so where SARIF tools look.
          invocations: [
            {
              executionSuccessful: incomplete.length === 0,
              toolExecutionNotifications: incomplete.length === 0 ? undefined : incomplete.map((s) => ({
                level: 'error',
                descriptor: { id: 'source-incomplete' },
                message: { text: `Source ${s.source} (${s.connector}) is incomplete: ${describeIncompleteness(s)}` },
              })),
            },
          ],
          results: items,
          properties: { asOf: sorted.asOf, cycle: sorted.cycle, organization: sorted.organization },
        },
      ],
    });
    function* each() {
      for (const f of reported) yield result(f, ruleIndex.get(f.controlId), place);
    }
    yield* stableJsonChunksWithin(log, each());
  },
});

export default sarif;
