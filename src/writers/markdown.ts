import type { Drift } from '../evidence/drift.js';
import type { Finding } from '../sdk/index.js';
import { safeText } from '../terminal.js';
import { describeIncompleteness, describeUnreconciled, findingSubject } from './describe.js';
import { sortResultSet } from './sorted.js';
import { summarize, type Summary, type SystemResults, type WaiverUsage } from './summary.js';
import type { RenderOptions, ResultSet, Writer } from './types.js';

export const DEFAULT_MAX_FINDINGS = 50;

/**
 * Makes provider data inert in GitHub-flavoured Markdown: punctuation that could start emphasis, code, links,
 * HTML, entities, mentions, math or a table cell boundary is backslash-escaped, and so are the `:` of `://`
 * and the `.` of `www.` (GFM turns bare URLs into links by reading the raw text, escapes and all, which
 * garbles them); line breaks become `<br>` so a table row stays one line, and other control characters are
 * dropped; bidi overrides show as escapes (`\u202e`), as on a terminal. Data never starts a line here (it sits in table cells or after our own text), so block markers such
 * as `#` and `-` need no escape.
 */
export function escapeMarkdown(text: string): string {
  return safeText(
    text
      .replace(/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '')
      .replace(/[\\`*_[\]<>|~&@$]|:(?=\/\/)|(?<=www)\./gi, '\\$&')
      .replace(/\r\n|\r|\n/g, '<br>'),
  );
}

function table(head: readonly string[], align: readonly ('l' | 'r')[], rows: readonly (string | number)[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ];
}

function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

function incompleteWarning({ incompleteSources }: Summary): string[] {
  if (incompleteSources.length === 0) return [];
  return [
    '> [!CAUTION]',
    `> **Collection incomplete: ${plural(incompleteSources.length, 'source')} could not be read in full.** ` +
      'These results do not cover the whole population and must not go to an auditor as complete.',
    ...incompleteSources.map((s) => `> - **${escapeMarkdown(s.source)}** (${escapeMarkdown(s.connector)}): ${escapeMarkdown(describeIncompleteness(s))}`),
  ];
}

function unreconciledNote({ unreconciledSources }: Summary): string[] {
  if (unreconciledSources.length === 0) return [];
  return [
    `> **Unreconciled: ${plural(unreconciledSources.length, 'source')} read without error, with no independent count to prove the listing whole.**`,
    ...unreconciledSources.map((s) => `> - **${escapeMarkdown(s.source)}** (${escapeMarkdown(s.connector)}): ${escapeMarkdown(describeUnreconciled(s))}`),
  ];
}

function headline(results: ResultSet, { counts, controls, incompleteSources }: Summary): string[] {
  const failingControls = controls.filter((c) => c.counts.fail > 0).length;
  const verdict = incompleteSources.length > 0
    ? `⚠️ ${escapeMarkdown(results.tool.name)}: collection incomplete, ${plural(counts.fail, 'failing finding')} in what was read`
    : counts.fail > 0
      ? `❌ ${escapeMarkdown(results.tool.name)}: ${plural(counts.fail, 'failing finding')} in ${plural(failingControls, 'control')}`
      : `✅ ${escapeMarkdown(results.tool.name)}: no failing findings`;
  const context = [`As of ${escapeMarkdown(results.asOf)}`];
  if (results.cycle) context.push(`cycle ${escapeMarkdown(results.cycle)}`);
  if (results.organization) context.push(escapeMarkdown(results.organization));
  return [
    `## ${verdict}`,
    '',
    `${context.join(', ').replace(/\.$/, '')}. ${plural(results.identities.length, 'identity', 'identities')} from ${plural(results.sources.length, 'source')}, ${plural(controls.length, 'control')} in force.`,
    '',
    ...table(['Pass', 'Fail', 'Excepted', 'N/A'], ['r', 'r', 'r', 'r'], [[counts.pass, counts.fail, counts.excepted, counts['not-applicable']]]),
  ];
}

function controlsSection({ controls }: Summary): string[] {
  return [
    '### Controls',
    '',
    ...table(
      ['Control', 'Severity', 'Title', 'Pass', 'Fail', 'Excepted', 'N/A'],
      ['l', 'l', 'l', 'r', 'r', 'r', 'r'],
      controls.map(({ control, counts }) => [
        `\`${control.id}\``,
        control.severity,
        escapeMarkdown(control.title),
        counts.pass,
        counts.fail > 0 ? `**${counts.fail}**` : 0,
        counts.excepted,
        counts['not-applicable'],
      ]),
    ),
  ];
}

/** The first `maxFindings` of `failing` (the first of `total`: a bounded summary holds the first few). */
function failingTable(title: string, failing: readonly Finding[], total: number, maxFindings: number): string[] {
  const shown = failing.slice(0, maxFindings);
  const rest = total - shown.length;
  return [
    title,
    '',
    ...(shown.length > 0
      ? table(
          ['Control', 'Severity', 'Identity', 'Message'],
          ['l', 'l', 'l', 'l'],
          shown.map((f) => [`\`${f.controlId}\``, f.severity, escapeMarkdown(findingSubject(f)), escapeMarkdown(f.message)]),
        )
      : []),
    ...(rest > 0 ? ['', `_…and ${rest} more (every finding is in findings.csv)._`] : []),
  ];
}

function failingSection({ failing, counts }: Summary, maxFindings: number): string[] {
  if (counts.fail === 0) return [];
  return failingTable(`### Failing findings (${counts.fail})`, failing, counts.fail, maxFindings);
}

/** Results by system of the systems registry: a row per system, then each system's failing findings. */
function systemsSection(systems: readonly SystemResults[], maxFindings: number): string[] {
  if (systems.length === 0) return [];
  return [
    '### Results by system',
    '',
    ...table(
      ['System', 'SOX key system', 'Owner', 'Identities', 'Pass', 'Fail', 'Excepted', 'N/A'],
      ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
      systems.map((s) => [
        escapeMarkdown(s.name),
        s.sox ? 'yes' : 'no',
        s.owner ? escapeMarkdown(s.owner) : '',
        s.identities,
        s.counts.pass,
        s.counts.fail > 0 ? `**${s.counts.fail}**` : 0,
        s.counts.excepted,
        s.counts['not-applicable'],
      ]),
    ),
    ...systems
      .filter((s) => s.counts.fail > 0)
      .flatMap((s) => ['', ...failingTable(`#### ${escapeMarkdown(s.name)}${s.sox ? ' (SOX key system)' : ''}: ${plural(s.counts.fail, 'failing finding')}`, s.failing, s.counts.fail, maxFindings)]),
  ];
}

function waiverRows(usages: readonly WaiverUsage[]) {
  return usages.map(({ waiver, findings }) => [
    escapeMarkdown(waiver.control),
    escapeMarkdown(waiver.identity),
    escapeMarkdown(waiver.ticket),
    escapeMarkdown(waiver.approver),
    escapeMarkdown(waiver.expires),
    findings,
  ]);
}

function waiversSection({ waivers }: Summary): string[] {
  const head = ['Control', 'Identity', 'Ticket', 'Approver', 'Expires', 'Findings'];
  const align = ['l', 'l', 'l', 'l', 'l', 'r'] as const;
  const sections = [
    { title: 'Waivers in force', uses: waivers.filter((w) => w.inForce), note: '' },
    {
      title: 'Unused waivers',
      uses: waivers.filter((w) => w.state === 'unused'),
      note: 'These waivers match no finding: the exception they cover is gone, or their identity pattern is wrong.',
    },
    {
      title: 'Expired waivers',
      uses: waivers.filter((w) => w.state === 'expired'),
      note: 'The findings these covered fail again until the waiver is renewed or the exception is fixed.',
    },
  ].filter((section) => section.uses.length > 0);
  return sections.flatMap(({ title, uses, note }, i) => [
    ...(i > 0 ? [''] : []),
    `### ${title} (${uses.length})`,
    '',
    ...(note ? [note, ''] : []),
    ...table(head, align, waiverRows(uses)),
  ]);
}

function sourcesSection(results: ResultSet): string[] {
  if (results.sources.length === 0) return [];
  return [
    '### Sources',
    '',
    ...table(
      ['Source', 'Connector', 'Verdict', 'Identities', 'Scopes'],
      ['l', 'l', 'l', 'r', 'r'],
      results.sources.map((s) => [
        escapeMarkdown(s.source),
        escapeMarkdown(s.connector),
        s.verdict === 'incomplete' ? '**INCOMPLETE**' : s.verdict,
        s.identities,
        s.scopes.length,
      ]),
    ),
  ];
}

function driftSection(drift: Drift | undefined): string[] {
  if (!drift) return [];
  return [
    `### Drift since ${escapeMarkdown(drift.baseline.cycle)} (${drift.events.length})`,
    '',
    `Compared with the sealed pack \`${escapeMarkdown(drift.baseline.runId)}\`, as of ${escapeMarkdown(drift.baseline.asOf)}.`,
    ...(drift.events.length > 0
      ? [
          '',
          ...table(
            ['Severity', 'Change', 'Identity', 'What'],
            ['l', 'l', 'l', 'l'],
            drift.events.map((e) => [e.severity, e.kind, escapeMarkdown(e.credentialId ? `${e.identityId} [${e.credentialId}]` : e.identityId), escapeMarkdown(e.message)]),
          ),
        ]
      : []),
  ];
}

/** A summary for `$GITHUB_STEP_SUMMARY` and the pack's summary.md; an incomplete source comes before anything else. */
export function renderMarkdown(results: ResultSet, options: RenderOptions = {}): string {
  const sorted = sortResultSet(results);
  const summary = summarize(sorted);
  const sections = [
    incompleteWarning(summary),
    unreconciledNote(summary),
    headline(sorted, summary),
    controlsSection(summary),
    failingSection(summary, options.maxFindings ?? DEFAULT_MAX_FINDINGS),
    systemsSection(summary.systems, options.maxFindings ?? DEFAULT_MAX_FINDINGS),
    driftSection(sorted.drift),
    waiversSection(summary),
    sourcesSection(sorted),
  ];
  return `${sections.filter((lines) => lines.length > 0).map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

const markdown: Writer = { id: 'md', fileName: 'summary.md', render: renderMarkdown, boundedLists: true };

export default markdown;
