import control from '../../src/controls/approval-recorded.js';
import type { Approval } from '../../src/sdk/index.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const createdAt = '2024-09-01T10:00:00.000Z';
const approval = (overrides: Partial<Approval> = {}): Approval => ({
  ticket: 'CHG-0712',
  requester: 'ana@corvid.example',
  approver: 'controller@corvid.example',
  approvedAt: '2024-08-28T00:00:00.000Z',
  ...overrides,
});

new ControlTester(control, now).run([
  {
    name: 'an approval before creation by someone other than the requester passes',
    identities: [anIdentity({ createdAt, approval: approval() })],
    expect: [{ status: 'pass', message: /CHG-0712 approved by controller@corvid.example on 2024-08-28/, evidence: { ticket: 'CHG-0712', createdAt } }],
  },
  {
    name: 'an approval at the very instant of creation passes',
    identities: [anIdentity({ createdAt, approval: approval({ approvedAt: '2024-09-01T10:00:00Z' }) })],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'no approval fails',
    identities: [anIdentity({ createdAt })],
    expect: [{ status: 'fail', message: /No approval recorded/, evidence: { approval: null } }],
  },
  {
    name: 'an approval after creation fails',
    identities: [anIdentity({ createdAt, approval: approval({ approvedAt: '2024-09-06T00:00:00.000Z' }) })],
    expect: [{ status: 'fail', message: /approved 2024-09-06T00:00:00.000Z after it was created/ }],
  },
  {
    name: 'approving your own request fails, whatever the case of the address',
    identities: [anIdentity({ createdAt, approval: approval({ requester: 'Tomas@corvid.example', approver: 'tomas@corvid.example' }) })],
    expect: [{ status: 'fail', message: /approved their own request/ }],
  },
  {
    name: 'both problems are reported together',
    identities: [anIdentity({ createdAt, approval: approval({ requester: 'x', approver: 'x', approvedAt: '2025-01-01T00:00:00.000Z' }) })],
    expect: [{ status: 'fail', message: /after it was created .*; x approved their own request/ }],
  },
  {
    name: 'an approval without a requester cannot show segregation of duties',
    identities: [anIdentity({ createdAt, approval: { ticket: 'T', approver: 'a', approvedAt: '2024-01-01T00:00:00.000Z' } })],
    expect: [{ status: 'fail', message: /requester is not recorded/ }],
  },
  {
    name: 'an unknown creation date cannot show the approval came first',
    identities: [anIdentity({ createdAt: null, approval: approval() })],
    expect: [{ status: 'fail', message: /creation date is unknown/ }],
  },
  {
    name: 'identities created before the period are not applicable when a period is set',
    options: { createdSince: '2026-10-01' },
    identities: [anIdentity({ createdAt }), anIdentity({ name: 'new', createdAt: '2026-10-01T00:00:00.000Z' })],
    expect: [{ status: 'not-applicable', message: /before 2026-10-01/ }, { status: 'fail' }],
  },
  {
    name: 'applies to every kind',
    identities: [anIdentity({ kind: 'role', createdAt, approval: approval() }), anIdentity({ kind: 'ci-secret', createdAt })],
    expect: [{ status: 'pass' }, { status: 'fail' }],
  },
]);
