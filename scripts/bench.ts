/**
 * Benchmark: a whole `run` (collect through the real AWS SDK against the sandbox, enrich, evaluate, write,
 * seal) over a generated organization, reporting wall time, CPU time, API calls, files in the pack and peak
 * memory, with the machine's speed before and after (`calibrationMs`, scripts/calibrate.mjs). Run it with
 * `npm run bench -- [accounts] [users per account] [latency ms] [--keep DIR] [--no-key-ids] [--baseline]`;
 * `--keep` leaves the pack and its public key in DIR for scripts/bench-pack.ts; `--no-key-ids` collects with
 * `accessKeyIds: false` (the provider minimum: no ListAccessKeys); `--baseline` seals a first pack, unmeasured,
 * and measures a second run into the same folder, which works out its changes since the first (every run after a
 * cycle's first does; the API calls counted are both runs'). docs/benchmarks.md records the figures.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsSandbox } from '../connectors/aws-iam/sandbox/index.js';
import { loadRegistries } from '../src/commands/context.js';
import { sealRun } from '../src/commands/run.js';
import { validateConfig } from '../src/config.js';
import { loadInputs } from '../src/engine/pipeline.js';
import { SPILL_AT_VARIABLE } from '../src/engine/population.js';
import { boundHeapGrowth, endWithParent, withLargerYoungGeneration } from '../src/heap.js';
import { cycleOf } from '../src/evidence/cycle.js';
import { generateSigningKey, publicKeyPem } from '../src/evidence/keys.js';
import { listPackFiles } from '../src/evidence/seal.js';
import { silentLogger } from '../src/sdk/index.js';
import { summarize } from '../src/writers/summary.js';
import { calibrationMs } from './calibration.js';

const args = process.argv.slice(2);
const keepAt = args.indexOf('--keep');
const keep = keepAt >= 0 ? args[keepAt + 1] : undefined;
const keyIds = !args.includes('--no-key-ids');
const withBaseline = args.includes('--baseline');
const [accounts = 3, usersPerAccount = 2000, latencyMs = 0] = args.filter((a, i) => /^\d+$/.test(a) && (keepAt < 0 || i !== keepAt + 1)).map(Number);
const now = new Date('2026-11-20T00:00:00Z');
// As the CLI does: the run in process is measured with the young generation and heap growth a user's run gets,
// and without the AWS SDK's notice about its own future Node releases.
const respawned = await withLargerYoungGeneration();
if (respawned !== undefined) process.exit(respawned);
endWithParent();
boundHeapGrowth();
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The machine's speed beside the run's, before and after it (scripts/calibrate.mjs).
const calibrationBefore = calibrationMs();

// The sandbox answers from a process of its own (scripts/bench-sandbox.ts), as a provider is another machine: its
// CPU and memory are not the collector's, and the peak RSS measured is the tool's alone.
const child = fork(fileURLToPath(new URL('./bench-sandbox.ts', import.meta.url)), { execArgv: ['--import', 'tsx'], serialization: 'advanced' });
child.send({ accounts, usersPerAccount, now: now.toISOString(), latencyMs });
const [sandbox] = (await once(child, 'message')) as [Pick<AwsSandbox, 'url' | 'baseCredentials'>];
/** Stops the sandbox: how many calls it answered and how long it was busy. */
async function stopSandbox(): Promise<{ calls: number; busySeconds: number }> {
  child.send('close');
  const [stats] = (await once(child, 'message')) as [{ calls: number; busySeconds: number }];
  return stats;
}
let stopped: { calls: number; busySeconds: number } | undefined;
const output = keep ? path.resolve(keep) : await mkdtemp(path.join(os.tmpdir(), 'nhi-bench-'));
if (keep) await mkdir(output, { recursive: true });
const key = generateSigningKey();
try {
  const raw = {
    sources: [
      {
        name: 'aws',
        connector: 'aws-iam',
        endpoint: sandbox.url,
        credentials: { accessKeyIdEnv: 'BENCH_KEY', secretAccessKeyEnv: 'BENCH_SECRET' },
        organizations: { discover: true },
        minIntervalMs: 0,
        credentialReport: { pollIntervalMs: 1 },
        ...(keyIds ? {} : { accessKeyIds: false }),
      },
    ],
  };
  const registries = await loadRegistries();
  const { config, problems } = validateConfig(raw, registries);
  if (!config) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  const loaded = { file: 'bench', text: `${JSON.stringify(raw, null, 2)}\n`, baseDir: output, config };
  const spillAt = process.env[SPILL_AT_VARIABLE];
  const env = { BENCH_KEY: sandbox.baseCredentials.accessKeyId, BENCH_SECRET: sandbox.baseCredentials.secretAccessKey, ...(spillAt ? { [SPILL_AT_VARIABLE]: spillAt } : {}) };
  const run = async () => sealRun(loaded, await loadInputs(loaded, registries), key, { asOf: now, cycle: cycleOf(now), output, log: silentLogger, env });
  if (withBaseline) {
    const first = performance.now();
    await run();
    console.error(`baseline sealed in ${((performance.now() - first) / 1000).toFixed(1)} s`);
  }
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  // Where the memory goes over the run: the resident set and the live heap, sampled whenever the loop is free.
  // Sampled often enough to find the measured run's own peak: with --baseline, the process's peak RSS (maxRSS)
  // also holds the first run's, which a user's second run, a process of its own, would not.
  const timeline: Array<{ s: number; rssMiB: number; heapMiB: number }> = [];
  const sampler = setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    timeline.push({ s: Math.round((performance.now() - started) / 100) / 10, rssMiB: Math.round(rss / 2 ** 20), heapMiB: Math.round(heapUsed / 2 ** 20) });
  }, 100);
  const sealed = await run();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  console.error(`memory over the run (s, rss MiB, heap MiB): ${timeline.filter((_, i) => i % 20 === 0).map((t) => `${t.s} ${t.rssMiB} ${t.heapMiB}`).join(' | ')}`);
  const peak = timeline.reduce((top, t) => (t.rssMiB > top.rssMiB ? t : top), timeline[0]!);
  console.error(`the measured run's sampled peak: ${peak.rssMiB} MiB at ${peak.s} s, with ${peak.heapMiB} MiB of live heap`);
  const packFiles = (await listPackFiles(sealed.dir)).length;
  if (keep) {
    await writeFile(path.join(output, 'bench.pub.pem'), publicKeyPem(key));
    console.error(`pack kept: ${sealed.dir}`);
  }
  const identities = sealed.results.identities.length;
  stopped = await stopSandbox();
  const calibration = [calibrationBefore, calibrationMs()];
  console.log(
    JSON.stringify({
      accounts,
      usersPerAccount,
      latencyMs,
      accessKeyIds: keyIds,
      baseline: withBaseline,
      identities,
      findings: Object.values(summarize(sealed.results).counts).reduce((sum, n) => sum + n, 0),
      apiCalls: stopped.calls,
      verdict: sealed.results.sources[0]!.verdict,
      packFiles,
      seconds: Number(seconds.toFixed(2)),
      cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      sandboxBusySeconds: Number(stopped.busySeconds.toFixed(2)),
      identitiesPerSecond: Math.round(identities / seconds),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      measuredRunPeakRssMiB: timeline.reduce((peak, t) => Math.max(peak, t.rssMiB), 0),
      calibrationMs: calibration,
    }),
  );
} finally {
  if (!stopped) await stopSandbox();
  if (!keep) await rm(output, { recursive: true, force: true });
}
