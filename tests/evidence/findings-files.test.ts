import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { EvaluationStream } from '../../src/engine/evaluate.js';
import { writeFindingsFiles } from '../../src/evidence/findings-files.js';
import type { Finding } from '../../src/sdk/index.js';
import findingsCsv from '../../src/writers/csv.js';
import { packWriters } from '../../src/writers/index.js';
import findingsJson from '../../src/writers/json.js';
import { sortResultSet } from '../../src/writers/sorted.js';
import { isListed, summarize } from '../../src/writers/summary.js';
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

    for (const writer of [findingsJson, findingsCsv]) {
      const bytes = await readFile(path.join(dir, writer.fileName));
      expect(bytes.toString('utf8')).toBe(writer.render(full));
      expect(written.digests.find((d) => d.path === writer.fileName)).toEqual({ path: writer.fileName, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    expect(written.results.findings).toEqual(full.findings.filter(isListed));
    expect(summarize(written.results)).toEqual(summarize(full));
  });

  it.each(cases)('%s: every other pack file renders the same from the listed findings as from all of them', async (_name, make) => {
    const full = sortResultSet(make());
    const { findings: _f, waivers: _w, ...base } = full;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'findings-files-'));
    dirs.push(dir);
    const { results } = await writeFindingsFiles(dir, base, streamOf(full));
    const others = packWriters.filter((w) => !w.everyFinding);
    expect(others.map((w) => w.fileName)).toContain('exceptions.csv');
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
  });
});
