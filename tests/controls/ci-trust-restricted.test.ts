import control from '../../src/controls/ci-trust-restricted.js';
import type { TrustPrincipal } from '../../src/sdk/index.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');
const github = 'arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com';
const gitlab = 'arn:aws:iam::333333333333:oidc-provider/gitlab.com';
const oidc = (value: string, subjects: string[]): TrustPrincipal => ({ type: 'federated', value, subjects, audiences: ['sts.amazonaws.com'], conditioned: true });
const role = (...trust: TrustPrincipal[]) => anIdentity({ kind: 'role', trust });

new ControlTester(control, now).run([
  {
    name: 'a GitHub subject pinned to a repository and branch passes',
    identities: [role(oidc(github, ['repo:corvid-systems/reporting-service:ref:refs/heads/main']))],
    expect: [{ status: 'pass', message: /pinned to repo:corvid-systems\/reporting-service:ref:refs\/heads\/main/ }],
  },
  {
    name: 'a GitHub subject pinned to a repository and deployment environment passes',
    identities: [role(oidc(github, ['repo:corvid-systems/reporting-service:environment:production']))],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'every repository of the organization fails',
    identities: [role(oidc(github, ['repo:corvid-systems/*']))],
    expect: [{ status: 'fail', message: /repo:corvid-systems\/\*/, evidence: { ciTrust: [{ provider: github, unpinned: ['repo:corvid-systems/*'] }] } }],
  },
  {
    name: 'repo:* fails',
    identities: [role(oidc(github, ['repo:*']))],
    expect: [{ status: 'fail' }],
  },
  {
    name: 'any branch of one repository fails',
    identities: [role(oidc(github, ['repo:corvid-systems/reporting-service:*']))],
    expect: [{ status: 'fail' }],
  },
  {
    name: 'pull requests are neither a branch nor an environment',
    identities: [role(oidc(github, ['repo:corvid-systems/reporting-service:pull_request']))],
    expect: [{ status: 'fail' }],
  },
  {
    name: 'no subject condition at all fails: any repository of anyone',
    identities: [role({ type: 'federated', value: github, subjects: [], audiences: ['sts.amazonaws.com'], conditioned: true })],
    expect: [{ status: 'fail', message: /\(any subject\)/ }],
  },
  {
    name: 'one loose subject among pinned ones fails',
    identities: [role(oidc(github, ['repo:corvid-systems/a:ref:refs/heads/main', 'repo:corvid-systems/b:ref:refs/heads/*']))],
    expect: [{ status: 'fail', message: /refs\/heads\/\*/ }],
  },
  {
    name: 'a GitLab subject pinned to a project and branch passes; a wildcard project fails',
    identities: [role(oidc(gitlab, ['project_path:finance/close:ref_type:branch:ref:main'])), role(oidc(gitlab, ['project_path:finance/*:ref_type:branch:ref:main']))],
    expect: [{ status: 'pass' }, { status: 'fail' }],
  },
  {
    name: 'another CI issuer is pinned when its subject has no wildcard',
    identities: [role(oidc('arn:aws:iam::3:oidc-provider/app.terraform.io', ['organization:corvid:project:finance:workspace:close:run_phase:apply']))],
    expect: [{ status: 'pass' }],
  },
  {
    name: 'which issuers are CI systems is an option',
    options: { providers: ['ci.corvid.example'] },
    identities: [role(oidc(github, ['repo:*'])), role(oidc('arn:aws:iam::3:oidc-provider/ci.corvid.example', ['pipeline:*']))],
    expect: [{ status: 'not-applicable' }, { status: 'fail' }],
  },
  {
    name: 'roles trusted by services, accounts or SAML are not applicable',
    identities: [
      role({ type: 'service', value: 'lambda.amazonaws.com', conditioned: false }),
      role({ type: 'federated', value: 'arn:aws:iam::1:saml-provider/AWSSSO', conditioned: true }),
      anIdentity({ kind: 'role' }),
    ],
    expect: [{ status: 'not-applicable' }, { status: 'not-applicable' }, { status: 'not-applicable' }],
  },
  {
    name: 'tokens and apps are outside the control',
    identities: [anIdentity({ kind: 'app', trust: [oidc(github, ['repo:*'])] })],
    expect: [],
  },
]);
