/**
 * Benchmark: a whole `run` (collect through the real AWS SDK against the sandbox, enrich, evaluate, write,
 * seal) over a generated organization, reporting wall time, CPU time, API calls, files in the pack and peak
 * memory. Run it with `npm run bench -- [accounts] [users per account] [latency ms] [--keep DIR] [--no-key-ids]`;
 * `--keep` leaves the pack and its public key in DIR for scripts/bench-pack.ts; `--no-key-ids` collects with
 * `accessKeyIds: false` (the provider minimum: no ListAccessKeys). docs/benchmarks.md records the figures.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { AwsSandbox, AwsSandboxDataset } from '../connectors/aws-iam/sandbox/index.js';
import { registries } from '../src/commands/context.js';
import { sealRun } from '../src/commands/run.js';
import { validateConfig } from '../src/config.js';
import { loadInputs } from '../src/engine/pipeline.js';
import { cycleOf } from '../src/evidence/cycle.js';
import { generateSigningKey, publicKeyPem } from '../src/evidence/keys.js';
import { listPackFiles } from '../src/evidence/seal.js';
import { silentLogger } from '../src/sdk/index.js';

const args = process.argv.slice(2);
const keepAt = args.indexOf('--keep');
const keep = keepAt >= 0 ? args[keepAt + 1] : undefined;
const keyIds = !args.includes('--no-key-ids');
const [accounts = 3, usersPerAccount = 2000, latencyMs = 0] = args.filter((a, i) => /^\d+$/.test(a) && (keepAt < 0 || i !== keepAt + 1)).map(Number);
const now = new Date('2026-11-20T00:00:00Z');
const policy = (actions: string[]) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });

function account(id: string): AwsSandboxDataset['accounts'][string] {
  const users = Array.from({ length: usersPerAccount }, (_, i) => ({
    Path: '/service/',
    UserName: `svc-${i}`,
    UserId: `AIDA${id}${String(i).padStart(9, '0')}`,
    Arn: `arn:aws:iam::${id}:user/service/svc-${i}`,
    CreateDate: '2025-01-01T00:00:00Z',
    GroupList: [`team-${i % 20}`],
    UserPolicyList: [{ PolicyName: 'inline', PolicyDocument: policy(i % 50 === 0 ? ['iam:PassRole', 's3:*'] : ['s3:GetObject']) }],
    Tags: i % 3 === 0 ? [] : [{ Key: 'owner', Value: `team-${i % 20}@example.com` }],
  }));
  const credentials = Object.fromEntries(
    users
      .filter((_, i) => i % 2 === 0)
      .map((u, i) => [
        u.UserName,
        {
          passwordEnabled: false,
          mfaActive: false,
          accessKeys: [{ AccessKeyId: `AKIA${id}${String(i).padStart(8, '0')}`, Status: 'Active' as const, CreateDate: i % 4 === 0 ? '2025-03-01T00:00:00Z' : '2026-10-01T00:00:00Z', LastUsedDate: '2026-11-18T00:00:00Z', LastUsedService: 's3', LastUsedRegion: 'us-east-1' }],
        },
      ]),
  );
  const groups = Array.from({ length: 20 }, (_, g) => ({
    Path: '/',
    GroupName: `team-${g}`,
    GroupId: `AGPA${id}${String(g).padStart(9, '0')}`,
    Arn: `arn:aws:iam::${id}:group/team-${g}`,
    CreateDate: '2024-01-01T00:00:00Z',
    GroupPolicyList: [{ PolicyName: 'team', PolicyDocument: policy(['sqs:SendMessage', 'dynamodb:GetItem']) }],
    AttachedManagedPolicies: [],
  }));
  const roles = Array.from({ length: Math.ceil(usersPerAccount / 4) }, (_, r) => ({
    Path: '/',
    RoleName: `role-${r}`,
    RoleId: `AROA${id}${String(r).padStart(9, '0')}`,
    Arn: `arn:aws:iam::${id}:role/role-${r}`,
    CreateDate: '2024-06-01T00:00:00Z',
    AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
    RolePolicyList: [{ PolicyName: 'fn', PolicyDocument: policy(['logs:PutLogEvents', 's3:GetObject']) }],
    AttachedManagedPolicies: [],
    RoleLastUsed: { LastUsedDate: '2026-11-10T00:00:00Z', Region: 'us-east-1' },
  }));
  return {
    authorizationDetails: { UserDetailList: users, GroupDetailList: groups, RoleDetailList: roles, Policies: [] },
    credentials,
    auditRole: { roleName: 'NhiAuditReadOnly' },
  } as AwsSandboxDataset['accounts'][string];
}

const ids = Array.from({ length: accounts }, (_, i) => String(100000000000 + i * 111111111));
const dataset = {
  baseCredentials: { accessKeyId: `AKIA${ids[0]!.padStart(16, '0')}`, accountId: ids[0]!, arn: `arn:aws:iam::${ids[0]}:user/collector` },
  organization: {
    managementAccountId: ids[0]!,
    accounts: ids.map((id) => ({ Id: id, Arn: `arn:aws:organizations::${ids[0]}:account/o-bench/${id}`, Email: `${id}@example.com`, Name: id, State: 'ACTIVE', JoinedMethod: 'CREATED', JoinedTimestamp: '2020-01-01T00:00:00Z' })),
  },
  accounts: Object.fromEntries(ids.map((id) => [id, account(id)])),
} as AwsSandboxDataset;

// The sandbox answers from a thread of its own (scripts/bench-sandbox.ts), so the figures are the collector's.
const entry = new URL('./bench-sandbox.ts', import.meta.url).href;
const worker = new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, {
  eval: true,
  workerData: { dataset, now: now.toISOString(), latencyMs },
});
const [sandbox] = (await once(worker, 'message')) as [Pick<AwsSandbox, 'url' | 'baseCredentials'>];
/** Stops the sandbox: how many calls it answered and how long its thread was busy. */
async function stopSandbox(): Promise<{ calls: number; busySeconds: number }> {
  worker.postMessage('close');
  const [stats] = (await once(worker, 'message')) as [{ calls: number; busySeconds: number }];
  await worker.terminate();
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
  const { config, problems } = validateConfig(raw, registries);
  if (!config) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  const loaded = { file: 'bench', text: `${JSON.stringify(raw, null, 2)}\n`, baseDir: output, config };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const sealed = await sealRun(loaded, await loadInputs(loaded, registries), key, {
    asOf: now,
    cycle: cycleOf(now),
    output,
    log: silentLogger,
    env: { BENCH_KEY: sandbox.baseCredentials.accessKeyId, BENCH_SECRET: sandbox.baseCredentials.secretAccessKey },
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const packFiles = (await listPackFiles(sealed.dir)).length;
  if (keep) {
    await writeFile(path.join(output, 'bench.pub.pem'), publicKeyPem(key));
    console.error(`pack kept: ${sealed.dir}`);
  }
  const identities = sealed.results.identities.length;
  stopped = await stopSandbox();
  console.log(
    JSON.stringify({
      accounts,
      usersPerAccount,
      latencyMs,
      accessKeyIds: keyIds,
      identities,
      findings: sealed.results.findings.length,
      apiCalls: stopped.calls,
      verdict: sealed.results.sources[0]!.verdict,
      packFiles,
      seconds: Number(seconds.toFixed(2)),
      cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      sandboxBusySeconds: Number(stopped.busySeconds.toFixed(2)),
      identitiesPerSecond: Math.round(identities / seconds),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
} finally {
  if (!stopped) await stopSandbox();
  if (!keep) await rm(output, { recursive: true, force: true });
}
