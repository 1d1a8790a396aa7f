import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { evaluationPieces } from '../../src/commands/evaluation-thread.js';
import { controls as builtIn } from '../../src/controls/index.js';
import { evaluationStream, type ActiveControl } from '../../src/engine/evaluate.js';
import { writeFindingsFiles, type FindingsPiece } from '../../src/evidence/findings-files.js';
import type { Identity, Waiver } from '../../src/sdk/index.js';
import { aPopulation } from '../helpers/identity-builder.js';
import { aResultSet } from '../helpers/result-set-builder.js';

const now = new Date('2026-11-20T12:00:00Z');
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const active: ActiveControl[] = builtIn.map((control) => ({
  control,
  severity: control.meta.severity,
  options: control.options.parse({}),
  // Stricter options for one system: the thread must judge those identities under them too.
  ...(control.meta.id === 'credential-rotated' ? { systems: [{ system: 'ledger', options: { maxAgeDays: 30 } }] } : {}),
}));
const waiver = (overrides: Partial<Waiver>): Waiver => ({
  control: 'credential-rotated',
  identity: 'aws-iam:111111111111:user/a*',
  reason: 'vendor cannot rotate until migration',
  ticket: 'RISK-7',
  approver: 'cfo@corvid.example',
  expires: '2026-12-31',
  ...overrides,
});
// One in force, one expired: both are counted on whichever thread judged the failure.
const waivers = [waiver({}), waiver({ control: 'owner-assigned', identity: 'aws-iam:*', expires: '2026-01-01' })];

interface Written {
  json: string;
  csv: string;
  results: unknown;
  account: unknown;
  /** Units the evaluation thread rendered. */
  rendered: number;
}

/** findings.json and findings.csv as a run writes them, its units judged here alone or with the evaluation thread. */
async function written(identities: readonly Identity[], sliceSize: number, threads: 'here' | 'thread', controls = active): Promise<Written> {
  const staging = await mkdtemp(path.join(os.tmpdir(), 'nhi-evaluation-thread-'));
  dirs.push(staging);
  const { findings: _findings, waivers: _waivers, summary: _summary, ...base } = aResultSet({
    identities: [...identities],
    findings: [],
    systems: [
      { name: 'ledger', sox: true, owner: 'fin@acme.test' },
      { name: 'wiki', sox: false, owner: 'it@acme.test' },
    ],
  });
  // Humans included: the thread judges whatever the population holds, and an identity broken on purpose is not filtered out here.
  const evaluation = evaluationStream(identities, controls, { now, waivers, includeHumans: true, sliceSize });
  let rendered = 0;
  async function* counted(pieces: AsyncIterable<FindingsPiece>): AsyncGenerator<FindingsPiece> {
    for await (const piece of pieces) {
      if ('json' in piece) rendered++;
      yield piece;
    }
  }
  const { results, account } = await writeFindingsFiles(staging, base, evaluation, (separator) =>
    threads === 'here' ? [evaluation.findings] : counted(evaluationPieces(evaluation, { csv: { controls: base.controls, sources: base.sources }, separator, helpFrom: 1 })),
  );
  const read = (file: string) => readFile(path.join(staging, file), 'utf8');
  return { json: await read('findings.json'), csv: await read('findings.csv'), results, account, rendered };
}

describe('the evaluation thread', () => {
  it('writes findings.json and findings.csv byte for byte as one thread does, with the same summary, listed findings and account', async () => {
    await fc.assert(
      fc.asyncProperty(aPopulation(now, { minLength: 4, maxLength: 40 }), fc.integer({ min: 1, max: 5 }), async (identities, sliceSize) => {
        const here = await written(identities, sliceSize, 'here');
        const thread = await written(identities, sliceSize, 'thread');
        expect(thread.rendered).toBeGreaterThan(0);
        expect({ ...thread, rendered: 0 }).toEqual(here);
      }),
      { numRuns: 6 },
    );
  }, 120_000);

  it('raises what a control raised on the thread, as it does here, and writes nothing further', async () => {
    const identities = fc.sample(aPopulation(now, { minLength: 6, maxLength: 6 }), { numRuns: 1, seed: 7 })[0]!;
    // The second identity is in slice 1 of size 1, which the thread judges.
    const broken = identities.map((identity, i) =>
      i === 1 ? ({ ...identity, kind: 'service-account', providerManaged: undefined, privilege: null } as unknown as Identity) : identity,
    );
    const here = await written(broken, 1, 'here').then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(here).toMatch(/privilege|null/);
    await expect(written(broken, 1, 'thread')).rejects.toThrow(here!);
  }, 60_000);

  it('keeps every unit here when a control\'s options cannot reach the thread (a function)', async () => {
    const identities = fc.sample(aPopulation(now, { minLength: 12, maxLength: 12 }), { numRuns: 1, seed: 3 })[0]!;
    const unclonable = active.map((a) => (a.control.meta.id === 'owner-assigned' ? { ...a, options: { ...(a.options as object), describe: () => 'not data' } } : a));
    const thread = await written(identities, 2, 'thread', unclonable);
    expect(thread.rendered).toBe(0);
    expect({ ...thread, rendered: 0 }).toEqual(await written(identities, 2, 'here', unclonable));
  }, 60_000);
});
