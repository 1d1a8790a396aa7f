import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEMI_SPACE_MB } from '../../src/heap.js';
import { ROOT, tempDir } from './cli.js';

/**
 * A collecting command runs again in a child started with a larger young generation (src/heap.ts). The script here
 * does what the CLI does at its start, then reports and exits, or waits to be stopped.
 */
const SCRIPT = `
import { endWithParent, withLargerYoungGeneration } from ${JSON.stringify(path.join(ROOT, 'dist/src/heap.js'))};
const code = await withLargerYoungGeneration();
if (code !== undefined) process.exit(code);
endWithParent();
process.stdout.write(JSON.stringify({ pid: process.pid, ppid: process.ppid, execArgv: process.execArgv }) + '\\n');
if (process.argv[2] === 'exit') process.exit(7);
if (process.argv[2] === 'wait') setInterval(() => undefined, 1000);
`;

let script: string;
beforeAll(async () => {
  script = path.join(await tempDir('young'), 'entry.mjs');
  await writeFile(script, SCRIPT);
});
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function start(mode: string, env: Record<string, string> = {}) {
  const parent = spawn(process.execPath, [script, mode], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(parent.stdout.setEncoding('utf8'), 'data')) as [string];
  const report = JSON.parse(line) as { pid: number; ppid: number; execArgv: string[] };
  started.push(report.pid);
  return { parent, report, exited: once(parent, 'exit') as Promise<[number | null, NodeJS.Signals | null]> };
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
  return !alive(pid);
}

describe('a collecting command in a larger young generation', () => {
  it("runs in a child started with the flag, and exits with the child's code", async () => {
    const { parent, report, exited } = await start('exit');
    expect(report.ppid).toBe(parent.pid);
    expect(report.execArgv).toContain(`--max-semi-space-size=${SEMI_SPACE_MB}`);
    expect((await exited)[0]).toBe(7);
  });

  it('runs itself when the user chose a semi-space', async () => {
    const { parent, report, exited } = await start('exit', { NODE_OPTIONS: '--max-semi-space-size=8' });
    expect(report.pid).toBe(parent.pid);
    expect((await exited)[0]).toBe(7);
  });

  it('passes SIGTERM on, and ends by it as the child did', async () => {
    const { parent, report, exited } = await start('wait');
    parent.kill('SIGTERM');
    expect(await exited).toEqual([null, 'SIGTERM']);
    expect(await gone(report.pid)).toBe(true);
  });

  it('leaves no child running when it is killed outright', async () => {
    const { parent, report } = await start('wait');
    parent.kill('SIGKILL');
    expect(await gone(report.pid)).toBe(true);
  });
});
