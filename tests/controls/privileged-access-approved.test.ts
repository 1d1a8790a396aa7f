import control from '../../src/controls/privileged-access-approved.js';
import type { Privilege } from '../../src/sdk/index.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity, daysAgo } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const admin: Privilege = { level: 'admin', grants: [], flags: ['admin'] };
const listed = (recertifiedDaysAgo: number) => ({ approver: 'cfo-delegate@corvid.example', ticket: 'CHG-1042', recertifiedAt: daysAgo(now, recertifiedDaysAgo), source: 'registry:privileged-access.csv' });

new ControlTester(control, now).run([
  {
    name: 'an approved administrator recertified 92 days ago passes',
    identities: [anIdentity({ kind: 'role', privilege: admin, privilegedAccess: listed(92) })],
    expect: [{ status: 'pass', message: /Approved by cfo-delegate@corvid.example \(CHG-1042\)/, evidence: { recertifiedDaysAgo: 92 } }],
  },
  {
    name: 'a recertification 93 days old is stale',
    identities: [anIdentity({ kind: 'role', privilege: admin, privilegedAccess: listed(93) })],
    expect: [{ status: 'fail', message: /93 days ago \(limit 92\)/ }],
  },
  {
    name: 'the cycle length is an option',
    options: { recertifiedWithinDays: 365 },
    identities: [anIdentity({ privilege: admin, privilegedAccess: listed(200) })],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'an administrator missing from the list fails',
    identities: [anIdentity({ privilege: admin })],
    expect: [{ status: 'fail', message: /not on the approved privileged-access list/, evidence: { privilegedAccess: null } }],
  },
  {
    name: 'a recertification dated after the as-of date had not happened then',
    identities: [anIdentity({ privilege: admin, privilegedAccess: listed(-3) })],
    expect: [{ status: 'fail', message: /after the as-of date/ }],
  },
  {
    name: 'identities below administrator are not applicable, listed or not',
    identities: [anIdentity({ privilege: { level: 'write', grants: [], flags: [] }, privilegedAccess: listed(5) }), anIdentity({ privilege: { level: 'unknown', grants: [], flags: [] } })],
    expect: [{ status: 'not-applicable' }, { status: 'not-applicable' }],
  },
  {
    name: 'CI secrets are outside the control',
    identities: [anIdentity({ kind: 'ci-secret', privilege: admin })],
    expect: [],
  },
]);
