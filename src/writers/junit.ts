import { XMLBuilder } from 'fast-xml-parser';
import type { Finding } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { describeIncompleteness, describeWaiver, findingSubject } from './describe.js';
import { sortResultSet } from './sorted.js';
import { everyFinding } from './summary.js';
import type { ControlInForce, ResultSet, Writer } from './types.js';

/**
 * XML 1.0 cannot carry most control characters or lone surrogates even escaped; provider data might hold
 * them, so they become U+FFFD. The builder escapes `<&>"'` itself.
 */
function xmlText(text: string): string {
  return text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
}

/** Parsers turn line breaks in attribute values into spaces anyway; doing it here keeps the file honest. */
function xmlAttribute(text: string): string {
  return xmlText(text).replace(/[\t\n\r]+/g, ' ');
}

interface Testcase {
  '@_classname': string;
  '@_name': string;
  failure?: { '@_message': string; '@_type': string; '#text': string };
  error?: { '@_message': string; '@_type': string; '#text': string };
  skipped?: { '@_message': string };
}

function testcase(finding: Finding, control: ControlInForce): Testcase {
  const base = { '@_classname': finding.controlId, '@_name': xmlAttribute(findingSubject(finding)) };
  switch (finding.status) {
    case 'pass':
      return base;
    case 'fail':
      return {
        ...base,
        failure: {
          '@_message': xmlAttribute(finding.message),
          '@_type': finding.severity,
          '#text': xmlText(
            `${finding.message}\n\nEvidence: ${stableStringify(finding.evidence)}\nRemediation: ${control.remediation}`,
          ),
        },
      };
    case 'excepted':
      return {
        ...base,
        skipped: { '@_message': xmlAttribute(`waived: ${finding.waiver ? describeWaiver(finding.waiver) : finding.message}`) },
      };
    case 'not-applicable':
      return { ...base, skipped: { '@_message': xmlAttribute(`not applicable: ${finding.message}`) } };
  }
}

interface Suite {
  '@_name': string;
  '@_tests': number;
  '@_failures': number;
  '@_errors': number;
  '@_skipped': number;
  testcase: Testcase[];
}

function suite(name: string, testcases: Testcase[]): Suite {
  return {
    '@_name': name,
    '@_tests': testcases.length,
    '@_failures': testcases.filter((t) => t.failure).length,
    '@_errors': testcases.filter((t) => t.error).length,
    '@_skipped': testcases.filter((t) => t.skipped).length,
    testcase: testcases,
  };
}

/** An incomplete source is an error, not a failure: the controls could not see the whole population. */
function completenessSuite(results: ResultSet): Suite {
  return suite(
    'source-completeness',
    results.sources.map((source) => {
      const base = { '@_classname': 'source-completeness', '@_name': xmlAttribute(source.source) };
      if (source.verdict !== 'incomplete') return base;
      const reason = xmlAttribute(describeIncompleteness(source));
      return { ...base, error: { '@_message': `incomplete: ${reason}`, '@_type': 'incomplete', '#text': reason } };
    }),
  );
}

/**
 * JUnit XML: one testsuite per control in force and one testcase per control × identity (× credential), plus
 * a `source-completeness` suite. GitLab shows `classname` as the suite, so it carries the control id too.
 * No `time` attributes: nothing here is timed, and the bytes must not change between identical runs.
 */
const junit: Writer = {
  id: 'junit',
  fileName: 'junit.xml',
  everyFinding: true,
  render(results) {
    const sorted = sortResultSet(results);
    const byControl = new Map<string, Finding[]>();
    for (const f of everyFinding(sorted)) {
      const group = byControl.get(f.controlId);
      if (group) group.push(f);
      else byControl.set(f.controlId, [f]);
    }
    const suites = sorted.controls.map((control) =>
      suite(control.id, (byControl.get(control.id) ?? []).map((f) => testcase(f, control))),
    );
    if (sorted.sources.length > 0) suites.push(completenessSuite(sorted));
    const total = (key: '@_tests' | '@_failures' | '@_errors' | '@_skipped') => suites.reduce((sum, s) => sum + s[key], 0);
    const builder = new XMLBuilder({ ignoreAttributes: false, format: true, indentBy: '  ', suppressEmptyNode: true });
    return builder.build({
      '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
      testsuites: {
        '@_name': xmlAttribute(sorted.tool.name),
        '@_tests': total('@_tests'),
        '@_failures': total('@_failures'),
        '@_errors': total('@_errors'),
        '@_skipped': total('@_skipped'),
        testsuite: suites,
      },
    });
  },
};

export default junit;
