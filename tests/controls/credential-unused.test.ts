import type { LastUsed } from '../../src/sdk/index.js';
import control from '../../src/controls/credential-unused.js';
import { ControlTester } from '../helpers/control-tester.js';
import { aCredential, anIdentity, daysAgo } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const key = (id: string, createdDaysAgo: number, lastUsed: LastUsed) =>
  aCredential({ id, createdAt: daysAgo(now, createdDaysAgo), lastUsed });

new ControlTester(control, now).run([
  {
    name: 'used 90 days ago is within the idle limit',
    identities: [anIdentity({ credentials: [key('K', 300, { at: daysAgo(now, 90) })] })],
    expect: [{ status: 'pass', credentialId: 'K', evidence: { idleDays: 90 } }],
  },
  {
    name: 'used 91 days ago fails',
    identities: [anIdentity({ credentials: [key('K', 300, { at: daysAgo(now, 91) })] })],
    expect: [{ status: 'fail', credentialId: 'K', message: /last used 91 days ago \(limit 90\)/ }],
  },
  {
    name: 'never used and older than the grace period fails',
    identities: [anIdentity({ credentials: [key('K', 8, 'never')] })],
    expect: [{ status: 'fail', credentialId: 'K', message: /never used in the 8 days/ }],
  },
  {
    name: 'never used but within the grace period passes',
    identities: [anIdentity({ credentials: [key('K', 7, 'never')] })],
    expect: [{ status: 'pass', credentialId: 'K', evidence: { ageDays: 7, graceDays: 7 } }],
  },
  {
    name: 'grace period is an option',
    options: { graceDays: 30 },
    identities: [anIdentity({ credentials: [key('K', 20, 'never')] })],
    expect: [{ status: 'pass', credentialId: 'K' }],
  },
  {
    name: 'no usage data is not applicable, distinct from never used',
    identities: [anIdentity({ credentials: [key('K', 500, 'unknown')] })],
    expect: [{ status: 'not-applicable', credentialId: 'K', message: /records no use/ }],
  },
  {
    name: 'unused since a tracking horizon older than the limit fails',
    identities: [anIdentity({ credentials: [key('K', 900, { notSince: daysAgo(now, 400) })] })],
    expect: [{ status: 'fail', credentialId: 'K', message: /not used since at least/ }],
  },
  {
    name: 'each key is judged on its own',
    identities: [
      anIdentity({
        credentials: [key('USED', 300, { at: daysAgo(now, 1) }), key('IDLE', 300, { at: daysAgo(now, 200) }), { ...key('OFF', 300, 'never'), status: 'inactive' }],
      }),
    ],
    expect: [
      { status: 'pass', credentialId: 'USED' },
      { status: 'fail', credentialId: 'IDLE' },
    ],
  },
  {
    name: 'an identity with no active credential is not applicable',
    identities: [anIdentity({ credentials: [] })],
    expect: [{ status: 'not-applicable' }],
  },
]);
