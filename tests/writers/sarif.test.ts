import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { inventoryJson } from '../../src/writers/json.js';
import sarif, { FINGERPRINT_KEY } from '../../src/writers/sarif.js';
import type { RenderOptions, ResultSet } from '../../src/writers/types.js';
import { aResultSet, reordered, ROTATION_WAIVER } from '../helpers/result-set-builder.js';

// The official SARIF 2.1.0 schema (rtm.5, JSON Schema draft-04) as Microsoft's SARIF SDK ships it.
const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
// Both packages are CommonJS whose `exports.default` is the export itself; `.default` reaches it under NodeNext.
const Ajv = AjvDraft04.default;
const addFormats = ajvFormats.default;
// The schema's `language` pattern is not a valid Unicode-mode regular expression.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; endLine: number } };
    logicalLocations: { fullyQualifiedName: string }[];
  }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; status: string; justification: string }[];
  properties: { identityId: string; credentialId?: string; status: string };
}

function render(results: ResultSet = aResultSet(), options: RenderOptions = { pack: '.' }) {
  const log = JSON.parse(sarif.render(results, options));
  const run = log.runs[0];
  return { log, run, results: run.results as SarifResult[], rules: run.tool.driver.rules as { id: string; [key: string]: any }[] };
}

function fingerprintOf(results: SarifResult[], identityId: string, credentialId?: string): string {
  const found = results.find((r) => r.properties.identityId === identityId && r.properties.credentialId === credentialId);
  return found!.partialFingerprints[FINGERPRINT_KEY]!;
}

