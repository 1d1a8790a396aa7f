import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Finding, Severity } from '../sdk/index.js';
import { stableJsonChunksWithin } from '../stable-json.js';
import { findingSubject } from './describe.js';
import { inventoryJson, locateIdentities } from './json.js';
import { sortResultSet } from './sorted.js';
import { everyListed } from './summary.js';
import { streamingWriter, type RenderOptions, type ResultSet, type Writer } from './types.js';

/** GitLab's five levels; ours sit one step higher at the top, so a critical finding blocks a merge request. */
const GITLAB_SEVERITY: Record<Severity, 'blocker' | 'critical' | 'major' | 'minor' | 'info'> = {
  critical: 'blocker',
  high: 'critical',
  medium: 'major',
  low: 'minor',
  info: 'info',
};

/** Control, identity and credential only: GitLab tracks an issue across pipelines by this. */
function fingerprint(finding: Finding): string {
  return createHash('md5').update(JSON.stringify([finding.controlId, finding.identityId, finding.credentialId ?? null])).digest('hex');
}

/**
 * The Code Climate subset GitLab reads as a Code Quality report: one issue per failing finding, placed at the
 * identity in the pack's inventory.json when a pack was written, else at the configuration (GitLab needs a path).
 */
const codequality: Writer = streamingWriter({
  id: 'codequality',
  fileName: 'gl-code-quality-report.json',
  *chunks(results: ResultSet, options: RenderOptions = {}) {
    const sorted = sortResultSet(results);
    const inventory = options.pack !== undefined ? posix.join(options.pack, inventoryJson.fileName) : undefined;
    const lines = inventory ? locateIdentities(inventoryJson.chunks!(sorted)) : new Map<string, { startLine: number }>();
    function* issues() {
      for (const f of everyListed(sorted)) {
        if (f.status !== 'fail') continue;
        yield {
          type: 'issue',
          check_name: f.controlId,
          description: `${findingSubject(f)}: ${f.message}`,
          categories: ['Security'],
          severity: GITLAB_SEVERITY[f.severity],
          fingerprint: fingerprint(f),
          location: { path: inventory ?? options.config ?? 'nhi-audit.yaml', lines: { begin: lines.get(f.identityId)?.startLine ?? 1 } },
        };
      }
    }
    // An issue at a time: a large organization's failing findings make a report larger than one string can hold.
    yield* stableJsonChunksWithin((items) => items, issues());
  },
});

export default codequality;
