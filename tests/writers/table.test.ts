import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/writers/table.js';
import { aResultSet, HOSTILE_NAME } from '../helpers/result-set-builder.js';

const ANSI = /\u001b\[[0-9;]*m/g;
const width = (line: string) => [...line.replace(ANSI, '')].length;

describe('table', () => {
  it('has one row per control with its severity and counts', () => {
    const lines = renderTable(aResultSet()).split('\n');
    const row = lines.find((l) => l.startsWith('credential-rotated '))!;
    expect(row.split(/\s+/)).toEqual(['credential-rotated', 'high', '1', '2', '1', '1']);
    expect(lines.filter((l) => /^(credential|identity|no-admin|owner)-[a-z-]+ +(critical|high|medium|low|info) /.test(l))).toHaveLength(5);
  });

  it('lists the failing findings and ends with the verdict', () => {
    const complete = aResultSet();
    const output = renderTable({ ...complete, sources: complete.sources.map((s) => ({ ...s, verdict: 'complete' as const })) });
    expect(output).toContain('Failing findings (7)');
    expect(output).toMatch(/no-admin-privilege +aws-iam:111111111111:role\/admin-breakglass +Role admin-breakglass holds admin/);
    expect(output.trimEnd().split('\n').at(-1)).toBe('FAIL: 7 failing findings in 4 controls (1 excepted by waiver)');
  });

  it('renders 200 000 failing findings without overflowing the stack', () => {
    const results = aResultSet();
    const [failing] = results.findings.filter((f) => f.status === 'fail');
    const findings = Array.from({ length: 200_000 }, (_, i) => ({ ...failing!, identityId: `${failing!.identityId}-${String(i).padStart(6, '0')}` }));
    const output = renderTable({ ...results, findings });
    expect(output.trimEnd().split('\n').at(-1)).toMatch(/\(200000 failing findings\)$/);
  });

  it('warns of an incomplete source before the results', () => {
    const output = renderTable(aResultSet());
    expect(output.indexOf('INCOMPLETE: source github-acme')).toBeGreaterThan(0);
    expect(output.indexOf('INCOMPLETE: source github-acme')).toBeLessThan(output.indexOf('CONTROL'));
  });

  it('prints no colour unless asked, and colour when asked', () => {
    expect(renderTable(aResultSet(), { color: false })).not.toMatch(ANSI);
    expect(renderTable(aResultSet(), { color: true })).toMatch(ANSI);
  });

  it('keeps table rows within the given width, cutting ids in the middle', () => {
    const output = renderTable(aResultSet(), { width: 80, color: true });
    const tableLines = output.split('\n').filter((l) => /^(\u001b\[[0-9;]*m)*(CONTROL|credential|identity|no-admin|owner)/.test(l));
    expect(tableLines.length).toBeGreaterThan(10);
    for (const line of tableLines) expect(width(line)).toBeLessThanOrEqual(80);
    expect(output).toMatch(/aws-iam:\S*…\S*0000000001\]/);
  });

  it('keeps each finding on one line and never passes control characters to the terminal', () => {
    const base = aResultSet();
    const findings = base.findings.map((f) => (f.status === 'fail' ? { ...f, message: `${f.message} \u001b]0;pwned\u0007\u009b2J` } : f));
    const output = renderTable(aResultSet({ findings }), { color: false });
    expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(output).toContain(HOSTILE_NAME.replace('\n', ' '));
  });
});

describe('table: a bounded list of failures', () => {
  it('shows at most maxFindings failing findings and says how many more there are', () => {
    const results = aResultSet();
    const failing = results.findings.filter((f) => f.status === 'fail').length;
    expect(failing).toBeGreaterThan(1);
    const text = renderTable(results, { maxFindings: 1 });
    expect(text).toContain(`… and ${failing - 1} more`);
    expect(renderTable(results)).not.toContain('more (findings.csv');
  });
});

describe('table: the verdict of an incomplete collection', () => {
  it('never says PASS when a source is incomplete', () => {
    const results = aResultSet();
    expect(results.sources.some((s) => s.verdict === 'incomplete')).toBe(true);
    const text = renderTable({ ...results, findings: results.findings.filter((f) => f.status !== 'fail') });
    expect(text).toMatch(/INCOMPLETE: collection from .+ is partial; these results cannot be relied on \(0 failing findings\)/);
    expect(text).not.toContain('PASS:');
  });
});
