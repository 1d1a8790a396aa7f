import { execFile } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
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
