import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identitiesOffThread, identityBrief, LIST_AHEAD, LIST_BATCH, type FindingBrief } from '../../src/evidence/pack-list-thread.js';
import { packFindingBriefs, packIdentityBatches, readIdentitiesDigested, readJsonItems } from '../../src/evidence/read-pack.js';
import { ConfigError, IdentitySchema, type Finding, type Identity } from '../../src/sdk/index.js';
import { stableJsonChunks, stableStringify } from '../../src/stable-json.js';
import { aCredential, anIdentity } from '../helpers/identity-builder.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'nhi-briefs-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const statuses = ['pass', 'fail', 'excepted', 'not-applicable'] as const;
const finding = (i: number): Finding => ({
  controlId: `control-${i % 3}`,
  identityId: `aws-iam:1:user/u-${String(i).padStart(6, '0')}`,
  ...(i % 4 === 0 ? { credentialId: `AKIA${i}` } : {}),
  status: statuses[i % 4]!,
  severity: 'high',
  message: `message "${i}" \\ with an escape`,
  evidence: { i, nested: { list: [i, 'x'] } },
});
const briefOf = ({ controlId, identityId, credentialId, status, message }: Finding): FindingBrief => ({
  controlId,
  identityId,
  ...(credentialId !== undefined ? { credentialId } : {}),
  status,
  message,
});

async function pack(name: string, text: string | Iterable<string>, file = 'findings.json'): Promise<string> {
  const dir = path.join(root, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, file), typeof text === 'string' ? text : [...text].join(''));
  return dir;
}

async function walked(dir: string): Promise<{ briefs: FindingBrief[]; batches: number }> {
  const briefs: FindingBrief[] = [];
  let batches = 0;
  for await (const batch of packFindingBriefs(dir, 0)) {
    batches++;
    briefs.push(...batch);
  }
  return { briefs, batches };
}

