import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** scripts/calibrate.mjs's figure, in milliseconds: how fast the machine is now (best of three, its own process). */
export function calibrationMs(): number {
  const run = spawnSync(process.execPath, [fileURLToPath(new URL('./calibrate.mjs', import.meta.url))], { encoding: 'utf8' });
  const ms = Number(run.stdout.trim());
  if (run.status !== 0 || !Number.isFinite(ms)) throw new Error(`scripts/calibrate.mjs failed: ${run.stderr.trim()}`);
  return ms;
}
