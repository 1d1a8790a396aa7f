import control from '../../src/controls/owner-assigned.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

new ControlTester(control, new Date('2026-11-20T00:00:00Z')).run([
  {
    name: 'an owner from a tag passes and says where it came from',
    identities: [anIdentity({ owner: { id: 'finance-platform', source: 'tag:owner', status: 'unknown' } })],
    expect: [{ status: 'pass', message: /finance-platform \(from tag:owner\)/ }],
  },
  {
    name: 'no owner fails',
    identities: [anIdentity()],
    expect: [{ status: 'fail', evidence: { owner: null } }],
  },
  {
    name: 'applies to every kind',
    identities: [anIdentity({ kind: 'ci-secret' }), anIdentity({ id: 'github:acme:app/x', kind: 'app', connector: 'github' })],
    expect: [{ status: 'fail' }, { status: 'fail' }],
  },
]);
