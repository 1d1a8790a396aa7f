import { createHash } from 'node:crypto';
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
  /** sha256 of each side's canonical JSON array (`stableStringify` of the whole list), hex. */
  sealedDigest: string;
  againDigest: string;
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

/**
 * Compares two lists an item at a time, in the order both were sorted in, so that neither list is ever one string
 * (a million findings would pass V8's string limit): the digests are of the text the whole list would be. Items out
 * of step (missing, extra, different or moved) are set aside by key, and only those are compared by key.
 */
export function compareLists<T>(sealed: readonly T[], again: readonly T[], key: (item: T) => string): Comparison {
  const sealedHash = createHash('sha256').update('[');
  const againHash = createHash('sha256').update('[');
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  for (let i = 0; i < Math.max(sealed.length, again.length); i++) {
    const right = i < again.length ? stableStringify(again[i]) : undefined;
    // Most items come out as sealed: those are written once, for both digests.
    const left = i >= sealed.length ? undefined : i < again.length && jsonEqual(sealed[i], again[i]) ? right : stableStringify(sealed[i]);
    if (left !== undefined) sealedHash.update(i === 0 ? left : `,${left}`);
    if (right !== undefined) againHash.update(i === 0 ? right : `,${right}`);
    if (left === right) continue;
    if (left !== undefined) before.set(key(sealed[i]!), left);
    if (right !== undefined) after.set(key(again[i]!), right);
  }
  const differing = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort(compareIds);
  return { count: again.length, sealedDigest: sealedHash.update(']').digest('hex'), againDigest: againHash.update(']').digest('hex'), differing };
}

/**
 * True only when both values are the same JSON of plain strings, finite numbers, booleans, nulls, arrays and
 * objects (keys in any order; an undefined member is no member), so their canonical texts are the same. Anything
 * else (dates, non-finite numbers, class instances) answers false, and the caller compares texts instead.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null) return a === b && (a === null || typeof a === 'string' || typeof a === 'boolean' || (typeof a === 'number' && Number.isFinite(a)));
  if (typeof b !== 'object' || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!(i in a) || !(i in b) || !jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let members = 0;
  for (const key of Object.keys(left)) {
    if (left[key] === undefined) continue;
    members++;
    if (!Object.hasOwn(right, key) || !jsonEqual(left[key], right[key])) return false;
  }
  for (const key of Object.keys(right)) if (right[key] !== undefined) members--;
  return members === 0;
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
    inventory: compareLists(run.identities, identities, (i) => i.id),
    findings: compareLists(run.findings, evaluation.findings, findingKey),
    evaluation,
    ...(inputs.systems ? { systems: inputs.systems } : {}),
  };
}