describe('packFindingBriefs: a pack\'s findings read on a thread of their own', () => {
  const findings = Array.from({ length: LIST_BATCH * (LIST_AHEAD + 2) + 7 }, (_, i) => finding(i));
  const around = { asOf: '2026-11-20T00:00:00.000Z', cycle: '2026-Q4' };

  it.each([
    ['the one-line layout runs write', 'line' as const],
    ['the indented layout', undefined],
  ])('gives every finding\'s brief, in file order and in batches, from %s', async (_name, layout) => {
    const dir = await pack(`layout-${layout ?? 'indented'}`, stableJsonChunks(around, 'findings', findings, layout));
    const { briefs, batches } = await walked(dir);
    expect(briefs).toEqual(findings.map(briefOf));
    expect(batches).toBe(Math.ceil(findings.length / LIST_BATCH));
  });

  it('reads a file laid out otherwise with the streaming tokenizer', async () => {
    const few = findings.slice(0, 40);
    const dir = await pack('compact', stableStringify({ ...around, findings: few }));
    expect((await walked(dir)).briefs).toEqual(few.map(briefOf));
  });

  it('ends in an error naming the file and the item when a finding is invalid', async () => {
    const broken = findings.slice(0, 30).map((f, i) => (i === 17 ? { ...f, status: 'open' } : f));
    const dir = await pack('invalid', stableJsonChunks(around, 'findings', broken, 'line'));
    const error = await walked(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(path.join(dir, 'findings.json'));
    expect((error as ConfigError).problems[0]!.path).toBe('findings[17].status');
  });

  it('refuses a file laid out as packs write it only for its first items, as what was handed on cannot be taken back', async () => {
    const text = [...stableJsonChunks(around, 'findings', findings, 'line')].join('');
    const cut = text.indexOf('\n', Math.floor(text.length * 0.6));
    const dir = await pack('relaid', `${text.slice(0, cut)}\n      ${text.slice(cut + 1)}`);
    const error = await walked(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/not laid out as packs write it past this item/);
  });

  it('stops its thread when the walk is left early, however far ahead it was', async () => {
    const dir = await pack('early', stableJsonChunks(around, 'findings', findings, 'line'));
    for await (const batch of packFindingBriefs(dir, 0)) {
      expect(batch[0]).toEqual(briefOf(findings[0]!));
      // Long enough for the thread to fill every batch it may send ahead, and wait.
      await new Promise((resolve) => setTimeout(resolve, 200));
      break;
    }
    // Walking again starts from the first finding.
    expect((await walked(dir)).briefs.length).toBe(findings.length);
  });

  it('says when the file cannot be read', async () => {
    const error = await walked(path.join(root, 'no-such-pack')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/no-such-pack/);
  });
});

describe('identitiesOffThread: a pack\'s identities read and validated on a thread of their own', () => {
  const identities = Array.from({ length: LIST_BATCH * 2 + 3 }, (_, i) =>
    anIdentity({ name: `svc-${String(i).padStart(5, '0')}`, ...(i % 3 === 0 ? { credentials: [aCredential({ id: `AKIA${i}` })] } : {}), tags: { note: `"quoted" \\ ${i}` } }),
  );
  const write = (name: string, list: unknown[]) => pack(name, stableJsonChunks({ asOf: '2026-11-20T00:00:00.000Z' }, 'identities', list), 'inventory.json');

  it('gives what reading them on this thread gives', async () => {
    const dir = await write('identities', identities);
    const offThread = await identitiesOffThread(dir);
    expect(offThread).toEqual(await readJsonItems(dir, 'inventory.json', 'identities', IdentitySchema));
    expect(offThread).toEqual(identities);
    // As read: with their keys in the order the pack sealed them (canonical), not the schema's.
    const keys = (value: unknown): string[] => (value && typeof value === 'object' ? Object.entries(value).flatMap(([key, child]) => [key, ...keys(child)]) : []);
    expect(keys(offThread)).toEqual(keys(JSON.parse(stableStringify(identities))));
    expect(keys(offThread)).not.toEqual(keys(identities));
  });

  it('gives their briefs, as a diff reads them, when asked for those', async () => {
    const dir = await write('identity-briefs', identities);
    const briefs = await identitiesOffThread(dir, 'identity-briefs');
    expect(briefs).toEqual(identities.map(identityBrief));
    expect(briefs.filter((b) => b.credentials.length > 0)).toHaveLength(Math.ceil(identities.length / 3));
  });

  it('gives the digest of their list as canonical JSON, taken as they come, on a thread or here', async () => {
    const dir = await write('identities-digested', identities);
    const expected = createHash('sha256').update(stableStringify(identities)).digest('hex');
    for (const from of [0, Number.MAX_SAFE_INTEGER]) {
      const read = await readIdentitiesDigested({ dir }, from);
      expect(read.identities).toEqual(identities);
      expect(read.digest).toBe(expected);
    }
  });

  it('gives them in batches, on a thread however far it may read ahead, or here', async () => {
    const dir = await write('identity-batches', identities);
    for (const [from, ahead] of [[0, 1], [0, 1000], [Number.MAX_SAFE_INTEGER, undefined]] as const) {
      const batches: Identity[][] = [];
      for await (const batch of packIdentityBatches(dir, from, ahead)) batches.push(batch);
      expect(batches.map((b) => b.length), `from ${from}`).toEqual([LIST_BATCH, LIST_BATCH, 3]);
      expect(batches.flat()).toEqual(identities);
    }
  });

  it('names the file and the field of an invalid identity', async () => {
    const dir = await write('invalid-identity', identities.map((identity, i) => (i === LIST_BATCH + 1 ? { ...identity, status: 'sleeping' } : identity)));
    for (const view of ['identities', 'identity-briefs'] as const) {
      const error = await (view === 'identities' ? identitiesOffThread(dir) : identitiesOffThread(dir, view)).catch((e: unknown) => e);
      expect(error, view).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).file).toBe(path.join(dir, 'inventory.json'));
      // In the second batch: the first was sent before the invalid one was found.
      expect((error as ConfigError).problems[0]!.path).toBe(`identities[${LIST_BATCH + 1}].status`);
    }
  });
});

