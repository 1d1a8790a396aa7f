import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EnrichInputs } from '../../src/engine/enrich.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { Population, SPILL_AT, spillAtFrom } from '../../src/engine/population.js';
import { spilledOf } from '../../src/engine/spill.js';
import { ExitError } from '../../src/sdk/index.js';
import { controls as builtIn } from '../../src/controls/index.js';
import { aPopulation, anIdentity } from '../helpers/identity-builder.js';

const NOW = new Date('2026-11-20T00:00:00Z');
const inputs: EnrichInputs = {
  ownerTagKeys: ['owner'],
  environmentTagKeys: ['env'],
  vendorTagKeys: [],
  expiryTagKeys: [],
  breakGlassTagKeys: [],
  approvalTagKeys: [],
  owners: { file: 'owners.csv', rows: [{ identity: 'aws-iam:111111111111:user/*-1*', owner: 'data-eng' }] },
};

/** The population as a run joins it: held, or spilled past `spillAt` in runs of `runSize`. */
function joined(identities: readonly { id: string }[], spillAt: number, runSize: number) {
  const population = new Population(spillAt, runSize);
  for (const identity of identities) population.add(identity as never);
  return population.joined(inputs);
}

const named = (names: readonly string[]) => names.map((name) => anIdentity({ name, id: `aws-iam:111111111111:user/${name}`, tags: name.endsWith('9') ? { owner: 'tagged' } : {} }));

describe('Population: the collected identities, held while few and spilled to disk past a size', () => {
  it('holds a population no larger than its limit, and joins and sorts it as a run always did', () => {
    const { identities, enrichment } = joined(named(['b-1', 'a-19', 'c-2']), 3, 2);
    expect(spilledOf(identities)).toBeUndefined();
    expect(identities.map((i) => i.name)).toEqual(['a-19', 'b-1', 'c-2']);
    expect(identities.map((i) => i.owner?.id)).toEqual(['tagged', 'data-eng', undefined]);
    expect(enrichment.map((c) => [c.identityId, c.absent])).toEqual([
      ['aws-iam:111111111111:user/a-19', ['owner']],
      ['aws-iam:111111111111:user/b-1', ['owner']],
    ]);
  });

  it('spills a larger one in sorted runs and merges them to the same identities and changes, in id order', () => {
    const names = Array.from({ length: 23 }, (_, i) => `svc-${(i * 7) % 23}`);
    const held = joined(named(names), 1_000, 1_000);
    for (const [spillAt, runSize] of [[0, 1], [3, 2], [5, 4], [22, 1]] as const) {
      const spilled = joined(named(names), spillAt, runSize);
      expect(spilledOf(spilled.identities)?.inIdOrder, `spillAt ${spillAt}`).toBe(true);
      expect([...spilled.identities]).toEqual(held.identities);
      expect([...spilled.enrichment]).toEqual(held.enrichment);
    }
  });

  it('gives the controls the same findings, whether the population was held or spilled', () => {
    const controls = builtIn.map((control) => ({ control, severity: control.meta.severity, options: control.options.parse({}) }));
    fc.assert(
      fc.property(aPopulation(NOW, { maxLength: 25 }), (population) => {
        const options = { now: NOW, waivers: [], includeHumans: false, sliceSize: 4 };
        const held = evaluate(joined(population, 1_000, 1_000).identities, controls, options);
        const spilled = evaluate(joined(population, 2, 3).identities, controls, options);
        expect(spilled).toEqual(held);
      }),
      { numRuns: 25 },
    );
  });

  it('ends the run with a clear error, exit 2, when the spill cannot be written, and stops every source at its next identity', () => {
    const tmpdir = process.env.TMPDIR;
    process.env.TMPDIR = '/nonexistent/nhi-audit-spill-test';
    try {
      const population = new Population(1, 2);
      const [a, b, c] = named(['a', 'b', 'c']);
      population.add(a!);
      let failure: unknown;
      try {
        population.add(b!);
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(ExitError);
      expect((failure as ExitError).exitCode).toBe(2);
      expect((failure as Error).message).toMatch(/could not spill the population to disk \(2 identities, more than NHI_AUDIT_SPILL_AT=1\): ENOENT.*TMPDIR.*No pack was written/);
      expect(() => population.add(c!)).toThrow(failure as Error);
      expect(() => population.joined(inputs)).toThrow(failure as Error);
    } finally {
      if (tmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpdir;
    }
  });

  it(`spills past ${SPILL_AT} identities unless NHI_AUDIT_SPILL_AT says otherwise, and refuses a value that is no count`, () => {
    expect(spillAtFrom({})).toBe(SPILL_AT);
    expect(spillAtFrom({ NHI_AUDIT_SPILL_AT: '2000' })).toBe(2000);
    expect(() => spillAtFrom({ NHI_AUDIT_SPILL_AT: '2k' })).toThrow(/NHI_AUDIT_SPILL_AT: "2k" is not a whole number of identities/);
  });
});
