import { writeFile } from 'node:fs/promises';
import { loadInputs } from '../engine/pipeline.js';
import { makePlan, planUnits } from '../engine/shard.js';
import { describeOperator } from '../evidence/operator.js';
import { signPlan } from '../evidence/plan.js';
import { sha256 } from '../evidence/seal.js';
import { ExitError, EXIT } from '../sdk/index.js';
import { toolVersion } from '../paths.js';
import { commandLogger, loadConfigFor, loadRegistries, resolveAsOf, signingKeyFor, type GlobalOptions } from './context.js';
import { TOOL } from './results.js';
import { resolveCycle } from './run.js';

/** Freezes every source's scopes into a signed plan for `collect --plan --shard i/N`. */
export default async function plan(options: { out: string; cycle?: string }, globals: GlobalOptions): Promise<number> {
  const registries = await loadRegistries();
  const loaded = await loadConfigFor(globals);
  // The exports a source names are checked now, not in a shard hours later.
  await loadInputs(loaded, registries);
  const key = await signingKeyFor(loaded, process.env);
  const asOf = resolveAsOf(globals);
  const cycle = resolveCycle(options.cycle, asOf, loaded, (line) => process.stderr.write(`${line}\n`));
  const frozen = await makePlan(loaded, registries, {
    asOf,
    cycle,
    createdAt: new Date(),
    operator: describeOperator(process.env),
    log: commandLogger(globals),
    env: process.env,
    key,
    tool: { name: TOOL.name, version: toolVersion() },
  });
  const text = signPlan(frozen, key);
  await writeFile(options.out, text, { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    throw new ExitError(
      EXIT.usage,
      error.code === 'EEXIST' ? `--out: ${options.out} already exists; a plan is frozen once written (remove it or name another file)` : `--out: cannot write ${options.out} (${error.code ?? error.message})`,
    );
  });
  const units = planUnits(frozen).length;
  const lines = frozen.sources.map((s) => `  ${s.source.padEnd(12)} ${s.scopes === null ? 'whole (one unit)' : `${s.scopes.length} scope${s.scopes.length === 1 ? '' : 's'}`}`);
  process.stderr.write(`Plan ${options.out}: ${units} unit${units === 1 ? '' : 's'} for cycle ${cycle.id} as of ${frozen.asOf} (sha256 ${sha256(text).slice(0, 16)}…)\n${lines.join('\n')}\n`);
  return EXIT.ok;
}
