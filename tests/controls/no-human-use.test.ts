import control from '../../src/controls/no-human-use.js';
import { ControlTester } from '../helpers/control-tester.js';
import { aCredential, anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');

new ControlTester(control, now).run([
  {
    name: 'a console password beside access keys fails, with its use and missing MFA',
    identities: [
      anIdentity({
        classification: { value: 'unknown', reason: 'console password and access keys' },
        credentials: [aCredential({ id: 'K' })],
        interactiveLogin: { enabled: true, mfa: false, lastUsed: { at: '2026-11-03T15:42:00.000Z' } },
      }),
    ],
    expect: [{ status: 'fail', message: /Console password enabled alongside 1 active credential\(s\), without MFA, last used 2026-11-03/, evidence: { activeCredentials: ['K'] } }],
  },
  {
    name: 'a console password on a machine identity fails even with MFA and no keys',
    identities: [anIdentity({ interactiveLogin: { enabled: true, mfa: true, lastUsed: 'never' } })],
    expect: [{ status: 'fail', message: /^Console password enabled$/ }],
  },
  {
    name: "an ERP dialog logon on an account a batch job runs as fails, naming the sign-in and the job",
    identities: [
      anIdentity({
        classification: { value: 'machine', reason: 'dialog user (USTYP A) that a batch job runs as' },
        interactiveLogin: { enabled: true, mfa: false, lastUsed: { at: '2026-11-18T02:00:00.000Z' }, method: 'SAP GUI dialog logon' },
        usedBy: [{ type: 'batch job', name: 'ZFI_AP_PAYMENT_RUN' }],
      }),
    ],
    expect: [
      {
        status: 'fail',
        message: /^SAP GUI dialog logon enabled, without MFA, last used 2026-11-18; programs run as it: batch job ZFI_AP_PAYMENT_RUN$/,
        evidence: { usedBy: [{ type: 'batch job', name: 'ZFI_AP_PAYMENT_RUN' }] },
      },
    ],
  },
  {
    name: 'keys only passes',
    identities: [anIdentity({ credentials: [aCredential()], interactiveLogin: { enabled: false, mfa: false, lastUsed: 'never' } })],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'without sign-in data it is not applicable',
    identities: [anIdentity()],
    expect: [{ status: 'not-applicable', evidence: { interactiveLogin: null } }],
  },
  {
    name: "a person's account (judged only with evaluate.includeHumans) is not applicable",
    identities: [anIdentity({ classification: { value: 'human', reason: 'console password with MFA' }, interactiveLogin: { enabled: true, mfa: true, lastUsed: 'never' } })],
    expect: [{ status: 'not-applicable', message: /A person's account/ }],
  },
  {
    name: 'roles are outside the control',
    identities: [anIdentity({ kind: 'role' })],
    expect: [],
  },
]);
