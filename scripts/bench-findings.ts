/**
 * Benchmark: a run's findings phase alone (evaluate every control, write findings.json and findings.csv) over the
 * inventory of a kept pack, on one thread and with the evaluation thread (the run's share), back to back. `npx tsx
 * scripts/bench-findings.ts <pack> [rounds]`. The other phases of a run are measured by scripts/bench.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { evaluationPieces, RUN_ONE_IN } from '../src/commands/evaluation-thread.js';
import { resultBase } from '../src/commands/results.js';
import { controls } from '../src/controls/index.js';
import { evaluationStream } from '../src/engine/evaluate.js';
import { activeControls } from '../src/engine/pipeline.js';
import { writeFindingsFiles } from '../src/evidence/findings-files.js';
import { openPack, readJsonItems } from '../src/evidence/read-pack.js';
import { readPublicKey } from '../src/evidence/keys.js';
import { boundHeapGrowth } from '../src/heap.js';
import { IdentitySchema, type Identity } from '../src/sdk/index.js';
import type { Config } from '../src/config.js';

boundHeapGrowth();
const [packDir, keyFile, rounds = '2'] = process.argv.slice(2);
if (!packDir || !keyFile) throw new Error('usage: bench-findings.ts <pack> <public key> [rounds]');
const pack = await openPack(packDir, [await readPublicKey(keyFile)], []);
const config = pack.config as unknown as Config;
const identities: Identity[] = await readJsonItems(pack.dir, 'inventory.json', 'identities', IdentitySchema);
const active = activeControls({ config }, { controls });
const base = resultBase({ identities, sources: pack.manifest.sources ?? [], controls: active, enrichment: [], redactions: [] } as never, { config } as never, new Date(pack.manifest.asOf));
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
for (let round = 0; round < Number(rounds); round++) {
  for (const threads of [1, 2]) {
    const staging = await mkdtemp(path.join(os.tmpdir(), 'nhi-bench-findings-'));
    const evaluation = evaluationStream(identities, active, { now: new Date(pack.manifest.asOf), waivers: [], includeHumans: config.evaluate.includeHumans });
    peak = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    const written = await writeFindingsFiles(staging, base, evaluation, (separator) =>
      threads === 1 ? [evaluation.findings] : evaluationPieces(evaluation, { csv: { controls: base.controls, sources: base.sources }, separator, oneIn: RUN_ONE_IN }),
    );
    const used = process.cpuUsage(cpu);
    console.log(
      JSON.stringify({ threads, seconds: +((performance.now() - started) / 1000).toFixed(2), cpuSeconds: +((used.user + used.system) / 1e6).toFixed(1), peakRssMiB: Math.round(peak / 1048576), findings: written.results.summary?.counts, json: written.digests[0]!.sha256.slice(0, 16) }),
    );
    await rm(staging, { recursive: true, force: true });
  }
}
clearInterval(sampler);
