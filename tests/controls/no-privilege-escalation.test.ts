import control from '../../src/controls/no-privilege-escalation.js';
import type { Grant, PrivilegeFlag } from '../../src/sdk/index.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const grant = (name: string, flags: PrivilegeFlag[], evidence: string[], ref?: string): Grant => ({
  via: 'attached',
  name,
  ...(ref ? { ref } : {}),
  level: 'write',
  flags,
  evidence,
});
const holding = (...grants: Grant[]) =>
  anIdentity({ privilege: { level: 'write', grants, flags: [...new Set(grants.flatMap((g) => g.flags))].sort(), reach: 'all' } });

new ControlTester(control, now).run([
  {
    name: 'PassRole on every role fails and names the grant and its actions',
    identities: [holding(grant('erp-journal-posting', ['iam-write', 'passrole-any'], ['iam:PassRole'], 'arn:aws:iam::2:policy/erp-journal-posting'))],
    expect: [
      {
        status: 'fail',
        message: /Can escalate \(iam-write, passrole-any\) through erp-journal-posting \(arn:aws:iam::2:policy\/erp-journal-posting\)/,
        evidence: { grants: [{ grant: 'erp-journal-posting (arn:aws:iam::2:policy/erp-journal-posting)', flags: ['iam-write', 'passrole-any'], actions: ['iam:PassRole'] }] },
      },
    ],
  },
  {
    name: 'CreateAccessKey on every user fails',
    identities: [holding(grant('SupYo', ['credential-creation', 'iam-write', 'privilege-escalation'], ['iam:CreateAccessKey']))],
    expect: [{ status: 'fail', evidence: { flags: ['credential-creation', 'iam-write', 'privilege-escalation'] } }],
  },
  {
    name: 'UpdateAssumeRolePolicy and the like on every role fail',
    identities: [holding(grant('trust-editor', ['iam-write', 'privilege-escalation'], ['iam:UpdateAssumeRolePolicy']))],
    expect: [{ status: 'fail' }],
  },
  {
    name: 'impersonating other service accounts project-wide fails',
    identities: [holding({ via: 'binding', name: 'roles/iam.serviceAccountTokenCreator', level: 'write', flags: ['impersonation'], evidence: ['iam.serviceAccounts.getAccessToken'] })],
    expect: [{ status: 'fail', message: /impersonation/ }],
  },
  {
    name: 'writes without escalation flags pass, the grants that hold none are not named',
    identities: [holding(grant('reporting-deploy', ['service-wildcard'], ['ecs:*']))],
    expect: [{ status: 'pass', evidence: { flags: ['service-wildcard'] } }],
  },
  {
    name: 'which flags count is an option',
    options: { flags: ['privilege-escalation'] },
    identities: [holding(grant('erp-journal-posting', ['iam-write', 'passrole-any'], ['iam:PassRole']))],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'an administrator whose analysis shows escalation fails here too',
    identities: [
      anIdentity({
        kind: 'role',
        privilege: { level: 'admin', grants: [{ via: 'attached', name: 'AdministratorAccess', level: 'admin', flags: ['admin', 'privilege-escalation'], evidence: ['*'] }], flags: ['admin', 'privilege-escalation'] },
      }),
    ],
    expect: [{ status: 'fail', message: /through AdministratorAccess/ }],
  },
  {
    name: 'unknown privilege without flags is not applicable',
    identities: [anIdentity({ privilege: { level: 'unknown', grants: [], flags: [] } })],
    expect: [{ status: 'not-applicable' }],
  },
  {
    name: 'a flag found beside an unreadable grant still fails',
    identities: [anIdentity({ privilege: { level: 'unknown', grants: [grant('x', ['passrole-any'], ['iam:PassRole'])], flags: ['passrole-any'] } })],
    expect: [{ status: 'fail' }],
  },
  {
    name: 'escalation that holds only under an undecided condition fails and names the condition',
    identities: [
      anIdentity({
        privilege: {
          level: 'read',
          grants: [{ ...grant('mfa-iam-admin', [], []), conditional: { level: 'write', flags: ['iam-write'], conditions: ['Bool aws:MultiFactorAuthPresent true'] } }],
          flags: [],
          conditional: { level: 'write', flags: ['iam-write', 'service-wildcard'], conditions: ['Bool aws:MultiFactorAuthPresent true'] },
        },
      }),
    ],
    expect: [
      {
        status: 'fail',
        message: 'Can escalate (iam-write) under Bool aws:MultiFactorAuthPresent true, a condition nhi-audit does not evaluate, through mfa-iam-admin',
        evidence: { flags: [], conditional: { level: 'write', flags: ['iam-write'], conditions: ['Bool aws:MultiFactorAuthPresent true'] } },
      },
    ],
  },
  {
    name: 'a Deny that takes the escalation away passes and names the Deny',
    identities: [
      anIdentity({
        privilege: {
          level: 'write',
          grants: [grant('iam-admin', [], [])],
          flags: [],
          limits: [{ kind: 'deny', name: 'deny-iam', ref: 'inline:deny-iam', level: 'write', removes: ['iam-write', 'permissions-management'] }],
        },
      }),
    ],
    expect: [{ status: 'pass', message: 'No escalation path: the explicit Deny in deny-iam (inline:deny-iam) takes away iam-write' }],
  },
  {
    name: 'the escalation methods found are named',
    identities: [anIdentity({ privilege: { level: 'write', grants: [grant('PowerUserAccess', ['privilege-escalation'], [])], flags: ['privilege-escalation'], escalationMethods: ['EditExistingLambdaFunctionWithRole'] } })],
    expect: [{ status: 'fail', message: /methods EditExistingLambdaFunctionWithRole$/, evidence: { escalationMethods: ['EditExistingLambdaFunctionWithRole'] } }],
  },
  {
    name: 'an identity the provider manages is not applicable, with the reason',
    identities: [anIdentity({ kind: 'role', providerManaged: { reason: 'AWS service-linked role of ssm.amazonaws.com' }, privilege: { level: 'write', grants: [], flags: ['passrole-any'] } })],
    expect: [{ status: 'not-applicable', message: 'AWS service-linked role of ssm.amazonaws.com' }],
  },
  {
    name: 'CI secrets hold no privilege of their own',
    identities: [anIdentity({ kind: 'ci-secret', privilege: { level: 'write', grants: [], flags: ['passrole-any'] } })],
    expect: [],
  },
]);
