import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadInputs, runPipeline } from '../engine/pipeline.js';
import { commandLogger, loadConfigFor, withSystemsOption, registries, resolveAsOf, sourceProgress, type GlobalOptions } from './context.js';
import { emit, resolveOutputs, type ReportOptions } from './output.js';
import { exitCodeFor, toResultSet } from './results.js';

/** Collects and evaluates without writing a pack: the CI and pre-close check. */
export default async function check(options: ReportOptions, globals: GlobalOptions): Promise<number> {
  const targets = await resolveOutputs(options);
  const loaded = withSystemsOption(await loadConfigFor(globals), options.systems);
  const inputs = await loadInputs(loaded, registries);
  const asOf = resolveAsOf(globals);
  // check keeps no evidence: raw pages go to a scratch folder that is removed afterwards.
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'nhi-audit-check-'));
  try {
    const pipeline = await runPipeline(loaded, registries, inputs, { now: asOf, log: commandLogger(globals), env: process.env, rawDir: path.join(scratch, 'raw'), onSource: sourceProgress() });
    const results = toResultSet(pipeline, loaded, asOf);
    await emit(results, targets, { ...(options.onlyFailed ? { onlyFailed: true } : {}), config: loaded.file });
    return exitCodeFor(results, options.failOn);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
