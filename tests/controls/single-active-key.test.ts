import control from '../../src/controls/single-active-key.js';
import { ControlTester } from '../helpers/control-tester.js';
import { aCredential, anIdentity, daysAgo } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const key = (id: string, ageDays: number, status: 'active' | 'inactive' = 'active') => aCredential({ id, status, createdAt: daysAgo(now, ageDays) });

new ControlTester(control, now).run([
  {
    name: 'one active key passes',
    identities: [anIdentity({ credentials: [key('K1', 30)] })],
    expect: [{ status: 'pass', evidence: { activeKeys: ['K1'] } }],
  },
  {
    name: 'two active keys fail and are named',
    identities: [anIdentity({ credentials: [key('OLD', 130), key('NEW', 18)] })],
    expect: [{ status: 'fail', message: /2 active keys: OLD, NEW/, evidence: { newestAgeDays: 18 } }],
  },
  {
    name: 'an inactive second key is fine',
    identities: [anIdentity({ credentials: [key('OLD', 400, 'inactive'), key('NEW', 5)] })],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'a rotation in progress passes within the grace period',
    options: { rotationGraceDays: 7 },
    identities: [anIdentity({ credentials: [key('OLD', 90), key('NEW', 7)] })],
    expect: [{ status: 'pass', message: /during a rotation/ }],
  },
  {
    name: 'and fails once the newest key is older than it',
    options: { rotationGraceDays: 7 },
    identities: [anIdentity({ credentials: [key('OLD', 90), key('NEW', 8)] })],
    expect: [{ status: 'fail' }],
  },
  {
    name: 'only long-lived keys count: a signing certificate beside a key is not a second key',
    identities: [anIdentity({ credentials: [key('K1', 30), aCredential({ id: 'CERT', type: 'certificate' })] })],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'service-account keys count as keys',
    identities: [anIdentity({ credentials: [aCredential({ id: 'A', type: 'service-account-key' }), aCredential({ id: 'B', type: 'service-account-key' })] })],
    expect: [{ status: 'fail' }],
  },
  {
    name: 'no active key is not applicable, never a pass',
    identities: [anIdentity({ credentials: [key('OFF', 10, 'inactive')] })],
    expect: [{ status: 'not-applicable' }],
  },
  {
    name: 'other kinds are outside the control',
    identities: [anIdentity({ kind: 'deploy-key', credentials: [aCredential({ type: 'ssh-key' })] })],
    expect: [],
  },
]);
