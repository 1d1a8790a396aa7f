import control from '../../src/controls/credential-rotated.js';
import { ControlTester } from '../helpers/control-tester.js';
import { aCredential, anIdentity, daysAgo } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');

new ControlTester(control, now).run([
  {
    name: 'a key created 90 days ago is within the limit',
    identities: [anIdentity({ credentials: [aCredential({ id: 'K1', createdAt: daysAgo(now, 90) })] })],
    expect: [{ status: 'pass', credentialId: 'K1', evidence: { ageDays: 90, maxAgeDays: 90 } }],
  },
  {
    name: 'a key created 91 days ago fails',
    identities: [anIdentity({ credentials: [aCredential({ id: 'K1', createdAt: daysAgo(now, 91) })] })],
    expect: [{ status: 'fail', credentialId: 'K1', message: /91 days old \(limit 90\)/ }],
  },
  {
    name: 'rotation date counts over creation date',
    identities: [
      anIdentity({ kind: 'api-key', credentials: [aCredential({ id: 'S', type: 'secret', createdAt: daysAgo(now, 900), rotatedAt: daysAgo(now, 10) })] }),
    ],
    expect: [{ status: 'pass', credentialId: 'S', evidence: { ageDays: 10 } }],
  },
  {
    name: 'each active key is judged on its own; inactive keys are not judged',
    identities: [
      anIdentity({
        credentials: [
          aCredential({ id: 'OLD', createdAt: daysAgo(now, 400) }),
          aCredential({ id: 'NEW', createdAt: daysAgo(now, 5) }),
          aCredential({ id: 'OFF', status: 'inactive', createdAt: daysAgo(now, 900) }),
        ],
      }),
    ],
    expect: [
      { status: 'fail', credentialId: 'OLD' },
      { status: 'pass', credentialId: 'NEW' },
    ],
  },
  {
    name: 'the limit is an option',
    options: { maxAgeDays: 365 },
    identities: [anIdentity({ credentials: [aCredential({ id: 'K1', createdAt: daysAgo(now, 200) })] })],
    expect: [{ status: 'pass', credentialId: 'K1', evidence: { maxAgeDays: 365 } }],
  },
  {
    name: 'an unknown age fails: rotation cannot be shown',
    identities: [anIdentity({ credentials: [aCredential({ id: 'K1', createdAt: null })] })],
    expect: [{ status: 'fail', credentialId: 'K1', message: /cannot be shown/ }],
  },
  {
    name: 'an identity without active credentials is not applicable, never a pass',
    identities: [anIdentity({ credentials: [aCredential({ status: 'inactive', createdAt: daysAgo(now, 900) })] })],
    expect: [{ status: 'not-applicable' }],
  },
  {
    name: 'roles are outside the control',
    identities: [anIdentity({ kind: 'role', credentials: [] })],
    expect: [],
  },
]);
