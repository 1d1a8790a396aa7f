import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import oscal, { oscalControlId } from '../../src/writers/oscal.js';
import type { ResultSet } from '../../src/writers/types.js';
import { aResultSet, reordered } from '../helpers/result-set-builder.js';

// NIST's complete OSCAL schemas (draft-07), used exactly as published (../shared/external/oscal).
const SCHEMAS = ['1.1.3', '1.2.2'].map((version) => {
  const schema = JSON.parse(readFileSync(new URL(`../../../shared/external/oscal/oscal_complete_schema-${version}.json`, import.meta.url), 'utf8'));
  // Both are CommonJS whose `exports.default` is the export itself; `.default` reaches it under NodeNext.
  const ajv = new Ajv.default({ allErrors: true, strict: false });
  ajvFormats.default(ajv);
  return { version, ajv, validate: ajv.compile(schema) };
});

function render(results: ResultSet = aResultSet(), inPack = true) {
  return JSON.parse(oscal.render(results, inPack ? { pack: '.' } : {}))['assessment-results'];
}

describe('OSCAL assessment-results', () => {
  it.each(SCHEMAS)('validates against NIST OSCAL $version, in a pack and on its own', ({ ajv, validate }) => {
    for (const inPack of [true, false]) {
      const document = JSON.parse(oscal.render(aResultSet(), inPack ? { pack: 'evidence/2026-Q4/run' } : {}));
      expect(validate(document), ajv.errorsText(validate.errors)).toBe(true);
    }
    const empty = JSON.parse(oscal.render(aResultSet({ identities: [], findings: [], controls: [], sources: [], waivers: [] })));
    expect(validate(empty), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('has one result with an observation per control in force and a finding per failing control', () => {
    const results = aResultSet();
    const [result] = render(results).results;
    expect(result.observations.map((o: { props: { name: string; value: string }[] }) => o.props.find((p) => p.name === 'control-id')!.value)).toEqual(
      [...results.controls.map((c) => c.id)].sort(),
    );
    const failing = [...new Set(results.findings.filter((f) => f.status === 'fail').map((f) => f.controlId))].sort();
    expect(result.findings.map((f: { target: { 'target-id': string } }) => f.target['target-id'])).toEqual(failing);
    for (const finding of result.findings) {
      expect(finding.target.status.state).toBe('not-satisfied');
      const observation = result.observations.find((o: { uuid: string }) => o.uuid === finding['related-observations'][0]['observation-uuid']);
      expect(observation?.props.find((p: { name: string }) => p.name === 'control-id').value).toBe(finding.target['target-id']);
    }
  });

  it('names the pack files as relevant evidence only inside a pack', () => {
    const inPack = render(aResultSet(), true).results[0].observations[0]['relevant-evidence'];
    expect(inPack.map((e: { href: string }) => e.href)).toEqual(['findings.json', 'inventory.json', 'controls.json']);
    const alone = render(aResultSet(), false).results[0].observations[0]['relevant-evidence'];
    expect(alone.every((e: { href?: string }) => e.href === undefined)).toBe(true);
  });

  it('carries the framework mappings as reviewed-control selections and says when the collection is incomplete', () => {
    const results = aResultSet();
    const [result] = render(results).results;
    const selections = result['reviewed-controls']['control-selections'];
    expect(selections[0]['include-controls']).toHaveLength(results.controls.length);
    const mapped = results.controls.flatMap((c) => c.mappings.map((m) => m.framework));
    expect(selections.length - 1).toBe(new Set(results.controls.flatMap((c) => c.mappings.map((m) => `${m.framework} ${m.version ?? ''}`.trim()))).size);
    expect(mapped.length).toBeGreaterThan(0);
    const incomplete = aResultSet({ sources: results.sources.map((s, i) => (i === 0 ? { ...s, verdict: 'incomplete' as const } : s)) });
    const [partial] = render(incomplete).results;
    expect(partial.props).toContainEqual(expect.objectContaining({ name: 'collection-verdict', value: 'incomplete' }));
    expect(partial.remarks).toMatch(/incomplete/);
  });

  it('gives the same bytes for the same run, whatever the input order', () => {
    expect(oscal.render(reordered(aResultSet()), { pack: '.' })).toBe(oscal.render(aResultSet(), { pack: '.' }));
  });

  it.each([
    ['CIS AWS Foundations', '1.14', 'cis-aws-foundations-1.14'],
    ['NIST CSF', 'PR.AA-05', 'PR.AA-05'],
    ['SOC 2', 'CC6.1', 'CC6.1'],
  ])('%s %s is control id %s', (framework, id, expected) => {
    expect(oscalControlId(framework, id)).toBe(expected);
  });
});
