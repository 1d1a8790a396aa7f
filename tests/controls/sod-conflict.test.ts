import control from '../../src/controls/sod-conflict.js';
import type { Grant } from '../../src/sdk/index.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const role = (name: string, line: number): Grant => ({ via: 'permission', name, ref: `agr_users.csv, line ${line}`, level: 'write', flags: [], evidence: [] });
const policy = (name: string, evidence: string[]): Grant => ({ via: 'attached', name, ref: `arn:aws:iam::2:policy/${name}`, level: 'write', flags: [], evidence });
const holding = (name: string, grants: Grant[], systems: { name: string; sox: boolean; reasons: string[] }[] = []) =>
  anIdentity({ name, privilege: { level: 'write', grants, flags: [] }, ...(systems.length > 0 ? { systems } : {}) });

const apRule = {
  name: 'invoice-and-pay',
  sides: [
    { name: 'enter vendor invoices', entitlements: ['Z_FI_AP_CLERK'] },
    { name: 'run vendor payments', entitlements: ['Z_FI_AP_PAYMENT_RUN'] },
  ],
};
const iamAndErp = {
  name: 'iam-and-erp',
  sides: [
    { name: 'change IAM', entitlements: ['iam:*'] },
    { name: 'post to the ERP', systems: ['ERP'] },
  ],
};
const erp = { name: 'ERP', sox: true, reasons: ['account 222222222222'] };

new ControlTester(control, now).run([
  {
    name: 'without rules it judges nothing',
    identities: [holding('clerk', [role('Z_FI_AP_CLERK', 3), role('Z_FI_AP_PAYMENT_RUN', 4)])],
    expect: [],
  },
  {
    name: 'both sides of a rule fail, naming each duty and the grant that gives it',
    identities: [holding('tkowalski', [role('Z_FI_AP_CLERK', 3), role('Z_FI_AP_PAYMENT_RUN', 4)])],
    options: { rules: [apRule] },
    expect: [
      {
        status: 'fail',
        message:
          'Combines segregated duties (invoice-and-pay: "enter vendor invoices" through Z_FI_AP_CLERK (agr_users.csv, line 3) and "run vendor payments" through Z_FI_AP_PAYMENT_RUN (agr_users.csv, line 4))',
        evidence: { conflicts: [{ rule: 'invoice-and-pay', sides: [{ duty: 'enter vendor invoices', through: ['Z_FI_AP_CLERK (agr_users.csv, line 3)'] }, { duty: 'run vendor payments', through: ['Z_FI_AP_PAYMENT_RUN (agr_users.csv, line 4)'] }] }] },
      },
    ],
  },
  {
    name: 'one side only passes and says which',
    identities: [holding('jchen', [role('Z_FI_AP_CLERK', 3)])],
    options: { rules: [apRule] },
    expect: [{ status: 'pass', message: 'Holds one side only: "enter vendor invoices" (invoice-and-pay)', evidence: { held: [{ rule: 'invoice-and-pay', duty: 'enter vendor invoices' }] } }],
  },
  {
    name: 'neither side passes',
    identities: [holding('reader', [role('Z_FI_GL_DISPLAY', 7)])],
    options: { rules: [apRule, iamAndErp] },
    expect: [{ status: 'pass', message: 'Holds none of the duties of the 2 rules', evidence: { held: [] } }],
  },
  {
    name: 'an action in a grant\'s evidence and a system the identity reaches make a conflict, the system with why',
    identities: [holding('journal-poster', [policy('erp-journal-posting', ['iam:PassRole'])], [erp])],
    options: { rules: [iamAndErp] },
    expect: [
      {
        status: 'fail',
        message: /"change IAM" through erp-journal-posting \(arn:aws:iam::2:policy\/erp-journal-posting\): iam:PassRole and "post to the ERP" through system ERP \(account 222222222222\)/,
      },
    ],
  },
  {
    name: 'the same action without the system passes',
    identities: [holding('iam-admin', [policy('iam-admin', ['iam:CreateUser'])])],
    options: { rules: [iamAndErp] },
    expect: [{ status: 'pass', message: 'Holds one side only: "change IAM" (iam-and-erp)' }],
  },
  {
    name: 'every conflicting rule is named',
    identities: [holding('everything', [role('Z_FI_AP_CLERK', 3), role('Z_FI_AP_PAYMENT_RUN', 4), policy('iam-admin', ['iam:CreateUser'])], [erp])],
    options: { rules: [apRule, iamAndErp] },
    expect: [{ status: 'fail', evidence: { conflicts: [{ rule: 'invoice-and-pay' }, { rule: 'iam-and-erp' }] } }],
  },
  {
    name: 'a provider-managed identity is not-applicable',
    identities: [anIdentity({ providerManaged: { reason: 'AWS manages a service-linked role' }, privilege: { level: 'write', grants: [role('Z_FI_AP_CLERK', 3), role('Z_FI_AP_PAYMENT_RUN', 4)], flags: [] } })],
    options: { rules: [apRule] },
    expect: [{ status: 'not-applicable' }],
  },
]);
