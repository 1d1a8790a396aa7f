import type { LoadedConfig } from '../config.js';
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

/** The run's results in the shape every writer renders. */
export function toResultSet(pipeline: PipelineResult, loaded: LoadedConfig, asOf: Date, cycle?: string): ResultSet {
  const frameworks = loadFrameworks(frameworksDir());
  // Sorted once here, for every writer of the run.
  return sortResultSet({
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
    findings: pipeline.evaluation.findings,
    sources: pipeline.sources,
    waivers: pipeline.evaluation.waivers,
    ...(pipeline.systems ? { systems: systemsInScope(pipeline.systems) } : {}),
  });
}

/**
 * 3 when a source is incomplete (the results cannot be relied on, whatever they say), else 1 when a control
 * fails, or a change since the baseline is, at or above `failOn` (waived findings never count), else 0.
 */
export function exitCodeFor(results: ResultSet, failOn: Severity | 'none'): number {
  if (results.sources.some((s) => s.verdict === 'incomplete')) return EXIT.incomplete;
  if (failOn === 'none') return EXIT.ok;
  const failing = results.findings.some((f) => f.status === 'fail' && atOrAbove(f.severity, failOn));
  const drifted = results.drift?.events.some((e) => atOrAbove(e.severity, failOn)) === true;
  return failing || drifted ? EXIT.controlFailures : EXIT.ok;
}
