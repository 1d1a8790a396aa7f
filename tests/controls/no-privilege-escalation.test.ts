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
    name: 'CI secrets hold no privilege of their own',
    identities: [anIdentity({ kind: 'ci-secret', privilege: { level: 'write', grants: [], flags: ['passrole-any'] } })],
    expect: [],
  },
]);
