import { describe, expect, it } from 'vitest';
import { loadReportText } from '../../src/evidence/report.js';
import type { Finding, Identity } from '../../src/sdk/index.js';
import { renderReportPdf, type ReportModel } from '../../src/writers/pdf.js';
import { anIdentity } from '../helpers/identity-builder.js';
import { pdfPageCount, pdfText } from '../helpers/pdf-text.js';
import { AS_OF, aResultSet } from '../helpers/result-set-builder.js';

async function model(overrides: Partial<ReportModel> = {}): Promise<ReportModel> {
  const results = aResultSet();
  return {
    results,
    text: await loadReportText(),
    run: {
      runId: '20261120T000000Z-abcdef',
      cycle: { id: '2026-Q4', start: '2026-10-01', end: '2026-12-31' },
      asOf: AS_OF.toISOString(),
      finishedAt: '2026-11-20T00:05:00.000Z',
      keyId: 'f'.repeat(64),
      operator: 'auditor@laptop',
      verdict: 'incomplete',
    },
    population: { identities: results.identities.length, evaluated: results.identities.length, excluded: [{ reason: 'classified as a person', identities: 2 }] },
    samples: [],
    ...overrides,
  };
}

describe('report.pdf', () => {
  it('has the cover facts and every section, in order', async () => {
    const text = await pdfText(await renderReportPdf(await model()));
    const order = ['2026-Q4: 2026-10-01 to 2026-12-31', '20261120T000000Z-abcdef', 'INCOMPLETE', 'f'.repeat(64), '1. Scope, population and methodology', '2. Control results', '3. Exceptions', '4. Waivers', '5. Recertification', '6. Changes since the previous cycle', 'first pack in the chain', '7. Sample selections', '8. Review and sign-off', 'Appendix: population'];
    let at = -1;
    for (const fragment of order) {
      const next = text.indexOf(fragment, at + 1);
      expect(next, fragment).toBeGreaterThan(at);
      at = next;
    }
  });

  it('renders text outside Latin-1 (identity names in any script)', async () => {
    const results = aResultSet();
    const text = await pdfText(await renderReportPdf(await model({ results: { ...results, organization: 'Société Générale Ωmega Ltd' } })));
    expect(text).toContain('Société Générale Ωmega Ltd');
  });

  it('shows changes and samples when there are some', async () => {
    const text = await pdfText(
      await renderReportPdf(
        await model({
          changes: { fromCycle: '2026-Q3', fromRunId: 'r-q3', counts: [{ label: 'Identities added', count: 1 }], lines: ['Added: aws-iam:1:role/new'] },
          samples: [{ id: 'sample_x', seed: '42', filter: { status: 'fail' }, populationSize: 9, populationSha256: 'a'.repeat(64), selected: [{ controlId: 'owner-assigned', identityId: 'aws-iam:1:user/x', status: 'fail' }] }],
        }),
      ),
    );
    expect(text).toContain('Compared with: 2026-Q3, run r-q3');
    expect(text).toContain('Added: aws-iam:1:role/new');
    expect(text).toContain('sample_x');
    expect(text).toContain('1 of 9 items');
  });

  it('stays a readable size for 100 000 identities: bounded lists that point to the CSVs', async () => {
    const base = aResultSet();
    const identities: Identity[] = [];
    const findings: Finding[] = [];
    const template = anIdentity();
    for (let i = 0; i < 100_000; i++) {
      const id = `aws-iam:111111111111:user/batch-${String(i).padStart(6, '0')}`;
      identities.push({ ...template, id, name: `batch-${i}` });
      findings.push({ controlId: base.controls[0]!.id, identityId: id, status: 'fail', severity: 'high', message: 'No owner', evidence: {} });
    }
    const pdf = await renderReportPdf(await model({ results: { ...base, identities, findings } }));
    const pages = await pdfPageCount(pdf);
    expect(pages).toBeLessThan(60);
    const text = await pdfText(pdf);
    expect(text).toContain('in exceptions.csv');
    expect(text).toContain('The first 300 of 100000 identities');
  });
});
