/**
 * The benchmark's AWS sandbox in a process of its own, as a provider is another machine: its XML, signature checks
 * and report building neither take turns with the collector nor count in its memory. Forked by scripts/bench.ts,
 * which sends the size of the organization to generate, then `close`; it answers with the URL, then with how many
 * calls it answered.
 */
import { performance } from 'node:perf_hooks';
import { startAwsSandbox, type AwsSandboxDataset } from '../connectors/aws-iam/sandbox/index.js';

interface Setup {
  accounts: number;
  usersPerAccount: number;
  now: string;
  latencyMs: number;
}
const { accounts, usersPerAccount, ...setup } = await new Promise<Setup>((resolve) => process.once('message', (message) => resolve(message as Setup)));

/**
 * A generated organization: each user has an inline policy and a group, half of them an access key, a third no
 * owner tag; a quarter as many roles as users.
 */
const policy = (actions: string[]) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });

function account(id: string): AwsSandboxDataset['accounts'][string] {
  const users = Array.from({ length: usersPerAccount }, (_, i) => ({
    Path: '/service/',
    UserName: `svc-${i}`,
    UserId: `AIDA${id}${String(i).padStart(9, '0')}`,
    Arn: `arn:aws:iam::${id}:user/service/svc-${i}`,
    CreateDate: '2025-01-01T00:00:00Z',
    GroupList: [`team-${i % 20}`],
    UserPolicyList: [{ PolicyName: 'inline', PolicyDocument: policy(i % 50 === 0 ? ['iam:PassRole', 's3:*'] : ['s3:GetObject']) }],
    Tags: i % 3 === 0 ? [] : [{ Key: 'owner', Value: `team-${i % 20}@example.com` }],
  }));
  const credentials = Object.fromEntries(
    users
      .filter((_, i) => i % 2 === 0)
      .map((u, i) => [
        u.UserName,
        {
          passwordEnabled: false,
          mfaActive: false,
          accessKeys: [{ AccessKeyId: `AKIA${id}${String(i).padStart(8, '0')}`, Status: 'Active' as const, CreateDate: i % 4 === 0 ? '2025-03-01T00:00:00Z' : '2026-10-01T00:00:00Z', LastUsedDate: '2026-11-18T00:00:00Z', LastUsedService: 's3', LastUsedRegion: 'us-east-1' }],
        },
      ]),
  );
  const groups = Array.from({ length: 20 }, (_, g) => ({
    Path: '/',
    GroupName: `team-${g}`,
    GroupId: `AGPA${id}${String(g).padStart(9, '0')}`,
    Arn: `arn:aws:iam::${id}:group/team-${g}`,
    CreateDate: '2024-01-01T00:00:00Z',
    GroupPolicyList: [{ PolicyName: 'team', PolicyDocument: policy(['sqs:SendMessage', 'dynamodb:GetItem']) }],
    AttachedManagedPolicies: [],
  }));
  const roles = Array.from({ length: Math.ceil(usersPerAccount / 4) }, (_, r) => ({
    Path: '/',
    RoleName: `role-${r}`,
    RoleId: `AROA${id}${String(r).padStart(9, '0')}`,
    Arn: `arn:aws:iam::${id}:role/role-${r}`,
    CreateDate: '2024-06-01T00:00:00Z',
    AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
    RolePolicyList: [{ PolicyName: 'fn', PolicyDocument: policy(['logs:PutLogEvents', 's3:GetObject']) }],
    AttachedManagedPolicies: [],
    RoleLastUsed: { LastUsedDate: '2026-11-10T00:00:00Z', Region: 'us-east-1' },
  }));
  return {
    authorizationDetails: { UserDetailList: users, GroupDetailList: groups, RoleDetailList: roles, Policies: [] },
    credentials,
    auditRole: { roleName: 'NhiAuditReadOnly' },
  } as AwsSandboxDataset['accounts'][string];
}

const ids = Array.from({ length: accounts }, (_, i) => String(100000000000 + i * 111111111));
const dataset = {
  baseCredentials: { accessKeyId: `AKIA${ids[0]!.padStart(16, '0')}`, accountId: ids[0]!, arn: `arn:aws:iam::${ids[0]}:user/collector` },
  organization: {
    managementAccountId: ids[0]!,
    accounts: ids.map((id) => ({ Id: id, Arn: `arn:aws:organizations::${ids[0]}:account/o-bench/${id}`, Email: `${id}@example.com`, Name: id, State: 'ACTIVE', JoinedMethod: 'CREATED', JoinedTimestamp: '2020-01-01T00:00:00Z' })),
  },
  accounts: Object.fromEntries(ids.map((id) => [id, account(id)])),
} as AwsSandboxDataset;

const sandbox = await startAwsSandbox(dataset, { now: new Date(setup.now), latencyMs: setup.latencyMs, credentialReportPolls: 0 });
process.send!({ url: sandbox.url, baseCredentials: sandbox.baseCredentials });
process.once('message', async () => {
  const calls = sandbox.calls.length;
  const busySeconds = performance.eventLoopUtilization().active / 1000;
  await sandbox.close();
  process.send!({ calls, busySeconds }, () => process.exit(0));
});
