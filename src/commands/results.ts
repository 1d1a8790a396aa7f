import type { LoadedConfig } from '../config.js';
import { gathered } from '../engine/evaluate.js';
import type { PipelineResult } from '../engine/pipeline.js';
import { atOrAbove, EXIT, type Severity } from '../sdk/index.js';
import { loadFrameworks, mappingsFor } from '../evidence/frameworks.js';
import { frameworksDir, toolVersion } from '../paths.js';
import { sortResultSet } from '../writers/sorted.js';
import type { ResultSet, SystemInScope } from '../writers/types.js';
import type { SystemDefinition } from '../engine/systems.js';

/** The registry's systems as the reports name them. */
export function systemsInScope(systems: readonly SystemDefinition[]): SystemInScope[] {
  return systems.map(({ name, sox, owner, description }) => ({ name, sox, owner, ...(description ? { description } : {}) }));
}

export const TOOL = { name: 'nhi-audit', informationUri: 'https://github.com/nhi-audit/nhi-audit' } as const;

/** What the writers render beside the findings: the run, its controls in force, the population, the sources. */
export type ResultBase = Omit<ResultSet, 'findings' | 'waivers' | 'summary'>;

/** The run's results but for the findings, in canonical order (sorted once here, for every writer of the run). */
export function resultBase(pipeline: Omit<PipelineResult, 'evaluation'>, loaded: LoadedConfig, asOf: Date, cycle?: string): ResultBase {
  const frameworks = loadFrameworks(frameworksDir());
  const { findings: _none, ...base } = sortResultSet({
    tool: { name: TOOL.name, version: toolVersion(), informationUri: TOOL.informationUri },
    ...(loaded.config.organization ? { organization: loaded.config.organization } : {}),
    asOf: asOf.toISOString(),
    ...(cycle ? { cycle } : {}),
    controls: pipeline.controls.map(({ control, severity, options }) => ({
      id: control.meta.id,
      title: control.meta.title,
      severity,
      appliesTo: control.meta.appliesTo,
      rationale: control.meta.rationale,
      remediation: control.meta.remediation,
      options: options as Record<string, unknown>,
      mappings: mappingsFor(control.meta.id, frameworks),
    })),
    identities: pipeline.identities,
    findings: [],
    sources: pipeline.sources,
    ...(pipeline.systems ? { systems: systemsInScope(pipeline.systems) } : {}),
  });
  return base;
}

/** The run's results in the shape every writer renders, every finding held (`check`). */
export function toResultSet(pipeline: PipelineResult, loaded: LoadedConfig, asOf: Date, cycle?: string): ResultSet {
  const { findings, waivers } = gathered(pipeline.evaluation);
  return sortResultSet({ ...resultBase(pipeline, loaded, asOf, cycle), findings, waivers });
}

/**
 * 3 when a source is incomplete (the results cannot be relied on, whatever they say), else 1 when a control
 * fails, or a change since the baseline is, at or above `failOn` (waived findings never count), else 0.
 */
export function exitCodeFor(results: ResultSet, failOn: Severity | 'none'): number {
  if (results.sources.some((s) => s.verdict === 'incomplete')) return EXIT.incomplete;
  if (failOn === 'none') return EXIT.ok;
  // A run's results hold the first failing findings of each control; their summary counts every one by severity.
  const failing = results.summary
    ? Object.entries(results.summary.severities).some(([severity, counts]) => counts.fail > 0 && atOrAbove(severity as Severity, failOn))
    : results.findings.some((f) => f.status === 'fail' && atOrAbove(f.severity, failOn));
  const drifted = results.drift?.events.some((e) => atOrAbove(e.severity, failOn)) === true;
  return failing || drifted ? EXIT.controlFailures : EXIT.ok;
}
