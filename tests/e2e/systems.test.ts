import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pdfText } from '../helpers/pdf-text.js';
import { cli, packsIn, ROOT, tempDir } from './cli.js';

const AS_OF = '2026-11-20';
const SAP = path.join(ROOT, 'fixtures/demo-org/file/sap-prd');

/** The demo's ERP export (users, role assignments, batch jobs), read by the file connector's sap preset. */
const CONFIG = [
  'sources:',
  '  - name: sap',
  '    connector: file',
  '    preset: sap',
  '    system: SAP S/4HANA PRD, client 100',
  '    scope: PRD-100',
  '    export: { path: usr02.csv, report: SE16N USR02, producedBy: mkeller, producedAt: 2026-11-19T16:05:00Z, expectedRows: 8 }',
  '    related:',
  '      - { adds: entitlements, path: agr_users.csv, report: SE16N AGR_USERS, expectedRows: 10 }',
  '      - { adds: usedBy, path: tbtcp.csv, report: SE16N TBTCP, expectedRows: 4 }',
  '    rules:',
  '      - { match: Z_FI_GL_POSTING, level: write }',
  '      - { match: Z_FI_AP_PAYMENT_RUN, level: write }',
  '      - { match: Z_FI_AP_CLERK, level: write }',
  '      - { match: Z_WF_RUNTIME, level: write }',
  '      - { match: Z_*_READ, level: read }',
  '      - { match: Z_*_DISPLAY, level: read }',
  'signing: { privateKeyFile: keys/nhi-audit.key }',
  'enrich: { systems: systems.yaml }',
];

const REGISTRY = `
systems:
  - name: General ledger
    sox: true
    owner: controller@corvid.example
    select:
      resources: [Z_FI_GL_*]
  - name: Payables
    sox: true
    owner: ap-lead@corvid.example
    select:
      resources: ['Z_FI_AP_*']
  - name: Workflow
    sox: false
    owner: basis@corvid.example
    select:
      identities: ['file:PRD-100:WF-*']
segregationOfDuties:
  - name: invoice-and-pay
    sides:
      - { name: enter vendor invoices, entitlements: [Z_FI_AP_CLERK] }
      - { name: run vendor payments, entitlements: [Z_FI_AP_PAYMENT_RUN] }
`;

async function workspace(registry = REGISTRY, extra: string[] = []): Promise<string> {
  const cwd = await tempDir('systems');
  expect((await cli(['keys', 'generate', '--out', 'keys'], { cwd })).code).toBe(0);
  for (const file of ['usr02.csv', 'agr_users.csv', 'tbtcp.csv']) await copyFile(path.join(SAP, file), path.join(cwd, file));
  await writeFile(path.join(cwd, 'systems.yaml'), registry);
  await writeFile(path.join(cwd, 'nhi-audit.yaml'), [...CONFIG, ...extra].join('\n'));
  return cwd;
}

interface Finding {
  controlId: string;
  severity: string;
  identityId: string;
  status: string;
  message: string;
  evidence: Record<string, unknown>;
}

