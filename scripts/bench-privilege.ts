/**
 * Benchmark: AWS effective-permission analysis alone (catalog load, policy compilation, per-principal
 * evaluation) over a generated account, reporting wall and CPU time. `npx tsx scripts/bench-privilege.ts [roles]`;
 * docs/benchmarks.md records the figures.
 *
 * Each role holds three of 200 customer managed policies, every 500th AdministratorAccess and every 97th
 * ReadOnlyAccess (AWS's documents), a third an inline policy of its own, a tenth a permissions boundary; the
 * account sits under two SCPs. Some policies carry a Deny or a condition on the source IP.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadActionCatalog } from '../connectors/aws-iam/catalog.js';
import { PrivilegeEvaluator } from '../connectors/aws-iam/effective.js';
import { normalizeAccount, type AccountSnapshot, type ManagedPolicyLike } from '../connectors/aws-iam/normalize.js';
import type { PolicyDocument } from '../connectors/aws-iam/policy.js';

const [roles = 100_000] = process.argv.slice(2).map(Number);
const now = new Date('2026-11-20T00:00:00Z');
const ACCOUNT = '123456789012';
const SERVICES = ['s3', 'sqs', 'dynamodb', 'lambda', 'ec2', 'rds', 'kms', 'sns', 'logs', 'cloudwatch', 'glue', 'athena', 'redshift', 'ecs', 'ecr'];
const VERBS = ['Get*', 'List*', 'Put*', 'Describe*', 'Create*', 'Delete*', '*', 'Update*'];

function document(i: number): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [`${SERVICES[i % 15]}:${VERBS[i % 8]}`, `${SERVICES[(i * 7) % 15]}:${VERBS[(i * 3) % 8]}`, ...(i % 40 === 0 ? ['iam:PassRole'] : [])],
        Resource: i % 3 ? '*' : `arn:aws:s3:::bucket-${i}`,
      },
      ...(i % 10 === 0 ? [{ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }] : []),
      ...(i % 17 === 0 ? [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }] : []),
    ],
  };
}

function managed(name: string): ManagedPolicyLike {
  const file = path.resolve(import.meta.dirname, '../fixtures/aws-iam/managed-policies', `${name}.json`);
  const { Arn, Document } = JSON.parse(readFileSync(file, 'utf8')) as { Arn: string; Document: PolicyDocument };
  return { PolicyName: name, Arn, DefaultVersionId: 'v1', PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document }] };
}

const customer = Array.from({ length: 200 }, (_, i): ManagedPolicyLike => ({
  PolicyName: `p${i}`,
  Arn: `arn:aws:iam::${ACCOUNT}:policy/p${i}`,
  DefaultVersionId: 'v1',
  PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: document(i) }],
}));
const [readOnly, administrator] = [managed('ReadOnlyAccess'), managed('AdministratorAccess')];
const attach = (policy: ManagedPolicyLike) => ({ PolicyName: policy.PolicyName!, PolicyArn: policy.Arn! });
const scp = (Id: string, statement: object) => ({ Id, Name: Id, Content: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }) });

const snapshot: AccountSnapshot = {
  accountId: ACCOUNT,
  users: [],
  groups: [],
  roles: Array.from({ length: roles }, (_, i) => ({
    RoleName: `role-${i}`,
    Arn: `arn:aws:iam::${ACCOUNT}:role/role-${i}`,
    Path: '/',
    CreateDate: '2026-01-01T00:00:00Z',
    AttachedManagedPolicies: [
      ...[i % 200, (i * 13) % 200, (i * 31) % 200].map((k) => attach(customer[k]!)),
      ...(i % 500 === 0 ? [attach(administrator)] : i % 97 === 0 ? [attach(readOnly)] : []),
    ],
    RolePolicyList: i % 3 === 0 ? [{ PolicyName: 'inline', PolicyDocument: document(i + 1000) }] : [],
    ...(i % 10 === 0 ? { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: customer[5]!.Arn! } } : {}),
  })),
  policies: [...customer, readOnly, administrator],
  awsManagedPolicies: {},
  credentialReport: null,
  accessKeys: {},
  serviceControlPolicies: [
    {
      target: 'r-bench',
      policies: [scp('p-FullAWSAccess', { Effect: 'Allow', Action: '*', Resource: '*' }), scp('p-denyleave01', { Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' })],
    },
  ],
  refs: { entities: {} },
};

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return Math.round((used.user + used.system) / 1000);
};
let wall = performance.now();
let cpu = process.cpuUsage();
const catalog = await loadActionCatalog();
console.log(`catalog ${catalog.version}: ${catalog.size} actions, ${Math.round(performance.now() - wall)} ms wall, ${cpuMs(cpu)} ms CPU`);
wall = performance.now();
cpu = process.cpuUsage();
const identities = normalizeAccount(snapshot, { connector: 'aws-iam', source: 'bench', now, privileges: new PrivilegeEvaluator(catalog, now) });
const levels: Record<string, number> = {};
for (const identity of identities) levels[identity.privilege.level] = (levels[identity.privilege.level] ?? 0) + 1;
console.log(
  `${identities.length} roles: ${Math.round(performance.now() - wall)} ms wall, ${cpuMs(cpu)} ms CPU, peak RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
  levels,
);
