import type { PrivilegeUsage, UsageItem } from '../../src/sdk/index.js';
import control from '../../src/controls/unused-privilege.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity, daysAgo } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const service = (name: string, lastUsed: UsageItem['lastUsed']): UsageItem => ({ kind: 'service', name, lastUsed });
const withUsage = (usage: PrivilegeUsage) => anIdentity({ privilege: { level: 'write', grants: [], flags: [], usage } });
const analyzer = (...items: UsageItem[]): PrivilegeUsage => ({ source: 'access-analyzer', observedDays: 90, items });

new ControlTester(control, now).run([
  {
    name: 'without usage data the identity is not applicable',
    identities: [anIdentity()],
    expect: [{ status: 'not-applicable', message: 'No usage data' }],
  },
  {
    name: 'usage data with nothing unused passes',
    identities: [withUsage(analyzer())],
    expect: [{ status: 'pass', message: /per IAM Access Analyzer/, evidence: { source: 'access-analyzer', unusedDays: 90 } }],
  },
  {
    name: 'a service last used 90 days ago is still in use',
    identities: [withUsage(analyzer(service('s3', { at: daysAgo(now, 90) })))],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'a service last used 91 days ago is unused',
    identities: [withUsage(analyzer(service('s3', { at: daysAgo(now, 91) })))],
    expect: [{ status: 'fail', message: /not used within 90 days, per IAM Access Analyzer: s3 \(service\)$/, evidence: { unused: [{ name: 's3' }] } }],
  },
  {
    name: 'a service never used is unused',
    identities: [withUsage(analyzer(service('ec2', 'never')))],
    expect: [{ status: 'fail', message: /ec2 \(service\)/ }],
  },
  {
    name: 'unused without a date counts when the observation covers the period',
    identities: [
      withUsage({ source: 'iam-recommender', observedDays: 90, items: [{ kind: 'permission', name: 'storage.buckets.delete', lastUsed: 'unknown' }] }),
    ],
    expect: [{ status: 'fail', message: /per IAM Recommender: storage\.buckets\.delete \(permission\)/ }],
  },
  {
    name: 'unused without a date is undecided when the observation is shorter than the period',
    options: { unusedDays: 180 },
    identities: [withUsage({ source: 'iam-recommender', observedDays: 90, items: [{ kind: 'permission', name: 'storage.buckets.delete', lastUsed: 'unknown' }] })],
    expect: [{ status: 'not-applicable', message: /covers 90 days, less than 180 days/, evidence: { undecided: [{ name: 'storage.buckets.delete' }] } }],
  },
  {
    name: 'no use since a horizon older than the period is unused, a recent horizon undecided',
    identities: [
      withUsage(analyzer(service('s3', { notSince: daysAgo(now, 120) }))),
      withUsage(analyzer(service('s3', { notSince: daysAgo(now, 30) }))),
    ],
    expect: [{ status: 'fail' }, { status: 'not-applicable' }],
  },
  {
    name: 'unusedDays is an option',
    options: { unusedDays: 30 },
    identities: [withUsage(analyzer(service('s3', { at: daysAgo(now, 31) })))],
    expect: [{ status: 'fail', message: /within 30 days/ }],
  },
  {
    name: 'the message names five unused items, then how many more, and only the unused ones',
    identities: [
      withUsage(
        analyzer(
          service('lambda', { at: daysAgo(now, 1) }),
          ...['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name) => service(name, 'never')),
          { kind: 'action', name: 's3:DeleteBucket', lastUsed: 'never' },
        ),
      ),
    ],
    expect: [{ status: 'fail', message: /: a \(service\), b \(service\), c \(service\), d \(service\), e \(service\) and 3 more$/ }],
  },
  {
    name: 'an unused role and key are named as such',
    identities: [
      withUsage(analyzer({ kind: 'role', name: 'legacy-etl', lastUsed: { at: daysAgo(now, 200) } }, { kind: 'credential', name: 'AKIAEXAMPLE', lastUsed: 'never' })),
    ],
    expect: [{ status: 'fail', message: /legacy-etl \(role\), AKIAEXAMPLE \(credential\)/ }],
  },
  {
    name: 'a provider-managed identity is not applicable with its reason',
    identities: [anIdentity({ providerManaged: { reason: 'AWS service-linked role' }, privilege: { level: 'write', grants: [], flags: [], usage: analyzer(service('s3', 'never')) } })],
    expect: [{ status: 'not-applicable', message: /service-linked/ }],
  },
  {
    name: 'kinds outside the control get no finding',
    identities: [anIdentity({ kind: 'ci-secret' })],
    expect: [],
  },
]);
