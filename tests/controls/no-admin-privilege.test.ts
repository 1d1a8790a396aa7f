import control from '../../src/controls/no-admin-privilege.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const adminGrant = {
  via: 'attached' as const,
  name: 'AdministratorAccess',
  ref: 'arn:aws:iam::aws:policy/AdministratorAccess',
  level: 'admin' as const,
  flags: ['admin' as const],
  evidence: ['*'],
};

new ControlTester(control, now).run([
  {
    name: 'an administrator fails and names the grant',
    identities: [anIdentity({ privilege: { level: 'admin', grants: [adminGrant], flags: ['admin'] } })],
    expect: [{ status: 'fail', message: /AdministratorAccess \(arn:aws:iam::aws:policy\/AdministratorAccess\)/ }],
  },
  {
    name: 'write privilege passes',
    identities: [anIdentity({ kind: 'role', privilege: { level: 'write', grants: [], flags: [] } })],
    expect: [{ status: 'pass', evidence: { level: 'write' } }],
  },
  {
    name: 'no privilege at all passes',
    identities: [anIdentity({ privilege: { level: 'none', grants: [], flags: [] } })],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'unknown privilege is not applicable',
    identities: [anIdentity({ privilege: { level: 'unknown', grants: [], flags: [] } })],
    expect: [{ status: 'not-applicable' }],
  },
  {
    name: 'CI secrets hold no privilege of their own',
    identities: [anIdentity({ kind: 'ci-secret', privilege: { level: 'admin', grants: [], flags: [] } })],
    expect: [],
  },
]);
