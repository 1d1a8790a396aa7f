import path from 'node:path';
import { withPlugins, type LoadedConfig, type Registries } from '../config.js';
import type { Identity, Logger, SourceCompleteness, Waiver } from '../sdk/index.js';
import { collectSource, compareIds, type SourceResult } from './collect.js';
import { enrich, type EnrichInputs, type Registry } from './enrich.js';
import { evaluate, type ActiveControl, type Evaluation } from './evaluate.js';
import { loadApprovals, loadHrRoster, loadOwners, loadPrivilegedAccess, loadWaivers } from './inputs.js';

/** The files beside the config that the run joins in: read and validated before anything is collected. */
export interface RunInputs {
  enrich: EnrichInputs;
  waivers: Waiver[];
}

/** Reads one configured registry file, if any, named by its base name as the source of what it contributes. */
async function registry<Row>(baseDir: string, file: string | undefined, load: (file: string) => Promise<Row[]>): Promise<Registry<Row> | undefined> {
  if (!file) return undefined;
  const full = path.resolve(baseDir, file);
  return { file: path.basename(full), rows: await load(full) };
}

export async function loadInputs(loaded: LoadedConfig, registries: Registries): Promise<RunInputs> {
  const { config, baseDir } = loaded;
  await checkSourceInputs(loaded, registries);
  const { owners: ownersFile, hrRoster: hrRosterFile, approvals: approvalsFile, privilegedAccess: privilegedFile, ...tagKeys } = config.enrich;
  const [owners, hrRoster, approvals, privilegedAccess] = await Promise.all([
    registry(baseDir, ownersFile, loadOwners),
    registry(baseDir, hrRosterFile, loadHrRoster),
    registry(baseDir, approvalsFile, loadApprovals),
    registry(baseDir, privilegedFile, loadPrivilegedAccess),
  ]);
  return {
    enrich: {
      ...tagKeys,
      ...(owners ? { owners } : {}),
      ...(hrRoster ? { hrRoster } : {}),
      ...(approvals ? { approvals } : {}),
      ...(privilegedAccess ? { privilegedAccess } : {}),
    },
    waivers: config.waivers
      ? await loadWaivers(path.resolve(baseDir, config.waivers), registries.controls.map((c) => c.meta.id))
      : [],
  };
}

/** Sources that read files (exports) have them read and validated now: a bad row stops the run before it writes. */
async function checkSourceInputs(loaded: LoadedConfig, registries: Registries): Promise<void> {
  const connectors = new Map(withPlugins(registries, loaded.plugins).connectors.map((c) => [c.id, c]));
  for (const { name, connector: id, timeouts: _timeouts, paging: _paging, ...settings } of loaded.config.sources) {
    const connector = connectors.get(id);
    if (connector?.checkInputs) await connector.checkInputs(connector.config.parse(settings), { source: name, baseDir: loaded.baseDir });
  }
}

/** The enabled controls with their severity and options after config overrides. */
export function activeControls({ config }: LoadedConfig, registries: Registries): ActiveControl[] {
  return registries.controls.flatMap((control) => {
    const settings = config.controls[control.meta.id];
    if (settings && !settings.enabled) return [];
    return [{ control, severity: settings?.severity ?? control.meta.severity, options: control.options.parse(settings?.options ?? {}) }];
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
  evaluation: Evaluation;
}

/** collect → enrich → evaluate, as `check`, `run` and `demo` all do it. */
export async function runPipeline(
  loaded: LoadedConfig,
  registries: Registries,
  inputs: RunInputs,
  options: CollectAllOptions,
): Promise<PipelineResult> {
  const collected = await collectAll(loaded, registries, options);
  const identities = enrich(
    collected.flatMap((r) => r.identities),
    inputs.enrich,
  ).sort((a, b) => compareIds(a.id, b.id));
  const controls = activeControls(loaded, registries);
  const evaluation = evaluate(identities, controls, {
    now: options.now,
    waivers: inputs.waivers,
    includeHumans: loaded.config.evaluate.includeHumans,
  });
  return { identities, sources: collected.map((r) => r.completeness), controls, evaluation };
}
