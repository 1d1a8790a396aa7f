import path from 'node:path';
import { withPlugins, type Config, type LoadedConfig, type Registries } from '../config.js';
import { ConfigError, type Identity, type RecertCampaign, type Logger, type Problem, type SourceCompleteness, type Waiver } from '../sdk/index.js';
import { collectSource, compareIds, type IdentitySink, type PageRedactions, type SourceResult } from './collect.js';
import { Population } from './population.js';
import type { FileDigest } from '../evidence/seal.js';
import type { EnrichInputs, EnrichmentChange } from './enrich.js';
import { evaluationStream, type ActiveControl, type UnitEvaluation } from './evaluate.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseApprovals, parseHrRoster, parseOwners, parsePrivilegedAccess, parseWaivers, readInputFile } from './inputs.js';
import { parseCampaignRecord } from './recertification.js';
import { parseSystems, systemsRows, type SystemDefinition, type SystemsRegistry } from './systems.js';

/** What a file the run read was for; the pack seals each under inputs/<kind>/. */
export type InputKind = 'config' | 'waivers' | 'owners' | 'hr-roster' | 'approvals' | 'privileged-access' | 'systems' | 'recertification' | 'export';

/** One file the run read, as read: the pack seals these bytes, so what was parsed is what the auditor gets. */
export interface InputFile {
  kind: InputKind;
  /** The source that read it (exports). */
  source?: string;
  /** Where it was read from. */
  originalPath: string;
  bytes: Buffer;
  /** Records it holds: registry rows, waivers, or the items of an export's lists; null for the config. */
  rows: number | null;
}

/** The files beside the config that the run joins in: read and validated before anything is collected. */
export interface RunInputs {
  enrich: EnrichInputs;
  waivers: Waiver[];
  /** Every file the run read, for the pack's inputs/. */
  files: InputFile[];
  /** The systems registry, when the config names one. */
  systems?: SystemsRegistry;
  /** The latest closed recertification campaign, from its addendum beside an earlier pack. */
  recertification?: RecertCampaign;
}

const REGISTRIES = [
  ['owners', 'owners', parseOwners],
  ['hrRoster', 'hr-roster', parseHrRoster],
  ['approvals', 'approvals', parseApprovals],
  ['privilegedAccess', 'privileged-access', parsePrivilegedAccess],
] as const;

/** Records in an export, counted the way a reviewer would: CSV rows, or the items of the JSON's lists. */
function exportRows(file: string, bytes: Buffer): number | null {
  const text = bytes.toString('utf8');
  try {
    if (/\.csv$/i.test(file)) return (parseCsv(text, { columns: true, skip_empty_lines: true, bom: true }) as unknown[]).length;
    const value = JSON.parse(text) as unknown;
    if (Array.isArray(value)) return value.length;
    if (value && typeof value === 'object') return Object.values(value).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 0), 0);
  } catch {
    // The connector reports an unreadable export; here it is only counted.
  }
  return null;
}

/** Reads every file the config names (registries, waivers, exports) before anything is collected. */
export async function loadInputs(loaded: LoadedConfig, registries: Registries): Promise<RunInputs> {
  const { config, baseDir } = loaded;
  await checkSourceInputs(loaded, registries);
  const files: InputFile[] = [{ kind: 'config', originalPath: path.resolve(loaded.file), bytes: Buffer.from(loaded.text, 'utf8'), rows: null }];
  const read = async (kind: InputKind, file: string, source?: string) => {
    const originalPath = path.resolve(baseDir, file);
    const bytes = await readInputFile(originalPath);
    files.push({ kind, ...(source ? { source } : {}), originalPath, bytes, rows: kind === 'export' ? exportRows(originalPath, bytes) : null });
  };
  for (const [key, kind] of REGISTRIES) {
    const file = config.enrich[key];
    if (file) await read(kind, file);
  }
  if (config.enrich.systems) await read('systems', config.enrich.systems);
  if (config.waivers) await read('waivers', config.waivers);
  const connectors = new Map(withPlugins(registries, loaded.plugins).connectors.map((c) => [c.id, c]));
  for (const { name, connector: id, timeouts: _timeouts, paging: _paging, ...fields } of config.sources) {
    const connector = connectors.get(id)!;
    for (const file of connector.inputFiles?.(connector.config.parse(fields)) ?? []) await read('export', file, name);
  }
  const inputs = inputsFrom(config, files, registries.controls.map((c) => c.meta.id));
  checkSystemNames(loaded, inputs.systems);
  return inputs;
}

