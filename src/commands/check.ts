import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadInputs, runPipeline } from '../engine/pipeline.js';
import { driftSince } from '../evidence/drift.js';
import type { PackData } from '../evidence/read-pack.js';
import { commandLogger, loadConfigFor, openPackArgument, loadRegistries, resolveAsOf, sourceProgress, trustedKeys, withSystemsOption, type GlobalOptions } from './context.js';
import { notify, parseNotify } from './notify.js';
import { emit, resolveOutputs, type ReportOptions } from './output.js';
import { exitCodeFor, toResultSet } from './results.js';
import { spillAtFrom } from '../engine/population.js';

export interface CheckOptions extends ReportOptions {
  /** A sealed pack to report drift against. */
  baseline?: string;
  publicKey?: string[];
  notify?: string[];
}

/** Collects and evaluates without writing a pack: the CI and pre-close check, and with --baseline the watch between cycles. */
export default async function check(options: CheckOptions, globals: GlobalOptions): Promise<number> {
  const registries = await loadRegistries();
  const targets = await resolveOutputs(options);
  const notifyTargets = parseNotify(options.notify ?? []);
  const loaded = withSystemsOption(await loadConfigFor(globals), options.systems);
  const inputs = await loadInputs(loaded, registries);
  const baseline: PackData | undefined = options.baseline ? await openPackArgument(options.baseline, await trustedKeys(options.publicKey ?? [], loaded)) : undefined;
  if (notifyTargets.length > 0 && !baseline) process.stderr.write('note: --notify sends drift, which needs --baseline PACK; nothing will be sent\n');
  const asOf = resolveAsOf(globals);
  // check keeps no evidence: raw pages go to a scratch folder that is removed afterwards.
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'nhi-audit-check-'));
  try {
    const pipeline = await runPipeline(loaded, registries, inputs, { now: asOf, log: commandLogger(globals), env: process.env, rawDir: path.join(scratch, 'raw'), onSource: sourceProgress(), spillAt: spillAtFrom(process.env) });
    const evaluated = toResultSet(pipeline, loaded, asOf);
    const results = baseline
      ? {
          ...evaluated,
          drift: driftSince(
            { runId: baseline.manifest.runId, cycle: baseline.manifest.cycle.id, asOf: baseline.manifest.asOf, identities: baseline.identities, findings: baseline.findings },
            { asOf: evaluated.asOf, identities: evaluated.identities, findings: evaluated.findings },
          ),
        }
      : evaluated;
    await emit(results, targets, { ...(options.onlyFailed ? { onlyFailed: true } : {}), config: loaded.file });
    if (results.drift) await notify(notifyTargets, results.drift, loaded.config.organization, process.env);
    return exitCodeFor(results, options.failOn);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
