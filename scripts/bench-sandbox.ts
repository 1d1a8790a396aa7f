/**
 * The benchmark's AWS sandbox on a thread of its own, as a provider is another machine: its XML, signing checks
 * and report building then no longer take turns with the collector on one thread. Started by scripts/bench.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { startAwsSandbox, type AwsSandboxDataset } from '../connectors/aws-iam/sandbox/index.js';

const { dataset, now, latencyMs } = workerData as { dataset: AwsSandboxDataset; now: string; latencyMs: number };
const sandbox = await startAwsSandbox(dataset, { now: new Date(now), latencyMs, credentialReportPolls: 0 });
parentPort!.postMessage({ url: sandbox.url, baseCredentials: sandbox.baseCredentials });
parentPort!.once('message', async () => {
  const calls = sandbox.calls.length;
  const busySeconds = performance.eventLoopUtilization().active / 1000;
  await sandbox.close();
  parentPort!.postMessage({ calls, busySeconds });
});