describe('the systems registry and sod-conflict, through the CLI', () => {
  let cwd: string;
  let pack: string;
  let findings: Finding[];

  beforeAll(async () => {
    cwd = await workspace(REGISTRY, [
      'controls:',
      '  credential-rotated:',
      '    maxAgeDays: 5000',
      '    systems: { General ledger: { maxAgeDays: 90 } }',
      // Setting the control (its options then carry their defaults) keeps the registry's rules.
      '  sod-conflict: { severity: critical }',
    ]);
    const result = await cli(['run', '--as-of', AS_OF, '--format', 'json'], { cwd });
    expect(result.stderr).toMatch(/^Evidence pack: /);
    [pack] = (await packsIn(path.join(cwd, 'evidence'))) as [string];
    findings = JSON.parse(result.stdout).findings;
  });

  it('gives each identity the systems it reaches and why, and seals the registry with the inputs', async () => {
    const { identities } = JSON.parse(await readFile(path.join(pack, 'inventory.json'), 'utf8')) as { identities: { id: string; systems?: unknown }[] };
    const systemsOf = (id: string) => identities.find((i) => i.id === id)?.systems;
    expect(systemsOf('file:PRD-100:TKOWALSKI')).toEqual([{ name: 'Payables', sox: true, reasons: ['grant Z_FI_AP_CLERK (agr_users.csv, line 5)', 'grant Z_FI_AP_PAYMENT_RUN (agr_users.csv, line 6)'] }]);
    expect(systemsOf('file:PRD-100:SVC_GL_POST')).toEqual([
      { name: 'General ledger', sox: true, reasons: ['grant Z_FI_GL_DISPLAY (agr_users.csv, line 7)', 'grant Z_FI_GL_POSTING (agr_users.csv, line 8)'] },
    ]);
    expect(systemsOf('file:PRD-100:WF-BATCH')).toEqual([{ name: 'Workflow', sox: false, reasons: ['identity file:PRD-100:WF-*'] }]);
    expect(systemsOf('file:PRD-100:SVC_BW_EXTRACT')).toBeUndefined();

    const manifest = JSON.parse(await readFile(path.join(pack, 'manifest.json'), 'utf8'));
    const sealed = manifest.ipe.inputs.find((i: { kind: string }) => i.kind === 'systems');
    expect(sealed).toMatchObject({ path: 'inputs/systems/systems.yaml', rows: 4 });
    expect(await readFile(path.join(pack, sealed.path), 'utf8')).toBe(REGISTRY);
    const enrichment = JSON.parse(await readFile(path.join(pack, 'enrichment.json'), 'utf8'));
    const changes = (enrichment.changes ?? enrichment) as { identityId: string; absent: string[] }[];
    expect(changes.find((c) => c.identityId === 'file:PRD-100:TKOWALSKI')?.absent).toContain('systems');

    const reperformed = await cli(['reperform', pack, '--public-key', 'keys/nhi-audit.pub'], { cwd });
    expect(reperformed.stdout).toMatch(/^IDENTICAL: /);
    expect(reperformed.stdout).toContain('systems 4 rows');
  });

  it('fails the identity that combines both duties, naming each and the grant that gives it', () => {
    const sod = (id: string) => findings.find((f) => f.controlId === 'sod-conflict' && f.identityId === `file:PRD-100:${id}`);
    expect(sod('TKOWALSKI')).toMatchObject({
      status: 'fail',
      severity: 'critical',
      message:
        'Combines segregated duties (invoice-and-pay: "enter vendor invoices" through Z_FI_AP_CLERK (agr_users.csv, line 5) and "run vendor payments" through Z_FI_AP_PAYMENT_RUN (agr_users.csv, line 6))',
    });
    expect(sod('SVC_GL_POST')).toMatchObject({ status: 'pass', message: 'Holds none of the duties of the rule' });
  });

  it("judges identities reaching a system under its stricter options, and the others under the control's own", () => {
    const rotated = (id: string) => findings.find((f) => f.controlId === 'credential-rotated' && f.identityId === `file:PRD-100:${id}`);
    expect(rotated('SVC_GL_POST')).toMatchObject({ status: 'fail', evidence: expect.objectContaining({ system: 'General ledger' }) });
    expect(rotated('SVC_GL_POST')!.message).toContain("(under system General ledger's stricter options)");
    // Its password is as old, but it reaches no system with stricter options.
    expect(rotated('SVC_BW_EXTRACT')?.status).toBe('pass');
  });

  it('groups the Markdown summary by system and adds "Systems in scope" to report.pdf', async () => {
    const summary = await readFile(path.join(pack, 'summary.md'), 'utf8');
    expect(summary).toContain('### Results by system');
    // JCHEN enters invoices too: a person, counted in the system but not judged.
    expect(summary).toContain('| Payables | yes | ap-lead\\@corvid.example | 2 | 4 | **4** | 0 | 9 |'); // 9: recertification-completed is not applicable without a campaign
    expect(summary).toContain('#### Payables (SOX key system): 4 failing findings');
    const text = await pdfText(await readFile(path.join(pack, 'report.pdf')));
    expect(text).toContain('Systems in scope');
    expect(text).toContain('ap-lead@corvid.example');
  });

  it('with --systems sox judges only the identities reaching a SOX key system and says how many it left out', async () => {
    const result = await cli(['check', '--as-of', AS_OF, '--systems', 'sox', '--format', 'json', '--fail-on', 'none'], { cwd });
    expect(result.code).toBe(0);
    const judged = new Set((JSON.parse(result.stdout).findings as Finding[]).map((f) => f.identityId));
    expect(judged.has('file:PRD-100:TKOWALSKI')).toBe(true);
    expect(judged.has('file:PRD-100:SVC_GL_POST')).toBe(true);
    expect(judged.has('file:PRD-100:WF-BATCH')).toBe(false);
    expect(judged.has('file:PRD-100:SVC_BW_EXTRACT')).toBe(false);

    const named = await cli(['check', '--as-of', AS_OF, '--systems', 'Workflow', '--format', 'json', '--fail-on', 'none'], { cwd });
    expect(new Set((JSON.parse(named.stdout).findings as Finding[]).map((f) => f.identityId))).toEqual(new Set(['file:PRD-100:WF-BATCH']));
  });

  it('refuses an unknown system in --systems with exit 2', async () => {
    const result = await cli(['check', '--as-of', AS_OF, '--systems', 'Treasury'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('evaluate.systems[0]: unknown system "Treasury"; the systems registry lists General ledger, Payables, Workflow');
  });
});

describe('a bad systems registry', () => {
  it('names the file, each field and the fix, exits 2 and writes nothing', async () => {
    const cwd = await workspace(
      [
        'systems:',
        '  - name: ERP',
        '    owner: controller@corvid.example',
        '    select: { accounts: ["222222222222"] }',
        '  - name: ERP',
        '    sox: true',
        '    owner: controller@corvid.example',
        '    select: {}',
        'segregationOfDuties:',
        '  - name: invoice-and-pay',
        '    sides:',
        '      - { name: enter vendor invoices }',
        '      - { name: run vendor payments, systems: [Payables] }',
      ].join('\n'),
    );
    const result = await cli(['run', '--as-of', AS_OF], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const file = path.join(cwd, 'systems.yaml');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toContain(`${file}: systems[0].sox: say whether it is a SOX key system: sox: true or sox: false`);
    expect(lines).toContain(
      `${file}: systems[1].select: select the identities that reach the system: name at least one of accounts, projects, organizations, identities, tags, resources, repositories, trust`,
    );
    expect(lines).toContain(`${file}: segregationOfDuties[0].sides[0]: a side needs entitlements (grant patterns such as iam:* or Z_FI_AP_PAYMENT_RUN) or systems (names from the registry), or both`);
    expect(existsSync(path.join(cwd, 'evidence'))).toBe(false);
  });

  it('refuses duplicate names and a rule naming an unknown system', async () => {
    const cwd = await workspace(
      [
        'systems:',
        '  - { name: ERP, sox: true, owner: controller, select: { organizations: [PRD-100] } }',
        '  - { name: ERP, sox: false, owner: basis, select: { organizations: [PRD-200] } }',
        'segregationOfDuties:',
        '  - { name: r, sides: [{ name: a, systems: [ERP] }, { name: b, systems: [Payables] }] }',
      ].join('\n'),
    );
    const result = await cli(['check', '--as-of', AS_OF], { cwd });
    expect(result.code).toBe(2);
    const file = path.join(cwd, 'systems.yaml');
    expect(result.stderr).toContain(`${file}: systems[1].name: "ERP" names another system too; names must be unique`);
    expect(result.stderr).toContain(`${file}: segregationOfDuties[0].sides[1].systems[0]: unknown system "Payables"; the registry lists ERP`);
  });

  it('refuses a control override for a system the registry does not list', async () => {
    const cwd = await workspace(REGISTRY, ['controls:', '  credential-rotated: { systems: { Treasury: { maxAgeDays: 30 } } }']);
    const result = await cli(['check', '--as-of', AS_OF], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`nhi-audit.yaml: controls.credential-rotated.systems.Treasury: unknown system "Treasury"; the systems registry lists General ledger, Payables, Workflow`);
  });
});
