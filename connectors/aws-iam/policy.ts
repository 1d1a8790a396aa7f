import { PRIVILEGE_ORDER, type PrivilegeFlag, type PrivilegeLevel } from '../../src/sdk/index.js';

/** An IAM policy document as JSON, after URL-decoding. */
export interface PolicyDocument {
  Version?: string;
  Statement?: PolicyStatement | PolicyStatement[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyAnalysis {
  level: PrivilegeLevel;
  flags: PrivilegeFlag[];
  /** The action patterns that decided the level and flags, sorted and bounded. */
  evidence: string[];
  /** Whether some Allow statement applies to every resource. */
  allResources: boolean;
}

const MAX_EVIDENCE = 20;

/** Verbs of AWS actions that only read (the IAM "List" and "Read" access levels follow these prefixes). */
const READ_VERBS = /^(get|list|describe|head|search|lookup|scan|query|batchget|select|view|check|download|preview|verify|estimate)/i;

/**
 * Single actions on `*` that let a principal give itself more access (Rhino Security Labs' methods, as
 * cloudsplaining and PMapper use them). PassRole escalates only together with a service that runs code as
 * the passed role, so it is listed with those services below.
 */
const ESCALATION_ACTIONS = [
  'glue:UpdateDevEndpoint',
  'iam:AddUserToGroup',
  'iam:AttachGroupPolicy',
  'iam:AttachRolePolicy',
  'iam:AttachUserPolicy',
  'iam:CreateAccessKey',
  'iam:CreateLoginProfile',
  'iam:CreatePolicyVersion',
  'iam:PutGroupPolicy',
  'iam:PutRolePolicy',
  'iam:PutUserPolicy',
  'iam:SetDefaultPolicyVersion',
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateLoginProfile',
  'lambda:UpdateFunctionCode',
];
const CREDENTIAL_CREATION_ACTIONS = ['iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile'];
const PASSROLE_TARGETS = [
  'cloudformation:CreateStack',
  'codebuild:CreateProject',
  'datapipeline:CreatePipeline',
  'ec2:RunInstances',
  'ecs:RunTask',
  'glue:CreateDevEndpoint',
  'lambda:CreateFunction',
  'sagemaker:CreateNotebookInstance',
];

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function statements(document: PolicyDocument): PolicyStatement[] {
  const statement = document.Statement;
  if (statement === undefined) return [];
  return Array.isArray(statement) ? statement : [statement];
}

const patterns = new Map<string, RegExp>();

/** Does the action pattern (with `*` and `?` wildcards, case-insensitive) match the concrete action? */
export function actionMatches(pattern: string, action: string): boolean {
  let regex = patterns.get(pattern);
  if (!regex) {
    regex = new RegExp(
      `^${pattern
        .toLowerCase()
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    patterns.set(pattern, regex);
  }
  return regex.test(action.toLowerCase());
}

/**
 * IAM writes that change no one's permissions: a service-linked role can be assumed only by its service and
 * carries the policy AWS defines for it, so every *FullAccess managed policy may create one without escalating.
 */
const NOT_IAM_WRITE = new Set(['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole'].map((a) => a.toLowerCase()));

/** Actions whose verb reads like a write but whose IAM access level is Read (Service Authorization Reference). */
const READ_ACTIONS = new Set(
  [
    'iam:GenerateCredentialReport',
    'iam:GenerateOrganizationsAccessReport',
    'iam:GenerateServiceLastAccessedDetails',
    'iam:SimulateCustomPolicy',
    'iam:SimulatePrincipalPolicy',
  ].map((a) => a.toLowerCase()),
);

/** Access level of one action pattern: `s3:Get*` reads, `s3:Put*` and `s3:*` write. */
export function patternLevel(pattern: string): PrivilegeLevel {
  if (pattern === '*') return 'admin';
  if (READ_ACTIONS.has(pattern.toLowerCase())) return 'read';
  const verb = pattern.split(':')[1] ?? '';
  if (verb.startsWith('*')) return 'write';
  return READ_VERBS.test(verb) ? 'read' : 'write';
}

export function maxLevel(levels: Iterable<PrivilegeLevel>): PrivilegeLevel {
  const all = [...levels];
  if (all.includes('admin')) return 'admin';
  // A grant whose document could not be read may hide anything short of what we already know is admin.
  if (all.includes('unknown')) return 'unknown';
  return all.reduce<PrivilegeLevel>((best, level) => (PRIVILEGE_ORDER.indexOf(level) > PRIVILEGE_ORDER.indexOf(best) ? level : best), 'none');
}

/**
 * What an identity policy allows. Deny statements are not subtracted: the result is the access the policy
 * grants before explicit denies and boundaries, which is what least-privilege reviews judge.
 */
export function analyzePolicy(document: PolicyDocument): PolicyAnalysis {
  const levels: PrivilegeLevel[] = [];
  const flags = new Set<PrivilegeFlag>();
  const evidence = new Set<string>();
  const allowedOnAll: string[] = [];
  let allResources = false;

  for (const statement of statements(document)) {
    if (statement.Effect !== 'Allow') continue;
    const onAll = list(statement.Resource).includes('*') || statement.NotResource !== undefined;
    allResources ||= onAll;

    if (statement.NotAction !== undefined) {
      const excluded = list(statement.NotAction);
      flags.add('not-action');
      evidence.add(`NotAction:${excluded.join(',')}`);
      const excludesIam = excluded.some((p) => actionMatches(p, 'iam:CreateAccessKey'));
      if (onAll && !excludesIam) {
        levels.push('admin');
        flags.add('admin');
        flags.add('iam-write');
        flags.add('privilege-escalation');
      } else {
        levels.push('write');
      }
      continue;
    }

    for (const pattern of list(statement.Action)) {
      const level = patternLevel(pattern);
      if (pattern === '*') {
        flags.add('wildcard-action');
        evidence.add(pattern);
        if (onAll) {
          flags.add('admin');
          levels.push('admin');
        } else {
          levels.push('write');
        }
      } else {
        levels.push(level);
        if (pattern.endsWith(':*')) {
          flags.add('service-wildcard');
          evidence.add(pattern);
        }
        // An IAM write limited to named resources (PassRole to one task role) changes nothing else; on every
        // resource it is what cloudsplaining calls permissions management without resource constraints.
        if (level === 'write' && onAll && pattern.toLowerCase().startsWith('iam:') && !NOT_IAM_WRITE.has(pattern.toLowerCase())) {
          flags.add('iam-write');
          evidence.add(pattern);
        }
      }
      if (onAll) allowedOnAll.push(pattern);
    }
  }

  const allows = (action: string) => allowedOnAll.some((pattern) => actionMatches(pattern, action));
  const escalations = ESCALATION_ACTIONS.filter(allows);
  const passRole = allows('iam:PassRole');
  if (passRole) {
    flags.add('passrole-any');
    evidence.add('iam:PassRole');
  }
  const passRoleTargets = passRole ? PASSROLE_TARGETS.filter(allows) : [];
  if (escalations.length > 0 || passRoleTargets.length > 0) {
    flags.add('privilege-escalation');
    for (const action of [...escalations, ...passRoleTargets]) evidence.add(action);
  }
  if (CREDENTIAL_CREATION_ACTIONS.some(allows)) flags.add('credential-creation');

  return {
    level: maxLevel(levels),
    flags: [...flags].sort(),
    evidence: [...evidence].sort().slice(0, MAX_EVIDENCE),
    allResources,
  };
}

/** Policy documents arrive URL-encoded from the API (the SDK leaves them so) and as objects in CLI exports. */
export function parsePolicyDocument(document: unknown): PolicyDocument {
  if (typeof document === 'string') {
    const text = document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
    return JSON.parse(text) as PolicyDocument;
  }
  if (document && typeof document === 'object') return document as PolicyDocument;
  return {};
}
