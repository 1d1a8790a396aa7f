import { XMLBuilder } from 'fast-xml-parser';
import type { Finding } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { describeIncompleteness, describeWaiver, findingSubject } from './describe.js';
import { sortResultSet } from './sorted.js';
import { everyFinding, summarize, zeroCounts } from './summary.js';
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

const newBuilder = () => new XMLBuilder({ ignoreAttributes: false, format: true, indentBy: '  ', suppressEmptyNode: true });

/** The document around its suites, each suite's counts and testcases given. */
function junitDocument(results: ResultSet, suites: Suite[]) {
  const total = (key: '@_tests' | '@_failures' | '@_errors' | '@_skipped') => suites.reduce((sum, s) => sum + s[key], 0);
  return {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': xmlAttribute(results.tool.name),
      '@_tests': total('@_tests'),
      '@_failures': total('@_failures'),
      '@_errors': total('@_errors'),
      '@_skipped': total('@_skipped'),
      testsuite: suites,
    },
  };
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
    return newBuilder().build(junitDocument(sorted, suites));
  },
};

export default junit;

/** Testcases built at once: the builder's output for them is one string. */
const TESTCASE_BATCH = 1000;

/** Stands in a suite's place in the document for the testcases streamed there. */
const PLACEHOLDER = '\u0000testcases';

/** Testcases as the builder writes them inside a suite: four spaces in, a line or more each. */
function testcaseText(builder: XMLBuilder, testcases: Testcase[]): string {
  const text: string = builder.build({ testsuites: { testsuite: { '@_name': '', testcase: testcases } } });
  return text.slice(text.indexOf('\n', text.indexOf('\n') + 1) + 1, text.lastIndexOf('  </testsuite>\n'));
}

/**
 * The same bytes as the writer renders from every finding, from a set that holds only the listed findings and
 * their summary, and every finding streamed in canonical order (a sealed pack's findings.json): each suite's
 * counts come from the summary, its testcases are written as the findings pass, and no finding is held.
 */
export async function* junitStreamed(results: ResultSet, findings: AsyncIterable<Finding>): AsyncGenerator<string> {
  const sorted = sortResultSet(results);
  const counts = new Map(summarize(sorted).controls.map((c) => [c.control.id, c.counts]));
  const tested = sorted.controls.map((control) => {
    const c = counts.get(control.id) ?? zeroCounts();
    return { control, counts: c, tests: c.pass + c.fail + c.excepted + c['not-applicable'] };
  });
  const suites: Suite[] = tested.map(({ control, counts: c, tests }) => ({
    '@_name': control.id,
    '@_tests': tests,
    '@_failures': c.fail,
    '@_errors': 0,
    '@_skipped': c.excepted + c['not-applicable'],
    testcase: tests > 0 ? [{ '@_classname': PLACEHOLDER, '@_name': control.id }] : [],
  }));
  if (sorted.sources.length > 0) suites.push(completenessSuite(sorted));
  const builder = newBuilder();
  // The document with one placeholder testcase a suite, cut at the placeholders: the suites' testcases go between.
  const pieces = (builder.build(junitDocument(sorted, suites)) as string).split(/ {4}<testcase classname="\u0000testcases" name="[^"]*"\/>\n/);
  const streamed = tested.filter((t) => t.tests > 0);
  let at = 0;
  let written = 0;
  let testcases: Testcase[] = [];
  yield pieces[0]!;
  for await (const finding of findings) {
    const current = streamed[at];
    if (!current) throw new Error('internal: more findings than the summary counts');
    if (finding.controlId !== current.control.id) throw new Error(`internal: a finding of ${finding.controlId} where the summary counts ${current.control.id}'s`);
    testcases.push(testcase(finding, current.control));
    if (++written === current.tests) {
      yield testcaseText(builder, testcases);
      testcases = [];
      written = 0;
      yield pieces[++at]!;
    } else if (testcases.length === TESTCASE_BATCH) {
      yield testcaseText(builder, testcases);
      testcases = [];
    }
  }
  if (at !== streamed.length) throw new Error('internal: fewer findings than the summary counts');
}
