/**
 * The privilege agreement table: the cases an IAM reviewer checks a tool on, each with the level and flags AWS's
 * evaluation logic gives, and the verdicts of no-admin-privilege and no-privilege-escalation. AWS managed
 * policies are AWS's own documents (fixtures/aws-iam/managed-policies/).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadActionCatalog } from '../../../connectors/aws-iam/catalog.js';
import { PrivilegeEvaluator } from '../../../connectors/aws-iam/effective.js';
import { normalizeAccount, type AccountSnapshot, type RoleDetailLike, type ServiceControlPolicyLike } from '../../../connectors/aws-iam/normalize.js';
import type { PolicyDocument } from '../../../connectors/aws-iam/policy.js';
import noAdminPrivilege from '../../../src/controls/no-admin-privilege.js';
import noPrivilegeEscalation from '../../../src/controls/no-privilege-escalation.js';
import type { Identity, PrivilegeFlag, PrivilegeLevel } from '../../../src/sdk/index.js';

const now = new Date('2026-11-20T00:00:00Z');
const ACCOUNT = '123456789012';
const MANAGED_DIR = path.resolve(import.meta.dirname, '../../../fixtures/aws-iam/managed-policies');

function awsManaged(name: string): { arn: string; document: PolicyDocument } {
  const file = JSON.parse(readFileSync(path.join(MANAGED_DIR, `${name}.json`), 'utf8')) as { Arn: string; Document: PolicyDocument };
  return { arn: file.Arn, document: file.Document };
}
const ADMINISTRATOR = awsManaged('AdministratorAccess');
const POWER_USER = awsManaged('PowerUserAccess');
const READ_ONLY = awsManaged('ReadOnlyAccess');
const SSM_SERVICE_ROLE = awsManaged('AmazonSSMServiceRolePolicy');

const attached = (...policies: { arn: string }[]) => policies.map((p) => ({ PolicyName: p.arn.split('/').at(-1)!, PolicyArn: p.arn }));
const inline = (PolicyName: string, ...Statement: object[]) => ({ PolicyName, PolicyDocument: { Version: '2012-10-17', Statement } });
const ALLOW_ALL = { Effect: 'Allow', Action: '*', Resource: '*' };
const ESCALATION_BY_SERVICES = ['permissions-management', 'privilege-escalation'] as const;
const EVERYTHING: PrivilegeFlag[] = ['admin', 'credential-creation', 'iam-write', 'passrole-any', 'permissions-management', 'privilege-escalation'];

/** A customer managed policy that allows storage and logs only: the boundary of the capped role. */
const STORAGE_BOUNDARY = {
  PolicyName: 'storage-and-logs-only',
  Arn: `arn:aws:iam::${ACCOUNT}:policy/storage-and-logs-only`,
  DefaultVersionId: 'v1',
  PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 'logs:*'], Resource: '*' }] } }],
};

const FULL_AWS_ACCESS: ServiceControlPolicyLike = { Id: 'p-FullAWSAccess', Name: 'FullAWSAccess', Arn: 'arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess', Content: JSON.stringify({ Version: '2012-10-17', Statement: [ALLOW_ALL] }) };
const DENY_IAM: ServiceControlPolicyLike = { Id: 'p-denyiam01', Name: 'deny-iam', Arn: 'arn:aws:organizations::111111111111:policy/o-example/service_control_policy/p-denyiam01', Content: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iam:*', Resource: '*' }] }) };

const REGION_LOCK: ServiceControlPolicyLike = {
  Id: 'p-regionlock1',
  Name: 'region-lock',
  Arn: 'arn:aws:organizations::111111111111:policy/o-example/service_control_policy/p-regionlock1',
  Content: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', NotAction: ['iam:*', 'sts:*', 'organizations:*'], Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-central-1', 'us-east-1'] } } }],
  }),
};

interface Case {
  name: string;
  role: Omit<RoleDetailLike, 'RoleName' | 'Arn' | 'CreateDate'>;
  /** The organization's SCPs over the account (else none apply: a standalone account). */
  scps?: ServiceControlPolicyLike[][];
  level: PrivilegeLevel;
  flags: PrivilegeFlag[];
  conditionalFlags?: PrivilegeFlag[];
  noAdminPrivilege: 'pass' | 'fail' | 'not-applicable';
  noPrivilegeEscalation: 'pass' | 'fail' | 'not-applicable';
  /** What the findings must say (a Deny that saves, the condition, the provider's management). */
  says?: RegExp;
}

