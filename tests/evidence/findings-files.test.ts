import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { EvaluationStream } from '../../src/engine/evaluate.js';
import { FINDINGS_FILES, writeFindingsFiles } from '../../src/evidence/findings-files.js';
import type { Finding } from '../../src/sdk/index.js';
import findingsCsv, { exceptionsCsv } from '../../src/writers/csv.js';
import { packWriters, writers } from '../../src/writers/index.js';
import findingsJson from '../../src/writers/json.js';
import { sortResultSet } from '../../src/writers/sorted.js';
import { isListed, LISTED_PER_CONTROL, summarize, withEveryListed } from '../../src/writers/summary.js';
import type { ResultSet } from '../../src/writers/types.js';
import { aResultSet } from '../helpers/result-set-builder.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** The evaluation a run would walk: the findings in canonical order, then its account. */
function streamOf(full: ResultSet): EvaluationStream {
  let walked = false;
  return {
    findings: (function* () {
      yield* full.findings;
      walked = true;
    })(),
    account: () => {
      if (!walked) throw new Error('account before the walk');
      return { waivers: full.waivers ?? [], excluded: [], evaluated: full.identities.length };
    },
  };
}

/** The demo-like set, with a systems registry reached by two identities, so the fold's systems are exercised. */
function withSystems(): ResultSet {
  const results = aResultSet();
  const [first, second] = results.identities;
  first!.systems = [{ name: 'ledger', sox: true, reasons: ['tag'] }];
  second!.systems = [{ name: 'ledger', sox: true, reasons: ['tag'] }, { name: 'payroll', sox: false, reasons: ['account'] }];
  return { ...results, systems: [{ name: 'ledger', sox: true, owner: 'fin@acme.test' }, { name: 'payroll', sox: false, owner: 'hr@acme.test' }] };
}

const cases: Array<[string, () => ResultSet]> = [
  ['findings of every status, waivers applied, unused and expired', () => aResultSet()],
  ['identities reaching systems', withSystems],
  ['no findings at all', () => aResultSet({ findings: [], waivers: [] })],
  ['only passing findings', () => aResultSet({ findings: aResultSet().findings.filter((f) => f.status === 'pass'), waivers: [] })],
  ['a revocation judged pass and not-applicable', () => {
    const results = aResultSet();
    const [a, b] = results.identities;
    const revoked = (identityId: string, status: Finding['status']): Finding => ({ controlId: 'revocation-executed', identityId, status, severity: 'high', message: `revoke ${status}`, evidence: {} });
    return { ...results, findings: [...results.findings, revoked(a!.id, 'pass'), revoked(b!.id, 'not-applicable')] };
  }],
];

describe('findings.json and findings.csv written as the evaluation is walked', () => {
  it.each(cases)('%s: the same bytes as the writers render from every finding held', async (_name, make) => {
    const full = sortResultSet(make());
    const { findings: _f, waivers: _w, ...base } = full;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'findings-files-'));
    dirs.push(dir);
    const written = await writeFindingsFiles(dir, base, streamOf(full));

    for (const writer of [findingsJson, findingsCsv, exceptionsCsv]) {
      const bytes = await readFile(path.join(dir, writer.fileName));
      expect(bytes.toString('utf8')).toBe(writer.render(full));
      expect(written.digests.find((d) => d.path === writer.fileName)).toEqual({ path: writer.fileName, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    expect(written.digests.map((d) => d.path)).toEqual([...FINDINGS_FILES]);
    expect(written.results.findings).toEqual(full.findings.filter(isListed));
    expect(summarize(written.results)).toEqual({ ...summarize(full), bounded: true });
  });

  it.each(cases)('%s: every other pack file renders the same from the listed findings as from all of them', async (_name, make) => {
    const full = sortResultSet(make());
    const { findings: _f, waivers: _w, ...base } = full;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'findings-files-'));
    dirs.push(dir);
    const { results } = await writeFindingsFiles(dir, base, streamOf(full));
    const others = packWriters.filter((w) => !FINDINGS_FILES.includes(w.fileName));
    expect(others.map((w) => w.fileName)).toContain('summary.md');
    for (const writer of others) expect(writer.render(results, { pack: '.' }), writer.fileName).toBe(writer.render(full, { pack: '.' }));
  });

  it('refuses to render every finding from a set that holds only the listed ones', async () => {
    const full = sortResultSet(aResultSet());
    const { findings: _f, waivers: _w, ...base } = full;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'findings-files-'));
    dirs.push(dir);
    const { results } = await writeFindingsFiles(dir, base, streamOf(full));
    expect(results.findings.length).toBeLessThan(full.findings.length);
    expect(() => findingsJson.render(results)).toThrow(/every finding/);
    expect(() => findingsCsv.render(results)).toThrow(/every finding/);
  });
});

