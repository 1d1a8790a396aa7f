import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitError, EXIT } from '../sdk/index.js';
import { isAlive } from '../system-errors.js';

/** Who holds an output folder: one run at a time seals into it, so the chain never forks. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  /** Tells this holder's lock from a later one that took over a stale lock. */
  token: string;
}

export const LOCK_FILE = '.nhi-audit.lock';
/** A takeover that crashed half-way leaves its guard; after this long it no longer counts. */
const TAKEOVER_STALE_MS = 30_000;
const POLL_MS = 200;

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** A lock is stale when its process is gone; only a holder on this host can be checked. */
function isStale(holder: LockHolder | undefined): boolean {
  return holder !== undefined && holder.host === os.hostname() && !isAlive(holder.pid);
}

/** Creates `file` with `content` in one step: it appears whole, or not at all when it exists already. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, content);
  try {
    await link(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** Replaces a stale lock with ours, guarded so that two runs finding it stale at once cannot both take it. */
async function takeOver(file: string, stale: LockHolder, content: string): Promise<boolean> {
  const guard = `${file}.takeover`;
  const guardAge = await stat(guard).then((s) => Date.now() - s.mtimeMs).catch(() => undefined);
  if (guardAge !== undefined && guardAge > TAKEOVER_STALE_MS) await unlink(guard).catch(() => undefined);
  if (!(await createExclusive(guard, String(process.pid)))) return false;
  try {
    const holder = await readHolder(file);
    if (holder?.token !== stale.token) return false;
    await unlink(file);
    return createExclusive(file, content);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function describeHolder(holder: LockHolder | undefined, file: string): string {
  return holder ? `run pid ${holder.pid} on host ${holder.host}, started ${holder.startedAt}` : `an unreadable lock ${file}`;
}

/**
 * Takes the output folder's lock (pid, host, start time) before a run reads the chain and until its pack is in
 * place. Another run holding it makes this one wait up to `waitMs`, then exit 2 naming the holder. A lock whose
 * process is gone (on this host) is stale and taken over.
 */
export async function lockOutput(output: string, options: { waitMs: number; clock?: () => Date }): Promise<{ release(): Promise<void> }> {
  await mkdir(output, { recursive: true });
  const file = path.join(output, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: (options.clock ?? (() => new Date()))().toISOString(), token: randomBytes(8).toString('hex') };
  const content = `${JSON.stringify(me)}\n`;
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    if (await createExclusive(file, content)) break;
    const holder = await readHolder(file);
    if (isStale(holder) && (await takeOver(file, holder!, content))) break;
    if (Date.now() >= deadline) {
      throw new ExitError(
        EXIT.usage,
        `${output}: another nhi-audit run is writing packs here (${describeHolder(holder, file)}). ` +
          `Two runs into one folder would fork the chain: wait for it, or pass --wait SECONDS. ` +
          `If that run is gone (another host, a crash), remove ${file}.`,
      );
    }
    await sleep(POLL_MS);
  }
  return {
    async release() {
      if ((await readHolder(file))?.token === me.token) await unlink(file).catch(() => undefined);
    },
  };
}
