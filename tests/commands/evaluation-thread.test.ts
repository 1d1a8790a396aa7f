import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { evaluationPieces } from '../../src/commands/evaluation-thread.js';
import { compareSealedFindings, findingsFileMatch } from '../../src/commands/reperform.js';
import { controls as builtIn } from '../../src/controls/index.js';
import { compareIds } from '../../src/engine/collect.js';
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
  dir: string;
  json: string;
  csv: string;
  results: unknown;
  account: unknown;
  /** Units the evaluation thread rendered. */
  rendered: number;
}

/** findings.json and findings.csv as a run writes them, its units judged here alone or with the evaluation thread. */
async function written(identities: readonly Identity[], sliceSize: number, threads: 'here' | 'thread', controls = active, cores = 2, oneIn = 2, atMost?: number): Promise<Written> {
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
    threads === 'here' ? [evaluation.findings] : counted(evaluationPieces(evaluation, { csv: { controls: base.controls, sources: base.sources }, separator, helpFrom: 1, cores, oneIn, ...(atMost !== undefined ? { atMost } : {}) })),
  );
  const read = (file: string) => readFile(path.join(staging, file), 'utf8');
  return { dir: staging, json: await read('findings.json'), csv: await read('findings.csv'), results, account, rendered };
}

describe('the evaluation thread', () => {
  it('writes findings.json and findings.csv byte for byte as one thread does, with the same summary, listed findings and account', async () => {
    await fc.assert(
      fc.asyncProperty(aPopulation(now, { minLength: 4, maxLength: 40 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 4 }), async (identities, sliceSize, oneIn) => {
        const here = await written(identities, sliceSize, 'here');
        const thread = await written(identities, sliceSize, 'thread', active, 2, oneIn);
        // A second slice is the first the thread takes.
        expect(thread.rendered > 0).toBe(identities.length > sliceSize);
        expect({ ...thread, dir: '', rendered: 0 }).toEqual({ ...here, dir: '' });
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

  it('hands over no more slices than it is allowed, the first ones, and writes the same files', async () => {
    const identities = fc.sample(aPopulation(now, { minLength: 12, maxLength: 12 }), { numRuns: 1, seed: 11 })[0]!;
    // Slices of one identity, one in two handed over: slices 1, 3, 5, 7, 9 and 11, or the first two of them.
    const all = await written(identities, 1, 'thread', active, 2, 2);
    const two = await written(identities, 1, 'thread', active, 2, 2, 2);
    expect(all.rendered).toBeGreaterThan(0);
    expect(two.rendered * 3).toBe(all.rendered);
    expect({ ...two, dir: '', rendered: 0 }).toEqual({ ...(await written(identities, 1, 'here')), dir: '' });
  }, 60_000);

  it('keeps every unit here on a machine of one core', async () => {
    const identities = fc.sample(aPopulation(now, { minLength: 12, maxLength: 12 }), { numRuns: 1, seed: 5 })[0]!;
    const one = await written(identities, 2, 'thread', active, 1);
    expect(one.rendered).toBe(0);
    expect({ ...one, dir: '', rendered: 0 }).toEqual({ ...(await written(identities, 2, 'here')), dir: '' });
  }, 60_000);

  it('keeps every unit here when a control\'s options cannot reach the thread (a function)', async () => {
    const identities = fc.sample(aPopulation(now, { minLength: 12, maxLength: 12 }), { numRuns: 1, seed: 3 })[0]!;
    const unclonable = active.map((a) => (a.control.meta.id === 'owner-assigned' ? { ...a, options: { ...(a.options as object), describe: () => 'not data' } } : a));
    const thread = await written(identities, 2, 'thread', unclonable);
    expect(thread.rendered).toBe(0);
    expect({ ...thread, dir: '', rendered: 0 }).toEqual({ ...(await written(identities, 2, 'here', unclonable)), dir: '' });
  }, 60_000);
});

describe('reperform with the evaluation thread', () => {
  /** The sealed findings.json of `identities` against their evaluation again, half of it rendered on the thread. */
  async function compared(identities: readonly Identity[], sliceSize: number, edit: (json: string) => string = (json) => json) {
    const sealed = await written(identities, sliceSize, 'here');
    await writeFile(path.join(sealed.dir, 'findings.json'), edit(sealed.json));
    const evaluation = evaluationStream(identities, active, { now, waivers, includeHumans: true, sliceSize });
    let rendered = 0;
    async function* counted(): AsyncGenerator<FindingsPiece> {
      for await (const piece of evaluationPieces(evaluation, { separator: '\n', helpFrom: 1, cores: 2 })) {
        if ('json' in piece) rendered++;
        yield piece;
      }
    }
    return { sealed, comparison: await compareSealedFindings({ dir: sealed.dir }, evaluation, counted()), rendered };
  }

  const identities = () => fc.sample(aPopulation(now, { minLength: 30, maxLength: 30 }), { numRuns: 1, seed: 11 })[0]!;
  /** The key reperform names a finding by, of the finding on findings.json's line `n` (1-based). */
  const keyAt = (json: string, n: number) => {
    const finding = JSON.parse(json.split('\n')[n - 1]!.trim().replace(/,$/, '')) as { controlId: string; identityId: string; credentialId?: string };
    return [finding.controlId, finding.identityId, finding.credentialId].filter(Boolean).join(' ');
  };
  const findingLines = (json: string) => json.split('\n').flatMap((line, i) => (line.startsWith('    {"controlId"') ? [i + 1] : []));

  it('finds the sealed findings identical, byte for byte, with the thread\'s lines among them', async () => {
    const { comparison, rendered, sealed } = await compared(identities(), 2);
    expect(rendered).toBeGreaterThan(0);
    expect(comparison.differing).toEqual([]);
    expect(comparison.againDigest).toBe(comparison.sealedDigest);
    expect(comparison.count).toBe(findingLines(sealed.json).length);
  }, 60_000);

  it('names a finding edited in the pack, one removed, and the last one cut off', async () => {
    const population = identities();
    const plain = await written(population, 2, 'here');
    const lines = findingLines(plain.json);
    const [edited, removed] = [lines[Math.floor(lines.length / 3)]!, lines[Math.floor((2 * lines.length) / 3)]!];
    const text = plain.json.split('\n');
    const changed = await compared(population, 2, () => text.map((line, i) => (i + 1 === edited ? line.replace(/"message":"/, '"message":"edited ') : line)).join('\n'));
    expect(changed.comparison.differing).toEqual([keyAt(plain.json, edited)]);
    expect(changed.comparison.againDigest).not.toBe(changed.comparison.sealedDigest);
    const shorter = await compared(population, 2, () => text.filter((_line, i) => i + 1 !== removed).join('\n'));
    expect(shorter.comparison.differing).toEqual([keyAt(plain.json, removed)]);
    // The last finding gone: the re-performed one is left over once the sealed list has ended.
    const last = lines.at(-1)!;
    const truncated = await compared(population, 2, () => text.filter((_line, i) => i + 1 !== last).map((line, i) => (i + 2 === last ? line.replace(/,$/, '') : line)).join('\n'));
    expect(truncated.comparison.differing).toEqual([keyAt(plain.json, last)]);
    // Cut to its first three: the rest are re-performed and compared after the sealed list has ended.
    const cut = await compared(population, 2, () => [...text.slice(0, lines[2]! - 1), text[lines[2]! - 1]!.replace(/,$/, ''), ...text.slice(lines.at(-1)!)].join('\n'));
    expect(cut.comparison.differing).toEqual(lines.slice(3).map((n) => keyAt(plain.json, n)).sort(compareIds));
    expect(cut.comparison.count).toBe(lines.length);
  }, 120_000);
});

describe('reperform by the digest of findings.json', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  /** The re-performed findings against a findings.json (`edit` of the one a run writes) sealed with its own digest. */
  async function matched(identities: readonly Identity[], sliceSize: number, edit: (json: string) => string = (json) => json, sealedDigest = true) {
    const sealed = await written(identities, sliceSize, 'here');
    const text = edit(sealed.json);
    await writeFile(path.join(sealed.dir, 'findings.json'), text);
    const files = sealedDigest ? [{ path: 'findings.json', sha256: sha256(text), size: Buffer.byteLength(text) }] : undefined;
    const evaluation = evaluationStream(identities, active, { now, waivers, includeHumans: true, sliceSize });
    let rendered = 0;
    async function* counted(separator: string): AsyncGenerator<FindingsPiece> {
      for await (const piece of evaluationPieces(evaluation, { separator, helpFrom: 1, cores: 2 })) {
        if ('json' in piece) rendered++;
        yield piece;
      }
    }
    const manifest = { files } as Parameters<typeof findingsFileMatch>[0]['manifest'];
    return { sealed, match: await findingsFileMatch({ dir: sealed.dir, manifest }, evaluation, counted), rendered };
  }
  const population = (seed: number, length = 30) => fc.sample(aPopulation(now, { minLength: length, maxLength: length }), { numRuns: 1, seed })[0]!;
  const findingLines = (json: string) => json.split('\n').flatMap((line, i) => (line.startsWith('    {"controlId"') ? [i] : []));

  it('matches findings.json byte for byte, with the thread\'s lines among the ones made here', async () => {
    for (const [seed, sliceSize] of [[11, 2], [12, 3], [13, 7]] as const) {
      const { sealed, match, rendered } = await matched(population(seed), sliceSize);
      expect(rendered).toBeGreaterThan(0);
      expect(match).toEqual({ count: findingLines(sealed.json).length, sha256: sha256(sealed.json) });
    }
  }, 120_000);

  it('finds the list however its opening falls across the pieces the file is read in (64 KiB)', async () => {
    const identities = population(5, 4);
    const plain = await written(identities, 2, 'here');
    const marker = '\n  "findings": [\n';
    const at = plain.json.indexOf(marker);
    // A member before the list, long enough that the list's opening (the marker and the indent after it) starts
    // just before, across or just after the end of the first piece.
    for (const shift of [-24, -17, -9, -1, 0, 3]) {
      const padding = 65_536 + shift - at - '  "aaa": "",\n'.length;
      const edit = (json: string) => json.replace(/^\{\n/, `{\n  "aaa": "${'x'.repeat(padding)}",\n`);
      expect(edit(plain.json).indexOf(marker), String(shift)).toBe(65_536 + shift);
      const { match } = await matched(identities, 2, edit);
      expect(match, String(shift)).toEqual({ count: findingLines(plain.json).length, sha256: sha256(edit(plain.json)) });
    }
  }, 120_000);

  it('does not match a findings.json with a finding edited, removed or added, or laid out otherwise, sealed with its digest', async () => {
    const identities = population(11);
    const plain = await written(identities, 2, 'here');
    const lines = findingLines(plain.json);
    const at = lines[Math.floor(lines.length / 2)]!;
    const edits: Record<string, (json: string) => string> = {
      // The same length: the digest, not the size, tells it apart.
      'a letter of a message': (json) => json.split('\n').map((line, i) => (i === at ? line.replace(/"message":"(.)/, (_m, c: string) => `"message":"${c === 'x' ? 'y' : 'x'}`) : line)).join('\n'),
      'a finding removed': (json) => json.split('\n').filter((_line, i) => i !== at).join('\n'),
      'a finding twice': (json) => json.split('\n').flatMap((line, i) => (i === at ? [line, line] : [line])).join('\n'),
      'the items indented': (json) => `${JSON.stringify(JSON.parse(json), null, 2)}\n`,
      'no findings': (json) => `${JSON.stringify({ ...JSON.parse(json), findings: [] }, null, 2)}\n`,
    };
    for (const [what, edit] of Object.entries(edits)) {
      expect(edit(plain.json), what).not.toBe(plain.json);
      expect((await matched(identities, 2, edit)).match, what).toBeUndefined();
    }
    // A manifest without the files' digests (a pack read otherwise) is compared item by item instead.
    expect((await matched(identities, 2, undefined, false)).match).toBeUndefined();
  }, 120_000);
});
