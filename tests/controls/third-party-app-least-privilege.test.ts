import control from '../../src/controls/third-party-app-least-privilege.js';
import type { Privilege } from '../../src/sdk/index.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const app = (vendor: string | undefined, privilege: Privilege) =>
  anIdentity({ id: 'github:corvid-systems:app/closewise', connector: 'github', kind: 'app', ...(vendor ? { vendor } : {}), privilege });

new ControlTester(control, now).run([
  {
    name: 'a vendor app with read on selected repositories passes',
    identities: [app('closewise', { level: 'read', grants: [], flags: [], reach: 'selected' })],
    expect: [{ status: 'pass', message: /closewise holds read access to selected resources/ }],
  },
  {
    name: 'write on selected resources passes: least privilege is about how far, not whether it writes',
    identities: [anIdentity({ vendor: 'ARBridge Inc.', privilege: { level: 'write', grants: [], flags: [], reach: 'selected' } })],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'administration permissions fail',
    identities: [app('closewise', { level: 'admin', grants: [], flags: ['admin'], reach: 'selected' })],
    expect: [{ status: 'fail', message: /closewise holds administrator access$/ }],
  },
  {
    name: 'installed on all repositories fails, even read-only',
    identities: [app('closewise', { level: 'read', grants: [], flags: [], reach: 'all' })],
    expect: [{ status: 'fail', message: /read access to every resource/ }],
  },
  {
    name: 'write on every resource fails (a vendor role with Resource "*")',
    identities: [anIdentity({ kind: 'role', vendor: 'Closewise Ltd.', privilege: { level: 'write', grants: [], flags: ['service-wildcard'], reach: 'all' } })],
    expect: [{ status: 'fail', evidence: { vendor: 'Closewise Ltd.', reach: 'all' } }],
  },
  {
    name: 'admin everywhere names both problems',
    identities: [app('closewise', { level: 'admin', grants: [], flags: [], reach: 'all' })],
    expect: [{ status: 'fail', message: /administrator access and admin access to every resource/ }],
  },
  {
    name: 'an identity of our own is not applicable',
    identities: [app(undefined, { level: 'admin', grants: [], flags: [], reach: 'all' })],
    expect: [{ status: 'not-applicable', evidence: { vendor: null } }],
  },
  {
    name: 'unknown reach or privilege is not applicable',
    identities: [app('closewise', { level: 'read', grants: [], flags: [] }), app('closewise', { level: 'unknown', grants: [], flags: [], reach: 'selected' })],
    expect: [{ status: 'not-applicable' }, { status: 'not-applicable' }],
  },
  {
    name: 'deploy keys and CI secrets are outside the control',
    identities: [anIdentity({ kind: 'deploy-key', vendor: 'x' }), anIdentity({ kind: 'ci-secret', vendor: 'x' })],
    expect: [],
  },
]);
