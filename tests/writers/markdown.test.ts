import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { describe, expect, it } from 'vitest';
import { escapeMarkdown, renderMarkdown } from '../../src/writers/markdown.js';
import type { ResultSet } from '../../src/writers/types.js';
import { aResultSet, HOSTILE_MESSAGE } from '../helpers/result-set-builder.js';

/** GitHub's dialect, parsed by a spec-following GFM parser; `<br>` is the only raw HTML the writer emits. */
function toHtml(markdown: string): string {
  return micromark(markdown, { extensions: [gfm()], htmlExtensions: [gfmHtml()], allowDangerousHtml: true });
}

/** Each table as rows of cell HTML, header row first. */
function tables(html: string): string[][][] {
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map(([, body]) =>
    [...body!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(([, row]) => [...row!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map(([, cell]) => cell!)),
  );
}

function text(cellHtml: string): string {
  return cellHtml
    .replace(/<br>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

const allComplete = (results: ResultSet) => results.sources.filter((s) => s.verdict === 'complete');

describe('Markdown summary', () => {
  it('puts an incomplete source first, loudly', () => {
    const markdown = renderMarkdown(aResultSet());
    expect(markdown.split('\n')[0]).toBe('> [!CAUTION]');
    expect(markdown.split('\n\n')[0]).toMatch(/Collection incomplete.*\n> - \*\*github-acme\*\* \(github\): acme: actions\.listOrgSecrets/);
  });

  it('has no warning when every source is complete', () => {
    const base = aResultSet();
    expect(renderMarkdown(aResultSet({ sources: allComplete(base) }))).not.toContain('CAUTION');
  });

  it('leads with the verdict and the counts', () => {
    const complete = aResultSet().sources.map((s) => ({ ...s, verdict: 'complete' as const }));
    const markdown = renderMarkdown(aResultSet({ sources: complete }));
    expect(markdown).toContain('## ❌ nhi-audit: 7 failing findings in 4 controls');
    expect(renderMarkdown(aResultSet())).toContain('## ⚠️ nhi-audit: collection incomplete, 7 failing findings in what was read');
    const counts = tables(toHtml(markdown))[0]!;
    expect(counts.map((row) => row.map(text))).toEqual([
      ['Pass', 'Fail', 'Excepted', 'N/A'],
      ['4', '7', '1', '1'],
    ]);
    const passing = aResultSet({ sources: complete, findings: aResultSet().findings.filter((f) => f.status !== 'fail') });
    expect(renderMarkdown(passing)).toContain('## ✅ nhi-audit: no failing findings');
  });

  it('has one table row per control', () => {
    const controls = tables(toHtml(renderMarkdown(aResultSet())))[1]!;
    expect(controls.slice(1).map((row) => text(row[0]!))).toEqual([
      'credential-expiry-set',
      'credential-rotated',
      'identity-described',
      'no-admin-privilege',
      'owner-assigned',
    ]);
    expect(controls.find((row) => text(row[0]!) === 'credential-rotated')!.slice(3).map(text)).toEqual(['1', '2', '1', '1']);
  });

  it('keeps table rows whole when a message holds pipes, newlines and markup', () => {
    const html = toHtml(renderMarkdown(aResultSet()));
    const failing = tables(html)[2]!;
    for (const row of failing) expect(row).toHaveLength(4);
    expect(failing.slice(1).map((row) => text(row[3]!))).toContain(HOSTILE_MESSAGE);
    expect(html).not.toMatch(/<(?!\/?(?:table|thead|tbody|tr|th|td|h2|h3|p|em|strong|code|blockquote|ul|li|br)\b)[a-z]/i);
  });

  it('escapes every character that would start markup, mentions or math', () => {
    const hostile = 'a|b *c* _d_ `e` [f](g) <h> &amp; @team $x$ ~~s~~ \\ https://x.test/?a=1&b=2 WWW.x.test a@b.test';
    const [cell] = tables(toHtml(`| x |\n|---|\n| ${escapeMarkdown(hostile)} |\n`))[0]![1]!;
    expect(cell).not.toContain('<a ');
    expect(text(cell!)).toBe(hostile);
  });

  it('bounds the failing findings and says how many more there are', () => {
    const markdown = renderMarkdown(aResultSet(), { maxFindings: 2 });
    expect(tables(toHtml(markdown))[2]).toHaveLength(3);
    expect(markdown).toContain('…and 5 more');
    expect(renderMarkdown(aResultSet())).not.toContain('more (every finding');
  });

  it('lists waivers in force with their matches, unused waivers and expired ones', () => {
    const markdown = renderMarkdown(aResultSet());
    const html = toHtml(markdown);
    const section = (title: string) => html.split(`<h3>${title}`)[1]!.split('<h3>')[0]!;
    expect(section('Waivers in force (2)')).toMatch(/RISK-77<\/td>[\s\S]*<td align="right">1<\/td>/);
    expect(section('Unused waivers (1)')).toContain('RISK-12');
    expect(section('Unused waivers (1)')).not.toContain('RISK-77');
    expect(section('Waivers in force (2)')).not.toContain('RISK-9');
    expect(section('Expired waivers (1)')).toMatch(/RISK-9<\/td>[\s\S]*<td align="right">1<\/td>/);
  });

  it('shows each source with its completeness', () => {
    const rows = tables(toHtml(renderMarkdown(aResultSet()))).at(-1)!;
    expect(rows.slice(1).map((row) => [text(row[0]!), text(row[2]!)])).toEqual([
      ['aws-test', 'complete'],
      ['gcp-fin', 'complete'],
      ['github-acme', 'INCOMPLETE'],
    ]);
  });
});
