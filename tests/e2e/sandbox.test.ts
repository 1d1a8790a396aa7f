import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, tempDir } from './cli.js';

/** Reads the sourceable `NAME='value'` lines `nhi-audit sandbox` writes. */
function parseShellEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/^([A-Z_][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/gms)) env[match[1]!] = match[2]!.replaceAll(`'\\''`, "'");
  return env;
}

describe('nhi-audit sandbox', () => {
  let cwd: string;
  let child: ReturnType<typeof spawn>;
  let stdout = '';

  beforeAll(async () => {
    cwd = await tempDir('sandbox');
    child = spawn(process.execPath, [CLI, 'sandbox', '--fault', 'github:*:throttle:1'], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd } });
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${stdout}`)), 20_000);
      child.stdout!.on('data', () => stdout.includes('Stop with Ctrl-C') && (clearTimeout(timer), resolve()));
      child.once('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
    });
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });

  it('prints each connector endpoint on 127.0.0.1 and the fault in force', () => {
    expect(stdout).toMatch(/aws-iam\s+endpoint http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/gcp-iam\s+rootUrl http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/github\s+baseUrl http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/gitlab\s+host http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/snowflake\s+baseUrl http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/file\s+directory \/.*fixtures\/demo-org\/file/);
    expect(stdout).toContain('fault: github * throttle ×1 per request');
  });

  it('writes a config that points at them and a private credentials file, with which check reads every source', async () => {
    const envText = await readFile(path.join(cwd, '.sandbox.env'), 'utf8');
    expect((await stat(path.join(cwd, '.sandbox.env'))).mode & 0o077).toBe(0);
    const env = parseShellEnv(envText);
    expect(Object.keys(env)).toContain('NHI_DEMO_AWS_ACCESS_KEY_ID');
    const result = await cli(['-c', 'nhi-audit.sandbox.yaml', '--as-of', '2026-11-20', 'check', '--format', 'json', '--fail-on', 'critical'], { cwd, env });
    expect(result.stderr).not.toMatch(/internal error/);
    const output = JSON.parse(result.stdout);
    expect(Object.keys(output.summary.sources).sort()).toEqual(['aws', 'entra', 'gcp', 'github', 'gitlab', 'sap', 'snowflake']);
    expect(Object.values(output.summary.sources)).not.toContain('incomplete');
    expect(new Set(output.findings.map((f: { identityId: string }) => f.identityId)).size).toBeGreaterThan(60);
  }, 60_000);

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('--fault', () => {
  it('refuses a malformed fault before starting anything, naming the format', async () => {
    const cwd = await tempDir('fault-usage');
    const result = await cli(['demo', '--fault', 'github:throttle'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('connector:operation:kind[:times]');
    const unknown = await cli(['demo', '--fault', 'bitbucket:*:throttle'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no source uses connector bitbucket');
  });
});