describe('SARIF', () => {
  it('validates against the SARIF 2.1.0 schema', () => {
    const { log } = render();
    expect(validate(log), ajv.errorsText(validate.errors)).toBe(true);
    expect(log.version).toBe('2.1.0');
  });

  it('validates for an empty run too', () => {
    const { log } = render(aResultSet({ identities: [], findings: [], controls: [], sources: [], waivers: [] }));
    expect(validate(log), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('describes the tool and one rule per control in force', () => {
    const { run, rules } = render();
    expect(run.tool.driver).toMatchObject({ name: 'nhi-audit', version: '0.1.0', informationUri: 'https://example.test/nhi-audit' });
    expect(rules.map((r) => r.id)).toEqual(['credential-expiry-set', 'credential-rotated', 'identity-described', 'no-admin-privilege', 'owner-assigned']);
    const rotated = rules.find((r) => r.id === 'credential-rotated')!;
    expect(rotated).toMatchObject({
      shortDescription: { text: 'Every active credential was created or rotated within the allowed age' },
      fullDescription: { text: 'Why credential-rotated matters' },
      help: { text: 'How to fix credential-rotated' },
      defaultConfiguration: { level: 'error' },
    });
    expect(rotated.properties.tags).toEqual(expect.arrayContaining(['security', 'CIS AWS Foundations 3.0 1.14', 'OWASP NHI Top 10 2025 NHI7']));
  });

  it('gives GitHub a security-severity per severity', () => {
    const { rules } = render();
    const score = Object.fromEntries(rules.map((r) => [r.properties.severity, r.properties['security-severity']]));
    expect(score).toEqual({ critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: undefined });
  });

  it('reports failing findings, and waived ones as externally suppressed; passes are left out', () => {
    const { results } = render();
    expect(results.map((r) => r.properties.status).sort()).toEqual([...Array(7).fill('fail'), 'excepted'].sort());
    const waived = results.filter((r) => r.suppressions);
    expect(waived).toHaveLength(1);
    expect(waived[0]!.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: expect.stringContaining(ROTATION_WAIVER.ticket) }]);
    expect(waived[0]!.suppressions![0]!.justification).toContain(ROTATION_WAIVER.reason);
  });

  it('levels results by severity and names the identity in the message', () => {
    const { results, rules } = render();
    const admin = results.find((r) => r.ruleId === 'no-admin-privilege')!;
    expect(admin.level).toBe('error');
    expect(admin.message.text).toMatch(/^aws-iam:111111111111:role\/admin-breakglass: Role admin-breakglass holds admin/);
    expect(results.find((r) => r.ruleId === 'owner-assigned')!.level).toBe('warning');
    expect(results.find((r) => r.ruleId === 'credential-expiry-set')!.level).toBe('note');
    for (const r of results) expect(rules[r.ruleIndex]!.id).toBe(r.ruleId);
  });

  it("places every result at its identity's object in inventory.json, with the id as a logical location", () => {
    const results = aResultSet();
    const inventory = inventoryJson.render(results).split('\n');
    for (const result of render(results).results) {
      const [location] = result.locations;
      expect(location!.physicalLocation.artifactLocation.uri).toBe('inventory.json');
      const { startLine, endLine } = location!.physicalLocation.region;
      const object = JSON.parse(inventory.slice(startLine - 1, endLine).join('\n').replace(/,$/, ''));
      expect(object.id).toBe(result.properties.identityId);
      expect(location!.logicalLocations[0]!.fullyQualifiedName).toBe(result.properties.identityId);
    }
  });

  it('points at files that exist: the pack inventory by its path, else the configuration, else no file at all', () => {
    const inPack = render(aResultSet(), { pack: 'evidence/2026-Q4/20261120T000000Z-abcdef' }).results[0]!.locations[0]!;
    expect(inPack.physicalLocation.artifactLocation.uri).toBe('evidence/2026-Q4/20261120T000000Z-abcdef/inventory.json');
    const check = render(aResultSet(), { config: 'nhi-audit.yaml' });
    expect(check.results[0]!.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'nhi-audit.yaml' }, region: { startLine: 1 } });
    expect(validate(check.log), ajv.errorsText(validate.errors)).toBe(true);
    const bare = render(aResultSet(), {});
    expect(bare.results.every((r) => r.locations[0]!.physicalLocation === undefined && r.locations[0]!.logicalLocations.length === 1)).toBe(true);
    expect(validate(bare.log), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('keeps fingerprints stable across runs and input order, one per identity, control and credential', () => {
    const first = render().results;
    const again = render(reordered(aResultSet())).results;
    const prints = (rs: SarifResult[]) => rs.map((r) => `${r.ruleId} ${r.properties.identityId} ${r.partialFingerprints[FINGERPRINT_KEY]}`).sort();
    expect(prints(again)).toEqual(prints(first));
    const all = first.map((r) => r.partialFingerprints[FINGERPRINT_KEY]);
    expect(new Set(all).size).toBe(all.length);
    for (const value of all) expect(value).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps a fingerprint when only the message or the population around it changes', () => {
    const base = aResultSet();
    const changed = aResultSet({
      identities: base.identities.filter((i) => i.kind !== 'app'),
      findings: base.findings.map((f) => ({ ...f, message: `${f.message} (again)` })),
    });
    const deployer = 'aws-iam:111111111111:user/ci-deployer';
    expect(fingerprintOf(render(changed).results, deployer, 'AKIAOLDKEY0000000001')).toBe(
      fingerprintOf(render(base).results, deployer, 'AKIAOLDKEY0000000001'),
    );
  });

  it('changes the fingerprint when the identity changes', () => {
    const base = aResultSet();
    const renamed = 'aws-iam:111111111111:role/admin-breakglass-2';
    const moved = aResultSet({
      findings: base.findings.map((f) => (f.identityId === 'aws-iam:111111111111:role/admin-breakglass' ? { ...f, identityId: renamed } : f)),
    });
    const before = render(base).results.filter((r) => r.ruleId === 'no-admin-privilege')[0]!;
    const after = render(moved).results.filter((r) => r.ruleId === 'no-admin-privilege')[0]!;
    expect(after.properties.identityId).toBe(renamed);
    expect(after.partialFingerprints[FINGERPRINT_KEY]).not.toBe(before.partialFingerprints[FINGERPRINT_KEY]);
  });

  it('reports an incomplete source as a failed invocation with an error notification', () => {
    const { run } = render();
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].toolExecutionNotifications).toEqual([
      expect.objectContaining({ level: 'error', message: { text: expect.stringContaining('github-acme') } }),
    ]);
    const complete = render(aResultSet({ sources: aResultSet().sources.filter((s) => s.verdict === 'complete') })).run;
    expect(complete.invocations).toEqual([{ executionSuccessful: true }]);
  });
});
