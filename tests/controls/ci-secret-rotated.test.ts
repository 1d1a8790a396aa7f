import control from '../../src/controls/ci-secret-rotated.js';
import type { Credential, Identity } from '../../src/sdk/index.js';
import { ControlTester } from '../helpers/control-tester.js';
import { aCredential, anIdentity, daysAgo } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const SECRET = 'actions-secret/repo/revenue-close-jobs/AWS_ACCESS_KEY_ID';

function aSecret(credential: Partial<Credential>): Identity {
  return anIdentity({
    id: 'github:corvid-systems:actions-secret/repo/revenue-close-jobs/AWS_ACCESS_KEY_ID',
    connector: 'github',
    scope: 'corvid-systems',
    kind: 'ci-secret',
    name: 'AWS_ACCESS_KEY_ID',
    credentials: [aCredential({ id: SECRET, type: 'secret', ...credential })],
  });
}

new ControlTester(control, now).run([
  {
    name: 'a secret updated 365 days ago is within the default limit',
    identities: [aSecret({ createdAt: daysAgo(now, 800), rotatedAt: daysAgo(now, 365) })],
    expect: [{ status: 'pass', credentialId: SECRET, evidence: { ageDays: 365, maxAgeDays: 365 } }],
  },
  {
    name: 'a secret not updated for 500 days fails',
    identities: [aSecret({ createdAt: daysAgo(now, 500), rotatedAt: daysAgo(now, 500) })],
    expect: [{ status: 'fail', credentialId: SECRET, message: /500 days ago \(limit 365\)/ }],
  },
  {
    name: 'the creation date counts when the secret was never updated',
    identities: [aSecret({ createdAt: daysAgo(now, 30), rotatedAt: null })],
    expect: [{ status: 'pass', credentialId: SECRET, evidence: { ageDays: 30 } }],
  },
  {
    name: 'the limit is an option',
    options: { maxAgeDays: 90 },
    identities: [aSecret({ createdAt: daysAgo(now, 120), rotatedAt: daysAgo(now, 120) })],
    expect: [{ status: 'fail', credentialId: SECRET, evidence: { maxAgeDays: 90 } }],
  },
  {
    name: 'a secret without any date is not applicable, never a pass',
    identities: [aSecret({ createdAt: null, rotatedAt: null })],
    expect: [{ status: 'not-applicable', credentialId: SECRET, message: /no update date/ }],
  },
  {
    name: 'a secret without an active value is not applicable',
    identities: [aSecret({ status: 'inactive', createdAt: daysAgo(now, 900) })],
    expect: [{ status: 'not-applicable' }],
  },
  {
    name: 'credentials of other kinds are outside the control',
    identities: [anIdentity({ kind: 'deploy-key', credentials: [aCredential({ createdAt: daysAgo(now, 900) })] })],
    expect: [],
  },
]);
