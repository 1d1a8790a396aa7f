import control from '../../src/controls/owner-active.js';
import type { Owner } from '../../src/sdk/index.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const owner = (status: Owner['status'], terminatedAt?: string): Owner => ({
  id: 'marcus@corvid.example',
  source: 'tag:owner',
  status,
  ...(terminatedAt ? { terminatedAt } : {}),
});

new ControlTester(control, now).run([
  {
    name: 'an owner the HR roster lists as active passes',
    identities: [anIdentity({ owner: owner('active') })],
    expect: [{ status: 'pass', evidence: { owner: 'marcus@corvid.example', ownerStatus: 'active' } }],
  },
  {
    name: 'an owner who left fails: the identity is orphaned, and the date is shown',
    identities: [anIdentity({ owner: owner('terminated', '2026-09-30T00:00:00.000Z') })],
    expect: [{ status: 'fail', message: /left the organization on 2026-09-30: the identity is orphaned/, evidence: { terminatedAt: '2026-09-30T00:00:00.000Z' } }],
  },
  {
    name: 'a departure on the as-of instant counts as gone',
    identities: [anIdentity({ owner: owner('terminated', now.toISOString()) })],
    expect: [{ status: 'fail' }],
  },
  {
    name: 'an owner leaving after the as-of date was still here then',
    identities: [anIdentity({ owner: owner('terminated', '2026-12-15T00:00:00.000Z') })],
    expect: [{ status: 'pass', message: /active until 2026-12-15/ }],
  },
  {
    name: 'a terminated owner without a date fails',
    identities: [anIdentity({ owner: owner('terminated') })],
    expect: [{ status: 'fail', message: /left the organization: the identity is orphaned/ }],
  },
  {
    name: 'an owner the roster does not list (a team) is not applicable',
    identities: [anIdentity({ owner: owner('unknown') })],
    expect: [{ status: 'not-applicable', message: /not in the HR roster/ }],
  },
  {
    name: 'an unlisted owner fails when the roster must list every owner',
    options: { requireListedOwner: true },
    identities: [anIdentity({ owner: owner('unknown') })],
    expect: [{ status: 'fail', message: /not in the HR roster/ }],
  },
  {
    name: 'no owner is not applicable, never a pass: owner-assigned reports it',
    identities: [anIdentity()],
    expect: [{ status: 'not-applicable', evidence: { owner: null } }],
  },
  {
    name: 'applies to every kind',
    identities: [anIdentity({ kind: 'ci-secret', owner: owner('active') }), anIdentity({ id: 'github:acme:app/x', kind: 'app', connector: 'github', owner: owner('terminated') })],
    expect: [{ status: 'pass' }, { status: 'fail' }],
  },
]);
