import { describe, expect, it } from 'vitest';
import { analyzePolicy, parsePolicyDocument, type PolicyStatement } from '../../../connectors/aws-iam/policy.js';

const allow = (statement: Omit<PolicyStatement, 'Effect'>) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });

describe('policy analysis', () => {
  it.each([
    ['* on * is admin, and so can escalate', allow({ Action: '*', Resource: '*' }), 'admin', ['admin', 'credential-creation', 'passrole-any', 'privilege-escalation', 'wildcard-action']],
    ['* on one bucket is write, not admin', allow({ Action: '*', Resource: 'arn:aws:s3:::ledger' }), 'write', ['wildcard-action']],
    ['read verbs with wildcards read', allow({ Action: ['s3:Get*', 's3:List*', 'ec2:Describe*'], Resource: '*' }), 'read', []],
    ['a service wildcard writes', allow({ Action: 's3:*', Resource: '*' }), 'write', ['service-wildcard']],
    ['iam:PassRole on * is flagged', allow({ Action: 'iam:PassRole', Resource: '*' }), 'write', ['iam-write', 'passrole-any']],
    ['iam:PassRole on one named role writes but flags nothing', allow({ Action: 'iam:PassRole', Resource: 'arn:aws:iam::1:role/task' }), 'write', []],
    [
      'PassRole with a compute service escalates',
      allow({ Action: ['iam:PassRole', 'lambda:CreateFunction'], Resource: '*' }),
      'write',
      ['iam-write', 'passrole-any', 'privilege-escalation'],
    ],
    ['CreateAccessKey on * escalates and creates credentials', allow({ Action: 'iam:CreateAccessKey', Resource: '*' }), 'write', ['credential-creation', 'iam-write', 'privilege-escalation']],
    ['updating a Lambda function\'s code on * escalates (it runs as the function\'s role)', allow({ Action: 'lambda:UpdateFunctionCode', Resource: '*' }), 'write', ['privilege-escalation']],
    ['creating service-linked roles is no IAM write', allow({ Action: 'iam:CreateServiceLinkedRole', Resource: '*' }), 'write', []],
    ['iam:* escalates', allow({ Action: 'iam:*', Resource: '*' }), 'write', ['credential-creation', 'iam-write', 'passrole-any', 'privilege-escalation', 'service-wildcard']],
    ['NotAction that keeps IAM on * is admin', allow({ NotAction: 's3:DeleteBucket', Resource: '*' }), 'admin', ['admin', 'iam-write', 'not-action', 'privilege-escalation']],
    ['NotAction excluding IAM (PowerUserAccess) writes', allow({ NotAction: ['iam:*', 'organizations:*'], Resource: '*' }), 'write', ['not-action']],
    ['Deny statements grant nothing', { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }, 'none', []],
    ['a single statement object is read like a list', { Statement: { Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' } }, 'read', []],
  ] as const)('%s', (_name, document, level, flags) => {
    const analysis = analyzePolicy(document as never);
    expect(analysis.level).toBe(level);
    expect(analysis.flags).toEqual(flags);
  });

  it('names the actions that made the flags, in canonical case', () => {
    expect(analyzePolicy(allow({ Action: ['iam:createaccesskey'], Resource: '*' })).evidence).toEqual(['iam:CreateAccessKey', 'iam:createaccesskey']);
    expect(analyzePolicy(allow({ Action: ['iam:*'], Resource: '*' })).evidence).toContain('iam:UpdateAssumeRolePolicy');
  });

  it('decodes URL-encoded documents as the API returns them', () => {
    const encoded = encodeURIComponent(JSON.stringify(allow({ Action: '*', Resource: '*' })));
    expect(analyzePolicy(parsePolicyDocument(encoded)).level).toBe('admin');
  });
});

describe('access levels', () => {
  it('IAM report and simulation actions read, though their verbs sound like writes', () => {
    const analysis = analyzePolicy(allow({ Action: ['iam:GenerateCredentialReport', 'iam:SimulatePrincipalPolicy', 'iam:GetCredentialReport'], Resource: '*' }));
    expect(analysis.level).toBe('read');
    expect(analysis.flags).toEqual([]);
  });
});
