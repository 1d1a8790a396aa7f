import { describe, expect, it } from 'vitest';
import codequality from '../../src/writers/codequality.js';
import { inventoryJson } from '../../src/writers/json.js';
import { aResultSet } from '../helpers/result-set-builder.js';

interface Issue {
  type: string;
  check_name: string;
  description: string;
  severity: string;
  fingerprint: string;
  location: { path: string; lines: { begin: number } };
}

const render = (options = {}) => JSON.parse(codequality.render(aResultSet(), options)) as Issue[];

describe('GitLab Code Quality', () => {
  it('has one issue per failing finding with the fields GitLab requires', () => {
    const results = aResultSet();
    const issues = render({ config: 'nhi-audit.yaml' });
    expect(issues).toHaveLength(results.findings.filter((f) => f.status === 'fail').length);
    for (const issue of issues) {
      expect(Object.keys(issue).sort()).toEqual(['categories', 'check_name', 'description', 'fingerprint', 'location', 'severity', 'type']);
      expect(['info', 'minor', 'major', 'critical', 'blocker']).toContain(issue.severity);
      expect(issue.fingerprint).toMatch(/^[0-9a-f]{32}$/);
      expect(issue.location).toEqual({ path: 'nhi-audit.yaml', lines: { begin: 1 } });
    }
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length);
  });

  it('places each issue at its identity in the pack inventory when there is a pack', () => {
    const inventory = inventoryJson.render(aResultSet()).split('\n');
    for (const issue of render({ pack: 'evidence/2026-Q4/run' })) {
      expect(issue.location.path).toBe('evidence/2026-Q4/run/inventory.json');
      expect(inventory[issue.location.lines.begin - 1]).toBe('    {');
      const end = inventory.findIndex((line, i) => i >= issue.location.lines.begin && /^ {4}\},?$/.test(line));
      const object = JSON.parse(inventory.slice(issue.location.lines.begin - 1, end + 1).join('\n').replace(/,$/, ''));
      expect(issue.description.startsWith(`${object.id}`)).toBe(true);
    }
  });

  it('maps critical to blocker and high to critical', () => {
    const bySeverity = new Map(render().map((i) => [i.check_name, i.severity]));
    const results = aResultSet();
    for (const finding of results.findings.filter((f) => f.status === 'fail')) {
      expect(bySeverity.get(finding.controlId)).toBe({ critical: 'blocker', high: 'critical', medium: 'major', low: 'minor', info: 'info' }[finding.severity]);
    }
  });
});
