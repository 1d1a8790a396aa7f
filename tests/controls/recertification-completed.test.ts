import control from '../../src/controls/recertification-completed.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const decided = anIdentity({ name: 'svc-erp', createdAt: '2025-01-01T00:00:00.000Z' });
const undecided = anIdentity({ name: 'svc-old', createdAt: '2025-01-01T00:00:00.000Z' });
const newer = anIdentity({ name: 'svc-new', createdAt: '2026-10-20T00:00:00.000Z' });
const outsideSox = anIdentity({ name: 'svc-looker', createdAt: '2025-01-01T00:00:00.000Z', systems: [{ name: 'Dashboards', sox: false, reasons: ['tag system=bi'] }] });
const campaign = (closedAt: string, scope: 'all' | 'sox' = 'all') => ({
  id: 'recert_2026-Q3_all_opened-2026-10-01_ad4763bc1a9d',
  cycle: '2026-Q3',
  scope,
  openedAt: '2026-10-01',
  closedAt,
  decisions: [{ identityId: decided.id, owner: 'gl@corvid.example', decision: 'keep', reason: '', reviewer: 'controller@corvid.example', date: '2026-10-02' }],
});

new ControlTester(control, now).run([
  {
    name: 'without a closed campaign nothing is judged yet',
    identities: [decided],
    expect: [{ status: 'not-applicable', message: 'No recertification campaign was closed', evidence: { campaign: null } }],
  },
  {
    name: 'required: no campaign fails',
    identities: [decided],
    options: { required: true },
    expect: [{ status: 'fail' }],
  },
  {
    name: 'a decided identity passes with who decided what and when',
    identities: [decided],
    options: { campaign: campaign('2026-10-05') },
    expect: [{ status: 'pass', message: 'keep by controller@corvid.example on 2026-10-02', evidence: { decision: 'keep', reviewer: 'controller@corvid.example' } }],
  },
  {
    name: 'an identity that existed when the campaign opened and was not decided fails',
    identities: [undecided],
    options: { campaign: campaign('2026-10-05') },
    expect: [{ status: 'fail', message: /Not decided in recert_2026-Q3/ }],
  },
  {
    name: 'an identity created after the campaign opened waits for the next one',
    identities: [newer],
    options: { campaign: campaign('2026-10-05') },
    expect: [{ status: 'not-applicable', message: /after recert_2026-Q3.* opened/ }],
  },
  {
    name: 'a SOX-scoped campaign does not judge identities reaching no SOX key system',
    identities: [outsideSox, undecided],
    options: { campaign: campaign('2026-10-05', 'sox') },
    expect: [{ status: 'not-applicable', message: /Reaches no SOX key system/ }, { status: 'not-applicable' }],
  },
  {
    name: 'a stale campaign fails every identity, decided or not',
    identities: [decided],
    options: { campaign: campaign('2026-07-01') },
    expect: [{ status: 'fail', message: /closed 142 days ago \(more than 92\)/ }],
  },
]);
