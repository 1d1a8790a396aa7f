import { describe, expect, it } from 'vitest';
import { controls } from '../../src/controls/index.js';
import { catalogOf, renderCatalog } from '../../src/evidence/catalog.js';
import { loadFrameworks } from '../../src/evidence/frameworks.js';
import { frameworksDir } from '../../src/paths.js';

const catalog = catalogOf(controls, loadFrameworks(frameworksDir()));

describe('control catalog', () => {
  it('lists every control with its options, their defaults and meanings, and its mappings', () => {
    expect(catalog.map((e) => e.id)).toEqual(controls.map((c) => c.meta.id));
    const unused = catalog.find((e) => e.id === 'credential-unused')!;
    expect(unused.options).toEqual([
      { name: 'maxIdleDays', default: 90, description: expect.stringContaining('since last use') },
      { name: 'graceDays', default: 7, description: expect.stringContaining('never-used') },
    ]);
    expect(catalog.find((e) => e.id === 'approval-recorded')!.options).toEqual([{ name: 'createdSince', description: expect.any(String) }]);
    expect(unused.mappings).toContainEqual({ framework: 'CIS AWS Foundations', version: '3.0', ids: ['1.12'] });
  });

  it('renders JSON that parses back to the catalog', () => {
    expect(JSON.parse(renderCatalog(catalog, 'json'))).toEqual({ controls: JSON.parse(JSON.stringify(catalog)) });
  });

  it('renders a table with a line of mappings under each control', () => {
    const lines = renderCatalog(catalog, 'table').trimEnd().split('\n');
    expect(lines).toHaveLength(catalog.length * 2);
    expect(lines[0]).toMatch(/^approval-recorded\s+high\s+Every non-human identity was approved/);
    expect(lines[1]).toMatch(/^\s+CIS GitHub 1\.2: 1\.4\.1 · NIST CSF 2\.0: PR\.AA-01, PR\.AA-05 · .*SOX ITGC COSO 2013: LA-01, LA-07, CM-01$/);
  });

  it('renders Markdown with a summary table and a section per control', () => {
    const md = renderCatalog(catalog, 'md');
    expect(md).toContain('| [`no-admin-privilege`](#no-admin-privilege) | critical | No non-human identity holds administrator privilege |');
    for (const entry of catalog) expect(md).toContain(`\n## ${entry.id}\n`);
    expect(md).toContain('| `maxAgeDays` | `90` | days since creation or last rotation an active credential may reach |');
    expect(md).toContain('| CIS AWS Foundations | 7.0 | 2.14 |');
  });
});
