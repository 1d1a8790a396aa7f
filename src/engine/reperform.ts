import type { Config, Registries } from '../config.js';
import type { Finding, Identity } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { compareIds } from './collect.js';
import { enrich, undoEnrichment, type EnrichmentChange } from './enrich.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { activeControls, inputsFrom, type InputFile } from './pipeline.js';
import type { SystemsRegistry } from './systems.js';

/** One side of the comparison: what the pack sealed and what re-performing gave, by key. */
export interface Comparison {
  count: number;
  sealedText: string;
  againText: string;
  /** Keys (identity ids, or control/identity/credential) whose sealed and re-performed forms differ. */
  differing: string[];
}

export interface Reperformance {
  /** The sealed inputs, with the rows each holds. */
  inputs: InputFile[];
  inventory: Comparison;
  findings: Comparison;
  evaluation: Evaluation;
  /** The sealed systems registry, when the run had one. */
  systems?: SystemsRegistry;
}

export interface SealedRun {
  asOf: string;
  config: Config;
  identities: readonly Identity[];
  findings: readonly Finding[];
}

function compare<T>(sealed: readonly T[], again: readonly T[], key: (item: T) => string): Comparison {
  const before = new Map(sealed.map((item) => [key(item), stableStringify(item)]));
  const after = new Map(again.map((item) => [key(item), stableStringify(item)]));
  const differing = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort(compareIds);
  return { count: again.length, sealedText: stableStringify(sealed), againText: stableStringify(again), differing };
}

export const findingKey = (f: Pick<Finding, 'controlId' | 'identityId' | 'credentialId'>) => [f.controlId, f.identityId, f.credentialId].filter(Boolean).join(' ');

/**
 * Repeats a run's judgement from its pack: the identities as the connectors gave them (the sealed inventory
 * with the join's changes undone), joined again with the sealed registries, then evaluated with the sealed
 * waivers and configuration as of the pack's as-of instant. Both the inventory and the findings must come out
 * byte for byte as sealed.
 */
export function reperformRun(run: SealedRun, sealedInputs: InputFile[], enrichment: readonly EnrichmentChange[], registries: Registries): Reperformance {
  const inputs = inputsFrom(run.config, sealedInputs, registries.controls.map((c) => c.meta.id));
  const identities = enrich(undoEnrichment(run.identities, enrichment), inputs.enrich).sort((a, b) => compareIds(a.id, b.id));
  const evaluation = evaluate(identities, activeControls({ config: run.config }, registries, inputs), {
    now: new Date(run.asOf),
    waivers: inputs.waivers,
    includeHumans: run.config.evaluate.includeHumans,
    ...(run.config.evaluate.systems ? { systems: run.config.evaluate.systems } : {}),
  });
  return {
    inputs: inputs.files,
    inventory: compare(run.identities, identities, (i) => i.id),
    findings: compare(run.findings, evaluation.findings, findingKey),
    evaluation,
    ...(inputs.systems ? { systems: inputs.systems } : {}),
  };
}