describe('writing the findings files', () => {
  it('fails the run, naming the file, when a file cannot be written', async () => {
    const full = sortResultSet(aResultSet());
    const { findings: _f, waivers: _w, ...base } = full;
    const missing = path.join(os.tmpdir(), 'findings-files-missing', String(process.pid), 'staging');
    await expect(writeFindingsFiles(missing, base, streamOf(full))).rejects.toThrow(/findings\.json/);
  });

  it('stops when the evaluation throws part way, and the error is the evaluation\'s', async () => {
    const full = sortResultSet(aResultSet());
    const { findings: _f, waivers: _w, ...base } = full;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'findings-files-'));
    dirs.push(dir);
    const failing: EvaluationStream = {
      findings: (function* () {
        yield full.findings[0]!;
        throw new Error('control crashed');
      })(),
      account: () => ({ waivers: [], excluded: [], evaluated: 0 }),
    };
    await expect(writeFindingsFiles(dir, base, failing)).rejects.toThrow('control crashed');
  });

  it('writes a population many write blocks long in order, the same as the writers render it', async () => {
    const results = aResultSet();
    const template = results.findings[1]!;
    const many: Finding[] = Array.from({ length: 12_000 }, (_, i) => ({ ...template, identityId: `${template.identityId}-${String(i).padStart(5, '0')}`, message: `finding ${i}` }));
    const full = sortResultSet({ ...results, findings: many });
    const { findings: _f, waivers: _w, ...base } = full;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'findings-files-'));
    dirs.push(dir);
    await writeFindingsFiles(dir, base, streamOf(full));
    expect(await readFile(path.join(dir, 'findings.json'), 'utf8')).toBe(findingsJson.render(full));
    expect(await readFile(path.join(dir, 'findings.csv'), 'utf8')).toBe(findingsCsv.render(full));
    expect(await readFile(path.join(dir, 'exceptions.csv'), 'utf8')).toBe(exceptionsCsv.render(full));
  });
});

describe('a control failing more often than a run holds', () => {
  /** Two controls failing on many identities each, a few excepted, with systems reached. */
  function manyFailing(): ResultSet {
    const results = withSystems();
    const template = results.findings.find((f) => f.status === 'fail')!;
    const waiver = results.findings.find((f) => f.status === 'excepted')!.waiver!;
    const identities = Array.from({ length: LISTED_PER_CONTROL * 2 + 7 }, (_, i) => ({
      ...results.identities[0]!,
      id: `${results.identities[0]!.id}-${String(i).padStart(4, '0')}`,
      systems: [{ name: 'ledger', sox: true, reasons: ['tag'] }],
    }));
    const findings: Finding[] = ['ci-secret-rotated', 'credential-rotated'].flatMap((controlId) =>
      identities.map((identity, i): Finding => ({
        ...template,
        controlId,
        identityId: identity.id,
        message: `finding ${i}`,
        ...(i % 100 === 3 ? { status: 'excepted', waiver } : { status: i % 10 === 1 ? 'pass' : 'fail' }),
      })),
    );
    return { ...results, identities: [...results.identities, ...identities], findings };
  }

  it('writes every exception, holds the first of each control, and renders the reports as from every finding', async () => {
    const full = sortResultSet(manyFailing());
    const { findings: _f, waivers: _w, ...base } = full;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'findings-files-'));
    dirs.push(dir);
    const { results } = await writeFindingsFiles(dir, base, streamOf(full));

    const exceptions = (await readFile(path.join(dir, 'exceptions.csv'), 'utf8')).split('\r\n').filter(Boolean);
    expect(exceptions).toHaveLength(1 + full.findings.filter((f) => f.status === 'fail' || f.status === 'excepted').length);
    expect(exceptions.join('\r\n') + '\r\n').toBe(exceptionsCsv.render(full));

    const summary = summarize(results);
    expect(summary.bounded).toBe(true);
    expect(summary.counts).toEqual(summarize(full).counts);
    expect(summary.failing.length).toBeLessThan(summary.counts.fail);
    for (const controlId of ['ci-secret-rotated', 'credential-rotated']) {
      expect(summary.failing.filter((f) => f.controlId === controlId)).toHaveLength(LISTED_PER_CONTROL);
      expect(results.findings.filter((f) => f.controlId === controlId && f.status === 'excepted').length).toBeLessThanOrEqual(LISTED_PER_CONTROL);
    }
    expect(summary.systems.find((s) => s.name === 'ledger')!.failing).toHaveLength(LISTED_PER_CONTROL);

    for (const writer of packWriters.filter((w) => !FINDINGS_FILES.includes(w.fileName))) {
      expect(writer.render(results, { pack: '.' }), writer.fileName).toBe(writer.render(full, { pack: '.' }));
    }
    expect(writers.table.render(results, { maxFindings: 12 })).toBe(writers.table.render(full, { maxFindings: 12 }));
    expect(() => writers.sarif.render(results)).toThrow(/lists every failing finding/);
    const relisted = withEveryListed(results, full.findings.filter(isListed));
    for (const writer of [writers.sarif, writers.codequality, writers.table]) expect(writer.render(relisted), writer.id).toBe(writer.render(full));
  });
});
