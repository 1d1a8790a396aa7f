import { execFile } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'dist/src/cli.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would: a separate process, its own working folder and environment. */
export function cli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', HOME: options.cwd, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `nhi-e2e-${prefix}-`));
}

/** The sealed packs under an output folder, as `<cycle>/<run-id>` paths. */
export async function packsIn(output: string): Promise<string[]> {
  const packs: string[] = [];
  for (const cycle of await readdir(output, { withFileTypes: true }).catch(() => [])) {
    if (!cycle.isDirectory()) continue;
    for (const run of await readdir(path.join(output, cycle.name), { withFileTypes: true })) {
      if (run.isDirectory()) packs.push(path.join(output, cycle.name, run.name));
    }
  }
  return packs.sort();
}

/** The sandbox's fake base credentials, as the AWS sandbox hands them out. */
interface SandboxCredentials {
  url: string;
  baseCredentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * A working folder with a signing key and a config whose one source is the aws-iam connector pointed at a
 * sandbox over the demo organization's AWS data; `extra` is appended to the config.
 */
export async function awsWorkspace(sandbox: SandboxCredentials, extra = ''): Promise<{ cwd: string; env: Record<string, string> }> {
  const cwd = await tempDir('aws');
  const keys = await cli(['keys', 'generate', '--out', 'keys'], { cwd });
  if (keys.code !== 0) throw new Error(`keys generate failed: ${keys.stderr}`);
  await writeFile(
    path.join(cwd, 'nhi-audit.yaml'),
    [
      'output: ./evidence',
      'sources:',
      '  - name: aws',
      '    connector: aws-iam',
      `    endpoint: ${sandbox.url}`,
      '    credentials: { accessKeyIdEnv: AUDIT_AWS_KEY_ID, secretAccessKeyEnv: AUDIT_AWS_SECRET }',
      '    organizations: { discover: true }',
      '    assumeRole: { roleName: NhiAuditReadOnly, externalIdEnv: AUDIT_EXTERNAL_ID }',
      '    minIntervalMs: 0',
      '    credentialReport: { pollIntervalMs: 1 }',
      'signing: { privateKeyFile: keys/nhi-audit.key }',
      extra,
    ].join('\n'),
  );
  const env = {
    AUDIT_AWS_KEY_ID: sandbox.baseCredentials.accessKeyId,
    AUDIT_AWS_SECRET: sandbox.baseCredentials.secretAccessKey,
    AUDIT_EXTERNAL_ID: 'corvid-nhi-audit-7f3c',
  };
  return { cwd, env };
}