const cases: Case[] = [
  {
    name: 'AdministratorAccess',
    role: { AttachedManagedPolicies: attached(ADMINISTRATOR) },
    level: 'admin',
    flags: [...EVERYTHING, 'wildcard-action'].sort() as PrivilegeFlag[],
    noAdminPrivilege: 'fail',
    noPrivilegeEscalation: 'fail',
  },
  {
    name: '"*:*" on every resource is admin',
    role: { RolePolicyList: [inline('star-colon-star', { Effect: 'Allow', Action: '*:*', Resource: '*' })] },
    level: 'admin',
    flags: [...EVERYTHING, 'wildcard-action'].sort() as PrivilegeFlag[],
    noAdminPrivilege: 'fail',
    noPrivilegeEscalation: 'fail',
  },
  {
    name: 'a Deny of everything in another policy saves an AdministratorAccess role',
    role: { AttachedManagedPolicies: attached(ADMINISTRATOR), RolePolicyList: [inline('deny-all', { Effect: 'Deny', Action: '*', Resource: '*' })] },
    level: 'none',
    flags: ['wildcard-action'],
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'pass',
    says: /the explicit Deny in deny-all \(inline:deny-all\) takes/,
  },
  {
    name: 'a Deny of iam:* in the same policy leaves escalation through Lambda and Glue, not admin',
    role: { RolePolicyList: [inline('all-but-iam', ALLOW_ALL, { Effect: 'Deny', Action: 'iam:*', Resource: '*' })] },
    level: 'write',
    flags: [...ESCALATION_BY_SERVICES, 'wildcard-action'],
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'fail',
    says: /EditExistingLambdaFunctionWithRole/,
  },
  {
    name: 'PowerUserAccess (NotAction iam:*, organizations:*, account:*) escalates through lambda:UpdateFunctionCode and glue:UpdateDevEndpoint',
    role: { AttachedManagedPolicies: attached(POWER_USER) },
    level: 'write',
    flags: ['not-action', ...ESCALATION_BY_SERVICES],
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'fail',
    says: /UpdateExistingGlueDevEndpoint, EditExistingLambdaFunctionWithRole/,
  },
  {
    name: 'NotAction iam:Update*, iam:Create*, iam:Attach* still allows iam:PutUserPolicy and iam:PassRole',
    role: { RolePolicyList: [inline('not-quite-readonly', { Effect: 'Allow', NotAction: ['iam:Update*', 'iam:Create*', 'iam:Attach*'], Resource: '*' })] },
    level: 'write',
    flags: ['iam-write', 'not-action', 'passrole-any', 'permissions-management', 'privilege-escalation'],
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'fail',
    says: /PutUserPolicy/,
  },
  {
    name: 'iam:PassRole conditioned to ssm.amazonaws.com (AmazonSSMServiceRolePolicy on a customer role) passes no role to anything else',
    role: { AttachedManagedPolicies: attached(SSM_SERVICE_ROLE) },
    level: 'write',
    flags: [],
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'pass',
  },
  {
    name: 'an Allow * under aws:TokenIssueTime before 2020 never applies today',
    role: { RolePolicyList: [inline('sessions-before-2020', { ...ALLOW_ALL, Condition: { DateLessThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' } } })] },
    level: 'none',
    flags: [],
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'pass',
  },
  {
    name: 'an Allow * under aws:CurrentTime after 2020 always applies',
    role: { RolePolicyList: [inline('after-2020', { ...ALLOW_ALL, Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } })] },
    level: 'admin',
    flags: [...EVERYTHING, 'wildcard-action'].sort() as PrivilegeFlag[],
    noAdminPrivilege: 'fail',
    noPrivilegeEscalation: 'fail',
  },
  {
    name: 'an Allow * from one network only is conditional administrator privilege, and the findings name the condition',
    role: { RolePolicyList: [inline('office-only', { ...ALLOW_ALL, Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } })] },
    level: 'none',
    flags: ['wildcard-action'],
    conditionalFlags: EVERYTHING,
    noAdminPrivilege: 'fail',
    noPrivilegeEscalation: 'fail',
    says: /under IpAddress aws:SourceIp 203\.0\.113\.0\/24, a condition nhi-audit does not evaluate/,
  },
  {
    name: 'ReadOnlyAccess: Get*, List*, iam:Generate* and iam:Simulate* never escalate',
    role: { AttachedManagedPolicies: attached(READ_ONLY) },
    // AWS itself rates a few of its actions Write or Permissions management (s3express:CreateSession, billing:GetResourcePolicy).
    level: 'write',
    flags: ['permissions-management'],
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'pass',
  },
  {
    name: 'a service-linked role is AWS-managed: not applicable, with the reason',
    role: { Path: '/aws-service-role/ssm.amazonaws.com/', AttachedManagedPolicies: attached(SSM_SERVICE_ROLE) },
    level: 'write',
    flags: [],
    noAdminPrivilege: 'not-applicable',
    noPrivilegeEscalation: 'not-applicable',
    says: /AWS service-linked role of ssm\.amazonaws\.com/,
  },
  {
    name: 'a permissions boundary caps AdministratorAccess to storage and logs',
    role: { AttachedManagedPolicies: attached(ADMINISTRATOR), PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: STORAGE_BOUNDARY.Arn } },
    level: 'write',
    flags: ['permissions-management', 'wildcard-action'],
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'pass',
    says: /the permissions boundary storage-and-logs-only/,
  },
  {
    name: 'an SCP that denies iam:* takes admin away from AdministratorAccess; Lambda and Glue still escalate',
    role: { AttachedManagedPolicies: attached(ADMINISTRATOR) },
    scps: [[FULL_AWS_ACCESS, DENY_IAM]],
    level: 'write',
    flags: [...ESCALATION_BY_SERVICES, 'wildcard-action'],
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'fail',
    says: /the service control policy deny-iam/,
  },
  {
    name: 'an SCP that denies every action outside two regions leaves AdministratorAccess an administrator everywhere else',
    role: { AttachedManagedPolicies: attached(ADMINISTRATOR) },
    scps: [[FULL_AWS_ACCESS, REGION_LOCK]],
    level: 'admin',
    flags: [...EVERYTHING, 'wildcard-action'].sort() as PrivilegeFlag[],
    noAdminPrivilege: 'fail',
    noPrivilegeEscalation: 'fail',
    says: /the service control policy region-lock \(.*\) takes it away only under StringNotEquals aws:RequestedRegion eu-central-1, us-east-1, a condition nhi-audit does not evaluate/,
  },
];

let identities: Map<string, Identity>;

beforeAll(async () => {
  const privileges = new PrivilegeEvaluator(await loadActionCatalog(), now);
  const roles = cases.map((c, index) => ({ RoleName: `case-${index}`, Arn: `arn:aws:iam::${ACCOUNT}:role/case-${index}`, CreateDate: '2026-01-01T00:00:00Z', Path: '/', ...c.role }));
  const snapshot = (scps: ServiceControlPolicyLike[][] | undefined, only: typeof roles): AccountSnapshot => ({
    accountId: ACCOUNT,
    users: [],
    groups: [],
    roles: only,
    policies: [STORAGE_BOUNDARY],
    awsManagedPolicies: Object.fromEntries([ADMINISTRATOR, POWER_USER, READ_ONLY, SSM_SERVICE_ROLE].map((p) => [p.arn, p.document])),
    credentialReport: null,
    accessKeys: {},
    ...(scps ? { serviceControlPolicies: scps.map((policies, level) => ({ target: level === 0 ? 'r-examp' : `level-${level}`, policies })) } : {}),
    refs: { entities: {} },
  });
  identities = new Map();
  cases.forEach((c, index) => {
    const [identity] = normalizeAccount(snapshot(c.scps, [roles[index]!]), { connector: 'aws-iam', source: 'aws', now, privileges });
    identities.set(c.name, identity!);
  });
});

function verdict(control: typeof noAdminPrivilege | typeof noPrivilegeEscalation, identity: Identity) {
  return control.evaluate([identity], { options: control.options.parse({}) as never, now })[0]!;
}

describe('privilege agreement table', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const identity = identities.get(name)!;
    expect(identity.privilege.level).toBe(c.level);
    expect(identity.privilege.flags).toEqual(c.flags);
    expect(identity.privilege.conditional?.flags ?? []).toEqual(c.conditionalFlags ?? []);
    const admin = verdict(noAdminPrivilege, identity);
    const escalation = verdict(noPrivilegeEscalation, identity);
    expect([admin.status, escalation.status]).toEqual([c.noAdminPrivilege, c.noPrivilegeEscalation]);
    if (c.says) expect(`${admin.message}\n${escalation.message}`).toMatch(c.says);
  });

  it('says which policies each result was computed from', () => {
    expect(identities.get(cases[0]!.name)!.privilege.evaluated).toEqual(['identity-policies']);
    expect(identities.get('a permissions boundary caps AdministratorAccess to storage and logs')!.privilege.evaluated).toEqual(['identity-policies', 'permissions-boundary']);
    expect(identities.get('an SCP that denies iam:* takes admin away from AdministratorAccess; Lambda and Glue still escalate')!.privilege.evaluated).toEqual([
      'identity-policies',
      'service-control-policies',
    ]);
  });
});
