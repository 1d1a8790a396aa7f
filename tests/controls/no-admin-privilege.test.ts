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
    name: 'an administrator grant whose privilege a Deny takes away passes, naming the Deny',
    identities: [
      anIdentity({
        privilege: {
          level: 'none',
          grants: [adminGrant, { via: 'inline', name: 'deny-all', ref: 'inline:deny-all', level: 'none', flags: [], evidence: [] }],
          flags: ['wildcard-action'],
          limits: [{ kind: 'deny', name: 'deny-all', ref: 'inline:deny-all', level: 'none', removes: ['admin', 'iam-write'] }],
        },
      }),
    ],
    expect: [
      {
        status: 'pass',
        message:
          'Not an administrator (highest privilege: none): the explicit Deny in deny-all (inline:deny-all) takes away the administrator privilege of AdministratorAccess (arn:aws:iam::aws:policy/AdministratorAccess)',
        evidence: { limits: [{ kind: 'deny', name: 'deny-all', ref: 'inline:deny-all', level: 'none', removes: ['admin', 'iam-write'] }] },
      },
    ],
  },
  {
    name: 'administrator privilege under an undecided condition fails and names the condition',
    identities: [
      anIdentity({
        privilege: {
          level: 'none',
          grants: [{ ...adminGrant, level: 'none', conditional: { level: 'admin', flags: ['admin'], conditions: ['IpAddress aws:SourceIp 203.0.113.0/24'] } }],
          flags: [],
          conditional: { level: 'admin', flags: ['admin'], conditions: ['IpAddress aws:SourceIp 203.0.113.0/24'] },
        },
      }),
    ],
    expect: [
      {
        status: 'fail',
        message: 'Administrator privilege under IpAddress aws:SourceIp 203.0.113.0/24, a condition nhi-audit does not evaluate, through AdministratorAccess (arn:aws:iam::aws:policy/AdministratorAccess)',
      },
    ],
  },
  {
    name: 'an identity the provider manages is not applicable, with the reason',
    identities: [anIdentity({ kind: 'role', providerManaged: { reason: 'IAM Identity Center role of permission set Admin' }, privilege: { level: 'admin', grants: [adminGrant], flags: ['admin'] } })],
    expect: [{ status: 'not-applicable', message: 'IAM Identity Center role of permission set Admin', evidence: { providerManaged: { reason: 'IAM Identity Center role of permission set Admin' } } }],
  },
  {
    name: 'CI secrets hold no privilege of their own',
    identities: [anIdentity({ kind: 'ci-secret', privilege: { level: 'admin', grants: [], flags: [] } })],
    expect: [],
  },
]);
