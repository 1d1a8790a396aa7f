/**
 * Benchmark of the commands that read a sealed pack, each run as the built CLI in its own process:
 * `npx tsx scripts/bench-pack.ts <pack> <public key>` after `npm run build` and `npm run bench -- … --keep DIR`.
 * Prints wall time, CPU time and peak RSS per command (GNU time measures the child), and the machine's speed before
 * and after them (`calibrationMs`, scripts/calibrate.mjs). docs/benchmarks.md records them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { calibrationMs } from './calibration.js';

const [pack, publicKey] = process.argv.slice(2);
if (!pack || !publicKey) {
  console.error('usage: tsx scripts/bench-pack.ts <pack> <public key>');
  process.exit(2);
}
const cli = path.resolve(import.meta.dirname, '../dist/src/cli.js');
const scratch = await mkdtemp(path.join(os.tmpdir(), 'nhi-bench-pack-'));
const commands: Record<string, string[]> = {
  verify: ['verify', pack, '--public-key', publicKey],
  reperform: ['reperform', pack, '--public-key', publicKey],
  diff: ['diff', pack, pack, '--public-key', publicKey, '--format', 'json'],
  sample: ['sample', pack, '--public-key', publicKey, '--seed', 'bench', '--no-seal'],
  report: ['report', pack, '--public-key', publicKey, '--out', path.join(scratch, 'report')],
  'collect --from-raw': ['collect', '--from-raw', pack, '--public-key', publicKey, '--output', path.join(scratch, 'inventory.json')],
};
try {
  // The machine's speed beside the commands', before and after them (scripts/calibrate.mjs).
  console.log(JSON.stringify({ calibrationMs: calibrationMs() }));
  for (const [name, args] of Object.entries(commands)) {
    const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const measured = run.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    const [wall, user, system, rssKiB] = measured as [number, number, number, number];
    console.log(JSON.stringify({ command: name, exit: run.status, seconds: wall, cpuSeconds: Number((user + system).toFixed(2)), peakRssMiB: Math.round(rssKiB / 1024) }));
  }
  console.log(JSON.stringify({ calibrationMs: calibrationMs() }));
} finally {
  await rm(scratch, { recursive: true, force: true });
}
