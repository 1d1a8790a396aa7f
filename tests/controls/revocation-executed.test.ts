import control from '../../src/controls/revocation-executed.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const kept = anIdentity({ name: 'svc-kept' });
const revokedActive = anIdentity({ name: 'svc-airflow' });
const revokedDisabled = anIdentity({ name: 'svc-fx', status: 'disabled' });
const decision = (identityId: string, decision: string, date = '2026-10-02') => ({ identityId, owner: null, decision, reason: 'unused', reviewer: 'data-engineering@corvid.example', date });
const campaign = (...decisions: ReturnType<typeof decision>[]) => ({ id: 'recert_2026-Q3_all_opened-2026-10-01_ad4763bc1a9d', cycle: '2026-Q3', scope: 'all', openedAt: '2026-10-01', closedAt: '2026-10-05', decisions });

new ControlTester(control, now).run([
  { name: 'without a campaign nothing is judged', identities: [revokedActive], expect: [] },
  {
    name: 'only identities decided revoke are judged',
    identities: [kept],
    options: { campaign: campaign(decision(kept.id, 'keep')) },
    expect: [],
  },
  {
    name: 'a revoked identity still active after the grace period fails',
    identities: [revokedActive],
    options: { campaign: campaign(decision(revokedActive.id, 'revoke')) },
    expect: [{ status: 'fail', message: 'Decided revoke by data-engineering@corvid.example on 2026-10-02 (recert_2026-Q3_all_opened-2026-10-01_ad4763bc1a9d); still active after 2026-10-16', evidence: { due: '2026-10-16', status: 'active' } }],
  },
  {
    name: 'a revoked identity that is disabled passes',
    identities: [revokedDisabled],
    options: { campaign: campaign(decision(revokedDisabled.id, 'revoke')) },
    expect: [{ status: 'pass', message: /; disabled$/ }],
  },
  {
    name: 'within the grace period it is not yet due',
    identities: [revokedActive],
    options: { campaign: campaign(decision(revokedActive.id, 'revoke', '2026-11-10')), graceDays: 14 },
    expect: [{ status: 'not-applicable', message: /still active, due by 2026-11-24/ }],
  },
  {
    name: 'graceDays moves the due date',
    identities: [revokedActive],
    options: { campaign: campaign(decision(revokedActive.id, 'revoke', '2026-10-02')), graceDays: 60 },
    expect: [{ status: 'not-applicable', message: /due by 2026-12-01/ }],
  },
]);
