import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../paths.js';
import { collectionVerdict, ConfigError, formatPath } from '../sdk/index.js';
import type { ReportChanges, ReportModel, ReportSample, ReportText } from '../writers/pdf.js';
import type { ResultSet } from '../writers/types.js';
import type { Evaluation } from '../engine/evaluate.js';
import type { RunRecord } from './pack.js';
import type { PackDiff } from './diff.js';
import type { SampleSelection } from './sample.js';

const ReportTextSchema = z.object({
  title: z.string(),
  subtitle: z.string(),
  intro: z.string(),
  methodology: z.array(z.string()),
  exceptionsNote: z.string(),
  waiversNote: z.string(),
  changesNote: z.string(),
  samplesNote: z.string(),
  noSamples: z.string(),
  signOff: z.object({ title: z.string(), text: z.string(), roles: z.array(z.string()) }),
  appendixNote: z.string(),
});

/** The report's wording lives in evidence-templates/report.json, so it can be reworded without touching code. */
export async function loadReportText(file = path.join(packageRoot(), 'evidence-templates', 'report.json')): Promise<ReportText> {
  const parsed = ReportTextSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  return parsed.data;
}

function flagChanges(before: readonly string[], after: readonly string[]): string {
  const changes = [...after.filter((f) => !before.includes(f)).map((f) => `+${f}`), ...before.filter((f) => !after.includes(f)).map((f) => `-${f}`)];
  return changes.length > 0 ? ` (${changes.join(' ')})` : '';
}

/** The report's section on changes: counts, then one line per change. */
export function reportChanges(diff: PackDiff): ReportChanges {
  const subject = (f: { identityId: string; credentialId?: string }) => (f.credentialId ? `${f.identityId} [${f.credentialId}]` : f.identityId);
  return {
    fromCycle: diff.from.cycle,
    fromRunId: diff.from.runId,
    counts: [
      { label: 'Identities added', count: diff.added.length },
      { label: 'Identities removed', count: diff.removed.length },
      { label: 'Privilege changes', count: diff.privilege.length },
      { label: 'Credentials rotated', count: diff.credentials.filter((c) => c.rotated).length },
      { label: 'Findings newly failing', count: diff.newlyFailing.length },
      { label: 'Findings remediated', count: diff.remediated.length },
      { label: 'Findings now waived', count: diff.waived.length },
      { label: 'Findings still open', count: diff.stillOpenCount },
    ],
    lines: [
      ...diff.added.map((i) => `Added: ${i.id}`),
      ...diff.removed.map((i) => `Removed: ${i.id}`),
      ...diff.privilege.map((p) => `Privilege: ${p.identityId} ${p.before.level} → ${p.after.level}${flagChanges(p.before.flags, p.after.flags)}${p.grantsAdded.length ? `; granted ${p.grantsAdded.join(', ')}` : ''}${p.grantsRemoved.length ? `; removed ${p.grantsRemoved.join(', ')}` : ''}`),
      ...diff.credentials.map((c) => `${c.rotated ? 'Rotated' : 'Credentials changed'}: ${c.identityId}${c.added.length ? ` +${c.added.join(' +')}` : ''}${c.removed.length ? ` -${c.removed.join(' -')}` : ''}`),
      ...diff.newlyFailing.map((f) => `Newly failing: ${f.controlId} ${subject(f)}`),
      ...diff.remediated.map((f) => `Remediated: ${f.controlId} ${subject(f)} (${f.after})`),
      ...diff.waived.map((f) => `Waived: ${f.controlId} ${subject(f)}`),
    ],
  };
}

export function reportSample(id: string, selection: SampleSelection): ReportSample {
  return {
    id,
    seed: selection.seed,
    filter: selection.filter,
    populationSize: selection.populationSize,
    populationSha256: selection.populationSha256,
    selected: selection.selected,
  };
}

/** The PDF's model for a run, from its results and record; changes and samples when there are any. */
export function reportModel(
  results: ResultSet,
  evaluation: Pick<Evaluation, 'evaluated' | 'excluded'>,
  record: Pick<RunRecord, 'runId' | 'cycle' | 'asOf' | 'finishedAt' | 'operator' | 'toolCommit'>,
  keyId: string,
  text: ReportText,
  extras: { changes?: ReportChanges; samples?: ReportSample[] } = {},
): ReportModel {
  return {
    results,
    text,
    run: {
      runId: record.runId,
      cycle: record.cycle,
      asOf: record.asOf,
      finishedAt: record.finishedAt,
      keyId,
      operator: record.operator.ci ? `${record.operator.ci.provider} job ${record.operator.ci.jobId ?? ''}`.trim() : `${record.operator.user}@${record.operator.host}`,
      ...(record.toolCommit ? { toolCommit: record.toolCommit } : {}),
      verdict: collectionVerdict(results.sources),
    },
    population: { identities: results.identities.length, evaluated: evaluation.evaluated, excluded: evaluation.excluded },
    ...(extras.changes ? { changes: extras.changes } : {}),
    samples: extras.samples ?? [],
  };
}
