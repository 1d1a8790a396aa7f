import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import junit from '../../src/writers/junit.js';
import type { ResultSet } from '../../src/writers/types.js';
import { aResultSet, HOSTILE_MESSAGE, ROTATION_WAIVER } from '../helpers/result-set-builder.js';

interface Testcase {
  '@_classname': string;
  '@_name': string;
  failure?: { '@_message': string; '@_type': string; '#text': string };
  error?: { '@_message': string; '#text': string };
  skipped?: { '@_message': string };
}
interface Suite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  '@_skipped': string;
  testcase?: Testcase[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => name === 'testsuite' || name === 'testcase',
});

function parse(results: ResultSet = aResultSet()) {
  const xml = junit.render(results);
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = parser.parse(xml);
  const suites = doc.testsuites.testsuite as Suite[];
  return { xml, root: doc.testsuites, suites, suite: (name: string) => suites.find((s) => s['@_name'] === name)! };
}

describe('JUnit XML', () => {
  it('has one suite per control in force, then source completeness', () => {
    const { suites } = parse();
    expect(suites.map((s) => s['@_name'])).toEqual([
      'credential-expiry-set',
      'credential-rotated',
      'identity-described',
      'no-admin-privilege',
      'owner-assigned',
      'source-completeness',
    ]);
  });

  it('counts tests, failures, errors and skips per suite and in total, matching the testcases', () => {
    const { root, suites, suite } = parse();
    expect(suite('credential-rotated')).toMatchObject({ '@_tests': '5', '@_failures': '2', '@_errors': '0', '@_skipped': '2' });
    expect(suite('identity-described')).toMatchObject({ '@_tests': '0', '@_failures': '0', '@_skipped': '0' });
    expect(suite('source-completeness')).toMatchObject({ '@_tests': '3', '@_errors': '1' });
    for (const s of suites) {
      const cases = s.testcase ?? [];
      expect(Number(s['@_tests'])).toBe(cases.length);
      expect(Number(s['@_failures'])).toBe(cases.filter((c) => c.failure).length);
      expect(Number(s['@_errors'])).toBe(cases.filter((c) => c.error).length);
      expect(Number(s['@_skipped'])).toBe(cases.filter((c) => c.skipped).length);
    }
    expect(root).toMatchObject({ '@_name': 'nhi-audit', '@_tests': '16', '@_failures': '7', '@_errors': '1', '@_skipped': '2' });
  });

  it('names each testcase by control (classname) and identity plus credential', () => {
    const { suites, suite } = parse();
    for (const s of suites) for (const c of s.testcase ?? []) expect(c['@_classname']).toBe(s['@_name']);
    expect(suite('credential-rotated').testcase!.map((c) => c['@_name'])).toContain(
      'aws-iam:111111111111:user/ci-deployer [AKIAOLDKEY0000000001]',
    );
  });

  it('fails with the message, severity, evidence and remediation', () => {
    const failure = parse().suite('credential-rotated').testcase!.find((c) => c['@_name'].includes('AKIAOLDKEY'))!.failure!;
    expect(failure['@_message']).toBe('Credential AKIAOLDKEY0000000001 is 200 days old (limit 90)');
    expect(failure['@_type']).toBe('high');
    expect(failure['#text']).toContain('Evidence: {"ageDays":200,"maxAgeDays":90}');
    expect(failure['#text']).toContain('Remediation: How to fix credential-rotated');
  });

  it('skips waived findings with the waiver and not-applicable ones with the reason', () => {
    const cases = parse().suite('credential-rotated').testcase!;
    const waived = cases.find((c) => c['@_name'].startsWith('gcp:'))!;
    expect(waived.skipped!['@_message']).toMatch(/^waived: /);
    expect(waived.skipped!['@_message']).toContain(ROTATION_WAIVER.reason);
    expect(waived.skipped!['@_message']).toContain('ticket RISK-77');
    expect(cases.find((c) => c['@_name'] === 'github:acme:app/reporting-bot')!.skipped!['@_message']).toBe('not applicable: No active credential');
  });

  it('escapes markup so special characters come back exactly', () => {
    const failure = parse().suite('owner-assigned').testcase!.find((c) => c['@_name'] === 'github:acme:token/hostile')!.failure!;
    expect(failure['#text'].startsWith(HOSTILE_MESSAGE)).toBe(true);
    expect(failure['@_message']).toBe(HOSTILE_MESSAGE.replace('\n', ' '));
  });

  it('stays well-formed when data holds characters XML cannot carry', () => {
    const base = aResultSet();
    const results = aResultSet({ findings: base.findings.map((f) => ({ ...f, message: `bad \u0001 byte \uD800 ]]> end` })) });
    const { suite } = parse(results);
    expect(suite('no-admin-privilege').testcase![0]!.failure!['@_message']).toBe('bad \uFFFD byte \uFFFD ]]> end');
  });

  it('reports an incomplete source as an error', () => {
    const source = parse().suite('source-completeness').testcase!.find((c) => c['@_name'] === 'github-acme')!;
    expect(source.error!['@_message']).toContain('actions.listOrgSecrets: Forbidden');
  });
});