/** Every system the config names (`evaluate.systems`, a control's `systems:` overrides) is in the registry. */
function checkSystemNames({ file, config }: Pick<LoadedConfig, 'file' | 'config'>, registry: SystemsRegistry | undefined): void {
  const known = new Set(registry?.systems.map((s) => s.name));
  const named: Array<[where: string, name: string]> = [
    ...(Array.isArray(config.evaluate.systems) ? config.evaluate.systems.map((name, i): [string, string] => [`evaluate.systems[${i}]`, name]) : []),
    ...Object.entries(config.controls).flatMap(([id, c]) => Object.keys(c.systems ?? {}).map((name): [string, string] => [`controls.${id}.systems.${name}`, name])),
  ];
  const problems: Problem[] = [];
  if (!registry && (config.evaluate.systems !== undefined || named.length > 0)) {
    problems.push({ path: named[0]?.[0] ?? 'evaluate.systems', message: 'names systems, but no systems registry is configured; set enrich.systems to the registry file (YAML)' });
  } else {
    for (const [where, name] of named) {
      if (!known.has(name)) problems.push({ path: where, message: `unknown system "${name}"; the systems registry lists ${[...known].join(', ')}` });
    }
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
}

/**
 * Parses the registries and waivers among `files`, and counts their rows. The run and `reperform` (over a pack's
 * sealed copies) both go through here, so they join the same way.
 */
export function inputsFrom(config: Config, files: InputFile[], controlIds: readonly string[], nameOf = (file: InputFile) => file.originalPath): RunInputs {
  const { owners: _o, hrRoster: _h, approvals: _a, privilegedAccess: _p, systems: _s, ...tagKeys } = config.enrich;
  const enrichInputs: EnrichInputs = { ...tagKeys };
  let waivers: Waiver[] = [];
  let systems: SystemsRegistry | undefined;
  let recertification: RecertCampaign | undefined;
  const counted = files.map((file) => {
    const text = file.bytes.toString('utf8');
    const registry = REGISTRIES.find(([, kind]) => kind === file.kind);
    if (registry) {
      const rows = registry[2](nameOf(file), text);
      Object.assign(enrichInputs, { [registry[0]]: { file: path.basename(file.originalPath), rows } });
      return { ...file, rows: rows.length };
    }
    if (file.kind === 'systems') {
      systems = parseSystems(nameOf(file), text);
      enrichInputs.systems = { file: path.basename(file.originalPath), registry: systems };
      return { ...file, rows: systemsRows(systems) };
    }
    if (file.kind === 'waivers') {
      waivers = parseWaivers(nameOf(file), text, controlIds);
      return { ...file, rows: waivers.length };
    }
    if (file.kind === 'recertification') {
      const campaign = parseCampaignRecord(nameOf(file), text);
      recertification = campaign;
      return { ...file, rows: campaign.decisions.length };
    }
    return file;
  });
  return { enrich: enrichInputs, waivers, files: counted, ...(systems ? { systems } : {}), ...(recertification ? { recertification } : {}) };
}

/** The inputs with a closed campaign's addendum manifest added: sealed with the others, its decisions fed to the controls. */
export function withRecertification(inputs: RunInputs, file: InputFile): RunInputs {
  return { ...inputs, files: [...inputs.files, file], recertification: parseCampaignRecord(file.originalPath, file.bytes.toString('utf8')) };
}

/** Sources that read files (exports) have them read and validated now: a bad row stops the run before it writes. */
async function checkSourceInputs(loaded: LoadedConfig, registries: Registries): Promise<void> {
  const connectors = new Map(withPlugins(registries, loaded.plugins).connectors.map((c) => [c.id, c]));
  for (const { name, connector: id, timeouts: _timeouts, paging: _paging, ...settings } of loaded.config.sources) {
    const connector = connectors.get(id);
    if (connector?.checkInputs) await connector.checkInputs(connector.config.parse(settings), { source: name, baseDir: loaded.baseDir });
  }
}

/**
 * Options a registry supplies to a control, under the config's own: the systems registry's
 * segregation-of-duties rules are the rules of `sod-conflict`; the latest closed recertification campaign is the
 * campaign of `recertification-completed` and `revocation-executed`.
 */
function registryOptions({ systems, recertification }: Pick<RunInputs, 'systems' | 'recertification'>): Record<string, Record<string, unknown>> {
  return {
    ...(systems && systems.segregationOfDuties.length > 0 ? { 'sod-conflict': { rules: systems.segregationOfDuties } } : {}),
    ...(recertification ? { 'recertification-completed': { campaign: recertification }, 'revocation-executed': { campaign: recertification } } : {}),
  };
}

/** A registry's lists add to the config's (whose options carry their defaults), and its other values fill gaps. */
function withRegistryOptions(options: Record<string, unknown>, fromRegistry: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...fromRegistry, ...options };
  for (const [key, value] of Object.entries(fromRegistry)) {
    if (Array.isArray(value) && Array.isArray(options[key])) merged[key] = [...value, ...(options[key] as unknown[])];
  }
  return merged;
}

