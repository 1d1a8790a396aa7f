import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from '../config.js';
import type { SourceResult } from '../engine/collect.js';
import { loadInputs, runPipeline, type RunInputs } from '../engine/pipeline.js';
import { cycleOf, parseCycle, type Cycle } from '../evidence/cycle.js';
import type { SigningKey } from '../evidence/keys.js';
import { describeOperator } from '../evidence/operator.js';
import { diffPacks, type PackSide } from '../evidence/diff.js';
import { discardStaging, findPreviousPack, newRunId, writePack, type PreviousPack, type RunRecord } from '../evidence/pack.js';
import { readPack } from '../evidence/read-pack.js';
import { loadReportText, reportChanges, reportModel } from '../evidence/report.js';
import { toolCommit as commitOf } from '../paths.js';
import { renderReportPdf } from '../writers/pdf.js';
import { ExitError, EXIT, type Logger } from '../sdk/index.js';
import { packWriters } from '../writers/index.js';
import type { ResultSet } from '../writers/types.js';
import { commandLogger, loadConfigFor, registries, resolveAsOf, signingKeyFor, sourceProgress, type GlobalOptions } from './context.js';
import { emit, resolveOutputs, type ReportOptions } from './output.js';
import { exitCodeFor, toResultSet } from './results.js';

export interface RunSettings {
  asOf: Date;
  cycle: Cycle;
  output: string;
  log: Logger;
  env: Readonly<Record<string, string | undefined>>;
  clock?: () => Date;
  onSource?: (result: SourceResult) => void;
}

export interface SealedRun {
  dir: string;
  results: ResultSet;
  attestationDigest: string;
}

export function resolveCycle(cycleId: string | undefined, asOf: Date, loaded: LoadedConfig): Cycle {
  const fiscalStart = loaded.config.fiscalYearStartMonth;
  if (!cycleId) return cycleOf(asOf, fiscalStart);
  const cycle = parseCycle(cycleId, fiscalStart);
  if (!cycle) throw new ExitError(EXIT.usage, `--cycle: "${cycleId}" is not a cycle such as 2026-Q4 or FY2027-Q1`);
  return cycle;
}

/** The previous pack's changes for the report; a previous pack that cannot be read is noted, not fatal. */
async function changesSince(output: string, previous: PreviousPack | undefined, current: PackSide, log: Logger) {
  if (!previous) return undefined;
  try {
    const old = await readPack(path.join(output, previous.path));
    const side = { runId: old.manifest.runId, cycle: old.manifest.cycle.id, asOf: old.manifest.asOf, identities: old.identities, findings: old.findings };
    return reportChanges(diffPacks(side, current));
  } catch (error) {
    log.warn({ previous: previous.path, err: (error as Error).message }, 'cannot read the previous pack; the report shows no changes');
    return undefined;
  }
}

/** Collect, enrich, evaluate, render, write and seal one pack. Shared by `run` and `demo`. */
export async function sealRun(loaded: LoadedConfig, inputs: RunInputs, key: SigningKey, settings: RunSettings): Promise<SealedRun> {
  const clock = settings.clock ?? (() => new Date());
  const startedAt = clock();
  const runId = newRunId(startedAt);
  const cycleDir = path.join(settings.output, settings.cycle.id);
  const staging = path.join(cycleDir, `.${runId}.partial`);
  const previous = await findPreviousPack(settings.output);
  const text = await loadReportText();
  await mkdir(staging, { recursive: true });
  try {
    const pipeline = await runPipeline(loaded, registries, inputs, {
      now: settings.asOf,
      log: settings.log,
      env: settings.env,
      rawDir: path.join(staging, 'raw'),
      clock,
      ...(settings.onSource ? { onSource: settings.onSource } : {}),
    });
    const results = toResultSet(pipeline, loaded, settings.asOf, settings.cycle.id);
    const toolCommit = commitOf();
    const record: RunRecord = {
      runId,
      cycle: settings.cycle,
      asOf: settings.asOf.toISOString(),
      startedAt: startedAt.toISOString(),
      finishedAt: clock().toISOString(),
      operator: describeOperator(settings.env),
      retentionYears: loaded.config.retentionYears,
      ...(toolCommit ? { toolCommit } : {}),
      ...(loaded.config.timestamp ? { tsaUrl: loaded.config.timestamp.tsaUrl } : {}),
      ...(loaded.plugins ? { plugins: loaded.plugins.map((p) => p.package) } : {}),
    };
    const changes = await changesSince(settings.output, previous, { runId, cycle: settings.cycle.id, asOf: record.asOf, identities: results.identities, findings: results.findings }, settings.log);
    const rendered: Record<string, string | Buffer> = Object.fromEntries(packWriters.map((writer) => [writer.fileName, writer.render(results, { pack: '.' })]));
    rendered['report.pdf'] = await renderReportPdf(reportModel(results, pipeline.evaluation, record, key.keyId, text, changes ? { changes } : {}));
    const { dir, attestationDigest } = await writePack(
      staging,
      path.join(cycleDir, runId),
      { results, evaluation: pipeline.evaluation, config: loaded.config, waivers: inputs.waivers, rendered },
      record,
      key,
      previous,
      settings.log,
    );
    return { dir, results, attestationDigest };
  } catch (error) {
    await discardStaging(staging);
    throw error;
  }
}

export default async function run(options: ReportOptions & { cycle?: string }, globals: GlobalOptions): Promise<number> {
  const targets = await resolveOutputs(options);
  const loaded = await loadConfigFor(globals);
  const inputs = await loadInputs(loaded, registries);
  const key = await signingKeyFor(loaded, process.env);
  const asOf = resolveAsOf(globals);
  const cycle = resolveCycle(options.cycle, asOf, loaded);
  const log = commandLogger(globals);
  const sealed = await sealRun(loaded, inputs, key, {
    asOf,
    cycle,
    output: path.resolve(loaded.baseDir, loaded.config.output),
    log,
    env: process.env,
    onSource: sourceProgress(),
  });
  await emit(sealed.results, targets, { ...(options.onlyFailed ? { onlyFailed: true } : {}), pack: sealed.dir, config: loaded.file });
  process.stderr.write(`Evidence pack: ${sealed.dir}\n`);
  return exitCodeFor(sealed.results, options.failOn);
}
