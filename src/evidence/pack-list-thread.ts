import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { ConfigError, type Finding, type Grant, type Identity, type Problem } from '../sdk/index.js';
import { startThread, THREAD_YOUNG_GENERATION_MB, threadMessages } from './thread.js';

/** What a diff reads of a finding: its place, its status and its message, without its evidence. */
export type FindingBrief = Pick<Finding, 'controlId' | 'identityId' | 'credentialId' | 'status' | 'message'>;

/**
 * What a diff reads of an identity: what names it, its privilege's level and flags, each grant as one line and each
 * credential's id. A fraction of the identity, so a baseline's population can be held while a run holds its own.
 */
export interface IdentityBrief {
  id: string;
  kind: string;
  name: string;
  privilege: { level: string; flags: string[]; grants: string[] };
  credentials: string[];
}

/** A grant as a diff names it: how it is held, what it is and the level it grants. */
export const grantLine = (g: Grant): string => `${g.via} ${g.name}${g.ref ? ` (${g.ref})` : ''}: ${g.level}`;

export const identityBrief = (i: Identity): IdentityBrief => ({
  id: i.id,
  kind: i.kind,
  name: i.name,
  privilege: { level: i.privilege.level, flags: i.privilege.flags, grants: i.privilege.grants.map(grantLine) },
  credentials: i.credentials.map((c) => c.id),
});

/** A pack's list a thread reads: its identities (validated) or their briefs, or its findings' briefs. */
export type ListView = 'identities' | 'identity-briefs' | 'finding-briefs';

export interface ListWorkerData {
  dir: string;
  list: ListView;
  /** Two counters the threads share: the batches the reader took, and whether it stopped reading. */
  shared: SharedArrayBuffer;
  /** Batches the thread may be ahead of the reader. */
  ahead: number;
}
export const TAKEN = 0;
export const STOPPED = 1;

/** From the reading thread: a batch (JSON of its items or, for briefs, [control, identity, credential, status, message] rows), the end, or why it stopped. */
export type ListMessage = { batch: string } | { end: true } | { error: { file: string; problems: Problem[] } | { message: string } };

/**
 * Items a batch holds, and batches the reading thread may be ahead of the reader. A batch's text stays under V8's
 * large-object size (128 KiB) for findings' briefs: a larger one is given fresh pages and handed back after each
 * collection, and at 2 000 items the kernel mapped twice the pages for a diff of two 100 000-identity packs.
 */
export const LIST_BATCH = 500;
export const LIST_AHEAD = 8;

/**
 * A file smaller than this is read on the calling thread: starting a thread costs more than it saves. Tests pass
 * 0 to read every file on a thread.
 */
export const OFF_THREAD_BYTES = 8 << 20;

function startWorker(data: ListWorkerData): Worker {
  // The thread holds a few batches and the item it parses, so a small young generation serves it: V8's default
  // grows to about 50 MiB a thread, and a run reading a baseline has three of these at once.
  return startThread(new URL('./pack-list-worker.js', import.meta.url), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } });
}

/** True when the list's file is large enough to be read on a thread of its own. */
export async function worthAThread(dir: string, list: ListView, from = OFF_THREAD_BYTES): Promise<boolean> {
  const info = await stat(path.join(dir, list === 'finding-briefs' ? 'findings.json' : 'inventory.json')).catch(() => undefined);
  return from === 0 || (info !== undefined && info.size >= from);
}

/**
 * A pack's list in file order and in batches, read and validated on a second thread, each batch parsed here in one
 * JSON.parse: parsing and validating a pack's lists is most of opening one, and the validated copies the schema
 * makes outlive the young generation. Each call starts a walk from the first; a walk left early stops its thread.
 */
export async function* listBatches(dir: string, list: ListView, ahead = LIST_AHEAD): AsyncGenerator<unknown[]> {
  const shared = new SharedArrayBuffer(8);
  const counters = new Int32Array(shared);
  const worker = startWorker({ dir, list, shared, ahead });
  const messages = threadMessages<ListMessage>(worker, () => new Error(`reading ${list} of ${dir} stopped before their end`));
  try {
    for (;;) {
      const message = await messages.take();
      if ('end' in message) return;
      if ('error' in message) {
        const { error } = message;
        throw 'file' in error ? new ConfigError(error.file, error.problems) : new Error(error.message);
      }
      const items = JSON.parse(message.batch) as unknown[];
      Atomics.add(counters, TAKEN, 1);
      Atomics.notify(counters, TAKEN);
      yield items;
    }
  } finally {
    Atomics.store(counters, STOPPED, 1);
    Atomics.notify(counters, TAKEN);
    worker.removeAllListeners();
    await worker.terminate();
  }
}

type BriefRow = [controlId: string, identityId: string, credentialId: string | null, status: Finding['status'], message: string];

/** A pack's findings as their briefs, in batches, read on a second thread (listBatches). */
export async function* findingBriefsOffThread(dir: string): AsyncGenerator<FindingBrief[]> {
  for await (const rows of listBatches(dir, 'finding-briefs')) {
    yield (rows as BriefRow[]).map(([controlId, identityId, credentialId, status, message]) =>
      credentialId === null ? { controlId, identityId, status, message } : { controlId, identityId, credentialId, status, message },
    );
  }
}

/** A pack's identities, validated, or their briefs, read on a second thread (listBatches). */
export async function identitiesOffThread(dir: string): Promise<Identity[]>;
export async function identitiesOffThread(dir: string, view: 'identity-briefs'): Promise<IdentityBrief[]>;
export async function identitiesOffThread(dir: string, view: 'identities' | 'identity-briefs' = 'identities'): Promise<unknown[]> {
  const identities: unknown[] = [];
  for await (const batch of listBatches(dir, view)) for (const identity of batch) identities.push(identity);
  return identities;
}
