import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { collectSource, sourceVerdict } from '../../src/engine/collect.js';
import { defineConnector, silentLogger, type CollectContext, type Identity } from '../../src/sdk/index.js';
import { anIdentity } from '../helpers/identity-builder.js';

/** A connector written in the test: its collect is the scenario, the engine around it is the subject. */
function scenario(collect: (context: CollectContext) => AsyncIterable<Identity>) {
  return defineConnector({
    id: 'aws-iam',
    title: 'scenario',
    kinds: ['service-account'],
    config: z.object({}).strict(),
    connect: async () => undefined,
    collect: (_client, context) => collect(context),
  });
}

const identity = (name: string) => anIdentity({ name, source: 'src' });

describe('collectSource', () => {
  let rawDir: string;
  beforeEach(async () => {
    rawDir = await mkdtemp(path.join(tmpdir(), 'nhi-collect-'));
  });
  afterEach(() => rm(rawDir, { recursive: true, force: true }));

  const run = (connector: ReturnType<typeof scenario>, settings: Record<string, unknown> = {}) =>
    collectSource(connector, { name: 'src', connector: 'aws-iam', ...settings }, { now: new Date('2026-11-20T00:00:00Z'), log: silentLogger, env: {}, baseDir: rawDir, rawDir });

  const rawFiles = async () => (await readdir(rawDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);

  it('calls a scope complete only when an independent count reconciled, and unreconciled when there was none', async () => {
    const result = await run(
      scenario(async function* (context) {
        const counted = context.scope('111111111111');
        await counted.page('List', {}, { items: [1] }, { records: 1 });
        counted.reconcile('summary = listed', 1, 1);
        const uncounted = context.scope('222222222222');
        await uncounted.page('List', {}, { items: [1] }, { records: 1 });
        yield identity('a');
      }),
    );
    expect(result.completeness.scopes.map((s) => [s.scope, s.verdict])).toEqual([
      ['111111111111', 'complete'],
      ['222222222222', 'unreconciled'],
    ]);
    expect(result.completeness.verdict).toBe('unreconciled');
  });

  it('keeps a recovered error from making the scope incomplete, and an unrecovered one does', async () => {
    const result = await run(
      scenario(async function* (context) {
        const a = context.scope('a');
        a.reconcile('n', 1, 1);
        a.error('Enrich', new Error('optional'), { recovered: true });
        const b = context.scope('b');
        b.reconcile('n', 1, 1);
        b.error('List', new Error('boom'));
        yield* [];
      }),
    );
    expect(result.completeness.scopes.map((s) => s.verdict)).toEqual(['complete', 'incomplete']);
    expect(result.completeness.verdict).toBe('incomplete');
  });

  it('stops a listing that writes more pages than paging.maxPages, naming the operation', async () => {
    const result = await run(
      scenario(async function* (context) {
        const scope = context.scope('a');
        for (let i = 0; ; i++) await scope.page('ListForever', { Marker: 'same' }, { items: [i] }, { records: 1 });
      }),
      { paging: { maxPages: 5 } },
    );
    expect(result.completeness.verdict).toBe('incomplete');
    expect(result.completeness.errors.join()).toContain('ListForever');
    expect(await rawFiles()).toEqual(['ListForever.jsonl']);
    const [file] = (await readdir(rawDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect((await readFile(path.join(file!.parentPath, file!.name), 'utf8')).trimEnd().split('\n')).toHaveLength(5);
  });

  it('describes the first hundred parameter sets of an operation each, sums the rest in one entry, and still budgets pages per call', async () => {
    const result = await run(
      scenario(async function* (context) {
        const scope = context.scope('a');
        scope.reconcile('n', 1, 1);
        for (let user = 0; user < 250; user++) await scope.page('ListKeys', { UserName: `u${user}` }, { keys: [user] }, { records: 1, attempts: user === 200 ? 3 : 1 });
        await scope.page('ListKeys', { UserName: 'u200' }, { keys: [] }, { records: 0 });
        // A call summed with the rest still has the budget of one call.
        for (let i = 0; ; i++) await scope.page('ListKeys', { UserName: 'u249', Marker: 'same' }, { keys: [i] }, { records: 1 });
      }),
      { paging: { maxPages: 4 } },
    );
    const operations = result.completeness.scopes[0]!.operations;
    expect(operations.filter((o) => o.parameterSets === undefined)).toHaveLength(100);
    const rest = operations.find((o) => o.parameterSets !== undefined)!;
    expect(rest).toMatchObject({ operation: 'ListKeys', parameters: {}, parameterSets: 151, pages: 155, records: 154, retries: 2 });
    expect(result.completeness.errors.join()).toContain('paging.maxPages');
    expect(result.completeness.verdict).toBe('incomplete');
  });

  it('aborts a source at its deadline, even one stuck in a request that ignores the signal, and keeps what it read', async () => {
    let signalled = false;
    const started = Date.now();
    const result = await run(
      scenario(async function* (context) {
        context.signal.addEventListener('abort', () => (signalled = true));
        yield identity('before-the-hang');
        await new Promise(() => undefined);
      }),
      { timeouts: { sourceMs: 200 } },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(signalled).toBe(true);
    expect(result.completeness.verdict).toBe('incomplete');
    expect(result.completeness.errors.join()).toMatch(/deadline of 200 ms \(timeouts\.sourceMs\)/);
    expect(result.identities.map((i) => i.name)).toEqual(['before-the-hang']);
  });

  it('writes nothing after a source failed: late pages of work still in flight are refused, and started writes finish whole', async () => {
    let late: Promise<unknown> | undefined;
    const result = await run(
      scenario(async function* (context) {
        const scope = context.scope('a');
        late = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          return scope.page('Late', {}, { items: [] }, { records: 0 });
        })().catch((error: Error) => error);
        await scope.page('First', {}, { items: ['x'.repeat(100_000)] }, { records: 1 });
        throw new Error('the listing broke');
      }),
    );
    expect(result.completeness.verdict).toBe('incomplete');
    expect(((await late) as Error).message).toContain('after its source ended');
    const files = await rawFiles();
    expect(files).toEqual(['First.jsonl']);
    const [file] = (await readdir(rawDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(JSON.parse(await readFile(path.join(file!.parentPath, file!.name), 'utf8')).operation).toBe('First');
  });

  it("digests each raw file as it writes it, and names each page by its line: scopes whose folders coincide included", async () => {
    const refs: Array<{ ref: string; scope: string; i: number }> = [];
    const result = await run(
      scenario(async function* (context) {
        // Two scopes whose folder names are the same once made safe, their pages appended concurrently.
        const pages = ['a/b', 'a_b'].flatMap((scope) =>
          [0, 1, 2].map(async (i) => refs.push({ ref: await context.scope(scope).page('List', { i }, { items: ['é'.repeat(i * 1000)] }, { records: 1 }), scope, i })),
        );
        await Promise.all(pages);
        await context.scope('a/b').page('Get', {}, { ok: true }, { records: 0 });
        yield identity('a');
      }),
    );
    for (const { ref, scope, i } of refs) {
      const [file, line] = ref.split(':') as [string, string];
      const text = (await readFile(path.join(rawDir, ...file.split('/').slice(1)), 'utf8')).split('\n')[Number(line) - 1]!;
      expect(JSON.parse(text)).toMatchObject({ scope, parameters: { i } });
    }
    const onDisk = (await readdir(rawDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const digests = await Promise.all(
      onDisk.map(async (e) => {
        const bytes = await readFile(path.join(e.parentPath, e.name));
        return { path: `raw/${path.relative(rawDir, path.join(e.parentPath, e.name)).split(path.sep).join('/')}`, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
      }),
    );
    expect(digests.map((d) => d.path).sort()).toEqual(['raw/src/a_b/Get.jsonl', 'raw/src/a_b/List.jsonl']);
    expect([...result.rawDigests!].sort((a, b) => a.path.localeCompare(b.path))).toEqual(digests.sort((a, b) => a.path.localeCompare(b.path)));
  });

  it('gives no digest for a raw file it could not write whole, so sealing reads what is there', async () => {
    // A file where the source's folder should be: no page can be written under it.
    await writeFile(path.join(rawDir, 'src'), 'in the way');
    const result = await run(
      scenario(async function* (context) {
        await context.scope('a').page('List', {}, { items: [] }, { records: 0 });
        yield identity('a');
      }),
    );
    expect(result.completeness.verdict).toBe('incomplete');
    expect(result.rawDigests).toEqual([]);
  });

  it('validates the source limits with the config', async () => {
    await expect(run(scenario(async function* () {}), { timeouts: { requestMs: -1 } })).rejects.toThrow();
  });
});

describe('sourceVerdict', () => {
  it.each([
    [[], [], 'unreconciled'],
    [['failed'], [{ verdict: 'complete' }], 'incomplete'],
    [[], [{ verdict: 'complete' }, { verdict: 'unreconciled' }], 'unreconciled'],
    [[], [{ verdict: 'complete' }, { verdict: 'incomplete' }], 'incomplete'],
    [[], [{ verdict: 'complete' }], 'complete'],
  ] as const)('errors %j, scopes %j → %s', (errors, scopes, expected) => {
    expect(sourceVerdict(errors, scopes as never)).toBe(expected);
  });
});