/** The enabled controls with their severity and options after config overrides, and each system's stricter options. */
export function activeControls({ config }: Pick<LoadedConfig, 'config'>, registries: Pick<Registries, 'controls'>, inputs: Pick<RunInputs, 'systems' | 'recertification'> = {}): ActiveControl[] {
  const fromRegistry = registryOptions(inputs);
  return registries.controls.flatMap((control) => {
    const settings = config.controls[control.meta.id];
    if (settings && !settings.enabled) return [];
    const base = withRegistryOptions(settings?.options ?? {}, fromRegistry[control.meta.id] ?? {});
    const overrides = Object.entries(settings?.systems ?? {}).map(([system, options]) => ({ system, options: control.options.parse({ ...base, ...options }) }));
    return [{ control, severity: settings?.severity ?? control.meta.severity, options: control.options.parse(base), ...(overrides.length > 0 ? { systems: overrides } : {}) }];
  });
}

export interface CollectAllOptions {
  now: Date;
  log: Logger;
  env: Readonly<Record<string, string | undefined>>;
  rawDir: string;
  clock?: () => Date;
  /** Called as each source finishes, for a progress display. */
  onSource?: (result: SourceResult) => void;
  /** Where the identities go as they are collected; unset, each source's result holds its own. */
  sink?: IdentitySink;
  /** Identities held before the population is spilled to disk (`SPILL_AT`). */
  spillAt?: number;
}

/** Runs every source concurrently; one failing source never stops the others. */
export async function collectAll(loaded: LoadedConfig, registries: Registries, options: CollectAllOptions): Promise<SourceResult[]> {
  const connectors = new Map(withPlugins(registries, loaded.plugins).connectors.map((c) => [c.id, c]));
  return Promise.all(
    loaded.config.sources.map(async (source) => {
      const result = await collectSource(connectors.get(source.connector)!, source, { ...options, baseDir: loaded.baseDir });
      options.onSource?.(result);
      return result;
    }),
  );
}

export interface PipelineResult {
  identities: Identity[];
  sources: SourceCompleteness[];
  controls: ActiveControl[];
  /** Walked once: a run writes the findings as they come, `check` gathers them (`evaluate`'s way). */
  evaluation: UnitEvaluation;
  /** What the join with the registries changed, for re-performing it from the pack. */
  enrichment: EnrichmentChange[];
  redactions: PageRedactions[];
  /** The raw files the sources wrote, digested as they were written; those of parts handed in are not among them. */
  rawDigests: FileDigest[];
  /** The systems registry's systems, for the reports. */
  systems?: SystemDefinition[];
}

/**
 * collect → enrich → evaluate (its findings still to be walked), as `check`, `run` and `demo` all do it; `run
 * --from-parts` hands in what its shards collected instead (`collect`, which puts their raw pages under
 * `options.rawDir`).
 */
export async function runPipeline(
  loaded: LoadedConfig,
  registries: Registries,
  inputs: RunInputs,
  options: CollectAllOptions,
  collect?: (rawDir: string) => Promise<SourceResult[]>,
): Promise<PipelineResult> {
  const population = new Population(options.spillAt);
  const collected = collect ? await collect(options.rawDir) : await collectAll(loaded, registries, { ...options, sink: population });
  for (const result of collected) for (const identity of result.identities) population.add(identity);
  const { identities, enrichment } = population.joined(inputs.enrich, options.log);
  const controls = activeControls(loaded, registries, inputs);
  const evaluation = evaluationStream(identities, controls, {
    now: options.now,
    waivers: inputs.waivers,
    includeHumans: loaded.config.evaluate.includeHumans,
    ...(loaded.config.evaluate.systems ? { systems: loaded.config.evaluate.systems } : {}),
  });
  return {
    identities,
    sources: collected.map((r) => r.completeness),
    controls,
    evaluation,
    enrichment,
    redactions: collected.flatMap((r) => r.redactions).sort((a, b) => compareIds(a.page, b.page)),
    rawDigests: collected.flatMap((r) => r.rawDigests ?? []),
    ...(inputs.systems ? { systems: inputs.systems.systems } : {}),
  };
}
