import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { itemKey, Sampler, SAMPLE_METHOD, type SampleFilter } from '../../src/evidence/sample.js';
import type { Finding, FindingStatus } from '../../src/sdk/index.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The method as SAMPLE_METHOD states it, over a population held whole: rank every item, sort, take the lowest. */
function byTheMethod(findings: Finding[], options: { size: number; seed: string; filter: SampleFilter }) {
  const population = findings.filter((f) => (!options.filter.controlId || f.controlId === options.filter.controlId) && (!options.filter.status || f.status === options.filter.status));
  const ranked = population.map((f) => ({ f, rank: sha256(`${options.seed}\n${itemKey(f)}`) })).sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return {
    populationSize: population.length,
    populationSha256: sha256(population.map(itemKey).sort().join('\n')),
    selected: ranked.slice(0, options.size).map(({ f, rank }) => ({ key: itemKey(f), rank, identityId: f.identityId, status: f.status })),
  };
}

const statuses: FindingStatus[] = ['pass', 'fail', 'excepted', 'not-applicable'];
const finding = fc.record({
  controlId: fc.constantFrom('owner-assigned', 'credential-rotated', 'owner'),
  identityId: fc.constantFrom('aws-iam:1:user/a', 'aws-iam:1:user/a-b', 'aws-iam:1:user/b', 'github:org/x|y', 'gcp-iam:p:sa@x'),
  credentialId: fc.option(fc.constantFrom('AKIA1', 'AKIA2', 'key|1'), { nil: undefined }),
  status: fc.constantFrom(...statuses),
});

function feed(findings: Finding[], options: { size: number; seed: string; filter: SampleFilter }) {
  const sampler = new Sampler(options);
  for (const f of findings) sampler.add(f);
  return sampler.selection();
}

describe('a sample drawn as findings stream past', () => {
  it('selects what ranking the whole population would, and digests the same population', () => {
    fc.assert(
      fc.property(
        fc.array(finding, { maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        fc.string(),
        fc.record({ controlId: fc.option(fc.constant('owner-assigned'), { nil: undefined }), status: fc.option(fc.constantFrom(...statuses), { nil: undefined }) }),
        (items, size, seed, rawFilter) => {
          const findings = items.map(({ credentialId, ...f }): Finding => ({ ...f, ...(credentialId ? { credentialId } : {}), severity: 'high', message: `m ${f.identityId}`, evidence: {} }));
          const filter: SampleFilter = { ...(rawFilter.controlId ? { controlId: rawFilter.controlId } : {}), ...(rawFilter.status ? { status: rawFilter.status } : {}) };
          const streamed = feed(findings, { size, seed, filter });
          const expected = byTheMethod(findings, { size, seed, filter });
          expect(streamed.populationSize).toBe(expected.populationSize);
          expect(streamed.populationSha256).toBe(expected.populationSha256);
          expect(streamed.selected.map(({ key, rank, identityId, status }) => ({ key, rank, identityId, status }))).toEqual(expected.selected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('states its method and the request in the selection', () => {
    const findings: Finding[] = ['a', 'b', 'c'].map((id) => ({ controlId: 'owner-assigned', identityId: id, status: 'fail', severity: 'high', message: id, evidence: {} }));
    const selection = feed(findings, { size: 2, seed: 'q4', filter: { status: 'fail' } });
    expect(selection).toMatchObject({ method: SAMPLE_METHOD, seed: 'q4', size: 2, filter: { status: 'fail' }, populationSize: 3 });
    expect(selection.selected).toHaveLength(2);
    expect(selection.populationSha256).toBe(sha256('owner-assigned|a|\nowner-assigned|b|\nowner-assigned|c|'));
  });
});
