import { describe, expect, it } from 'vitest';
import { managementAccountOf, policiesOver, type OrganizationPolicies } from '../../../connectors/aws-iam/organization.js';

const policy = (Id: string) => ({ Id, Name: Id });
const organization: OrganizationPolicies = {
  managementAccountId: '111111111111',
  accountPaths: { '222222222222': ['o-x1/r-ab12/ou-ab12-finance0/222222222222/'], '333333333333': [] },
  policies: [
    { policy: policy('p-FullAWSAccess'), targets: [{ TargetId: 'r-ab12', Type: 'ROOT' }, { TargetId: 'ou-ab12-finance0', Type: 'ORGANIZATIONAL_UNIT' }, { TargetId: '222222222222', Type: 'ACCOUNT' }, { TargetId: '333333333333', Type: 'ACCOUNT' }] },
    { policy: policy('p-financeonly'), targets: [{ TargetId: 'ou-ab12-finance0', Type: 'ORGANIZATIONAL_UNIT' }] },
  ],
};
const names = (accountId: string) => policiesOver(organization, accountId)?.map(({ target, policies }) => [target, policies.map((p) => p.Id)]);

describe('service control policies over an account', () => {
  it('follows the account path from the root down to the account', () => {
    expect(names('222222222222')).toEqual([
      ['r-ab12', ['p-FullAWSAccess']],
      ['ou-ab12-finance0', ['p-FullAWSAccess', 'p-financeonly']],
      ['222222222222', ['p-FullAWSAccess']],
    ]);
  });

  it('without a path places only the root and the account, leaving OU policies out', () => {
    expect(names('333333333333')).toEqual([
      ['r-ab12', ['p-FullAWSAccess']],
      ['333333333333', ['p-FullAWSAccess']],
    ]);
  });

  it('none apply to the management account, which every account ARN names', () => {
    expect(names('111111111111')).toBeUndefined();
    expect(managementAccountOf('arn:aws:organizations::111111111111:account/o-x1/222222222222')).toBe('111111111111');
    expect(policiesOver({ ...organization, policies: [] }, '222222222222')).toBeUndefined();
  });
});
