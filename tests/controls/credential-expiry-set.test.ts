import control from '../../src/controls/credential-expiry-set.js';
import { ControlTester } from '../helpers/control-tester.js';
import { aCredential, anIdentity, daysAgo } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const inDays = (days: number) => daysAgo(now, -days);

new ControlTester(control, now).run([
  {
    name: 'a key without expiry fails',
    identities: [anIdentity({ credentials: [aCredential({ id: 'K', expiresAt: null })] })],
    expect: [{ status: 'fail', credentialId: 'K', message: /has no expiry/ }],
  },
  {
    name: "GCP's 9999-12-31 is no expiry",
    identities: [anIdentity({ credentials: [aCredential({ id: 'K', type: 'service-account-key', expiresAt: '9999-12-31T23:59:59.000Z' })] })],
    expect: [{ status: 'fail', credentialId: 'K', message: /never to expire \(9999-12-31\)/ }],
  },
  {
    name: 'a lifetime of exactly the limit passes',
    identities: [anIdentity({ credentials: [aCredential({ id: 'K', createdAt: daysAgo(now, 65), expiresAt: inDays(300) })] })],
    expect: [{ status: 'pass', credentialId: 'K', evidence: { lifetimeDays: 365, maxLifetimeDays: 365, expiryFrom: 'credential' } }],
  },
  {
    name: 'a lifetime a day beyond the limit fails',
    identities: [anIdentity({ credentials: [aCredential({ id: 'K', createdAt: daysAgo(now, 66), expiresAt: inDays(300) })] })],
    expect: [{ status: 'fail', credentialId: 'K', message: /lives 366 days .* \(limit 365\)/ }],
  },
  {
    name: 'the lifetime runs from the last rotation',
    identities: [anIdentity({ credentials: [aCredential({ id: 'T', type: 'token', createdAt: daysAgo(now, 900), rotatedAt: daysAgo(now, 10), expiresAt: inDays(80) })] })],
    expect: [{ status: 'pass', credentialId: 'T', evidence: { lifetimeDays: 90 } }],
  },
  {
    name: 'the limit is an option',
    options: { maxLifetimeDays: 90 },
    identities: [anIdentity({ credentials: [aCredential({ id: 'K', createdAt: daysAgo(now, 10), expiresAt: inDays(100) })] })],
    expect: [{ status: 'fail', credentialId: 'K', evidence: { lifetimeDays: 110, maxLifetimeDays: 90 } }],
  },
  {
    name: "the identity's own end bounds a key that has none",
    identities: [anIdentity({ expiresAt: inDays(200), credentials: [aCredential({ id: 'K', createdAt: daysAgo(now, 100), expiresAt: null })] })],
    expect: [{ status: 'pass', credentialId: 'K', message: /the identity's end/, evidence: { expiryFrom: 'identity', lifetimeDays: 300 } }],
  },
  {
    name: 'the earlier of the two ends counts',
    identities: [anIdentity({ expiresAt: inDays(500), credentials: [aCredential({ id: 'K', createdAt: daysAgo(now, 1), expiresAt: inDays(30) })] })],
    expect: [{ status: 'pass', credentialId: 'K', evidence: { expiryFrom: 'credential', lifetimeDays: 31 } }],
  },
  {
    name: 'a credential still active past its end fails',
    identities: [anIdentity({ expiresAt: daysAgo(now, 3), credentials: [aCredential({ id: 'K', createdAt: daysAgo(now, 30) })] })],
    expect: [{ status: 'fail', credentialId: 'K', message: /still active after its expiry/ }],
  },
  {
    name: 'an unknown issue date counts the lifetime left from the as-of date',
    identities: [anIdentity({ credentials: [aCredential({ id: 'K', createdAt: null, expiresAt: inDays(30) })] })],
    expect: [{ status: 'pass', credentialId: 'K', message: /after the as-of date/, evidence: { lifetimeFrom: null, lifetimeDays: 30 } }],
  },
  {
    name: 'each active credential is judged on its own; inactive ones are not judged',
    identities: [
      anIdentity({
        kind: 'token',
        credentials: [
          aCredential({ id: 'A', type: 'token', createdAt: daysAgo(now, 1), expiresAt: inDays(30) }),
          aCredential({ id: 'B', type: 'token', expiresAt: null }),
          aCredential({ id: 'OFF', type: 'token', status: 'inactive', expiresAt: null }),
        ],
      }),
    ],
    expect: [
      { status: 'pass', credentialId: 'A' },
      { status: 'fail', credentialId: 'B' },
    ],
  },
  {
    name: 'no active credential is not applicable, never a pass',
    identities: [anIdentity({ credentials: [aCredential({ status: 'inactive' })] })],
    expect: [{ status: 'not-applicable' }],
  },
  {
    name: "a stored secret (a webhook's) is not judged: its expiry belongs to the system that issued it",
    identities: [anIdentity({ kind: 'api-key', credentials: [aCredential({ id: 'S', type: 'secret', expiresAt: null })] })],
    expect: [{ status: 'not-applicable', message: /stored secrets/ }],
  },
  {
    name: 'roles and CI secrets are outside the control',
    identities: [anIdentity({ kind: 'role' }), anIdentity({ kind: 'ci-secret', credentials: [aCredential({ type: 'secret' })] })],
    expect: [],
  },
]);
