import control from '../../src/controls/break-glass-time-bounded.js';
import { ControlTester } from '../helpers/control-tester.js';
import { aCredential, anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const trust = [{ type: 'account' as const, value: 'arn:aws:iam::111111111111:root', conditioned: false }];
const emergencyRole = (createdAt: string, expiresAt: string | undefined, lastUsedAt?: string) =>
  anIdentity({
    kind: 'role',
    breakGlass: true,
    createdAt,
    ...(expiresAt ? { expiresAt } : {}),
    trust,
    lastUsed: lastUsedAt ? { at: lastUsedAt } : 'never',
  });

new ControlTester(control, now).run([
  {
    name: 'an emergency role still in place weeks after its window fails',
    identities: [emergencyRole('2026-10-15T02:10:00.000Z', '2026-10-15T14:00:00.000Z', '2026-10-15T03:40:00.000Z')],
    expect: [{ status: 'fail', message: /still enabled after its end 2026-10-15T14:00:00.000Z/, evidence: { windowHours: 11.8, enabled: true } }],
  },
  {
    name: 'an open window within the limit passes',
    identities: [emergencyRole('2026-11-19T18:30:00.000Z', '2026-11-20T02:30:00.000Z')],
    expect: [{ status: 'pass', message: /window of 8 hours, open until 2026-11-20T02:30:00.000Z/ }],
  },
  {
    name: 'a window of exactly the limit passes, and a longer one fails',
    identities: [emergencyRole('2026-11-19T14:00:00.000Z', '2026-11-20T02:00:00.000Z'), emergencyRole('2026-11-19T13:00:00.000Z', '2026-11-20T02:00:00.000Z')],
    expect: [{ status: 'pass' }, { status: 'fail', message: /window is 13 hours \(limit 12\)/ }],
  },
  {
    name: 'the window is an option',
    options: { maxHours: 4 },
    identities: [emergencyRole('2026-11-19T18:30:00.000Z', '2026-11-20T02:30:00.000Z')],
    expect: [{ status: 'fail', message: /limit 4/ }],
  },
  {
    name: 'an enabled emergency identity without an end fails',
    identities: [emergencyRole('2026-11-19T18:30:00.000Z', undefined)],
    expect: [{ status: 'fail', message: /enabled with no end date/ }],
  },
  {
    name: 'a standing emergency user disabled at rest passes: its keys are deactivated and it has no console password',
    identities: [
      anIdentity({
        breakGlass: true,
        credentials: [aCredential({ status: 'inactive' })],
        interactiveLogin: { enabled: false, mfa: false, lastUsed: 'never' },
      }),
    ],
    expect: [{ status: 'pass', message: /disabled at rest/, evidence: { enabled: false } }],
  },
  {
    name: 'an ended window whose credentials were deactivated passes',
    identities: [
      anIdentity({
        breakGlass: true,
        createdAt: '2026-09-12T01:00:00.000Z',
        expiresAt: '2026-09-12T07:00:00.000Z',
        credentials: [aCredential({ status: 'inactive', createdAt: '2026-09-12T01:00:00.000Z' })],
        lastUsed: { at: '2026-09-12T05:10:00.000Z' },
      }),
    ],
    expect: [{ status: 'pass', message: /ended 2026-09-12T07:00:00.000Z and the identity is disabled/ }],
  },
  {
    name: 'a disabled identity used after its end still fails',
    identities: [
      anIdentity({ breakGlass: true, status: 'disabled', createdAt: '2026-09-12T01:00:00.000Z', expiresAt: '2026-09-12T07:00:00.000Z', lastUsed: { at: '2026-09-13T08:00:00.000Z' } }),
    ],
    expect: [{ status: 'fail', message: /used at 2026-09-13T08:00:00.000Z, after its end/ }],
  },
  {
    name: 'a service account that others may impersonate stays usable without keys of its own',
    identities: [
      anIdentity({
        breakGlass: true,
        createdAt: '2026-11-01T00:00:00.000Z',
        expiresAt: '2026-11-01T06:00:00.000Z',
        credentials: [aCredential({ status: 'inactive' })],
        trust: [{ type: 'account', value: 'group:oncall@corvid.example', conditioned: false }],
      }),
    ],
    expect: [{ status: 'fail', message: /still enabled/ }],
  },
  {
    name: 'an unknown creation time cannot show the window',
    identities: [anIdentity({ kind: 'role', breakGlass: true, createdAt: null, expiresAt: '2026-12-01T00:00:00.000Z', trust })],
    expect: [{ status: 'fail', message: /creation time is unknown/ }],
  },
  {
    name: 'identities not marked as emergency are not applicable',
    identities: [anIdentity({ expiresAt: '2026-01-01T00:00:00.000Z' })],
    expect: [{ status: 'not-applicable' }],
  },
]);
