import type { PrivilegeFlag } from '../../src/sdk/index.js';
import type { ActionCatalog, ActionSet } from './catalog.js';
import { evaluateCondition, type ConditionOutcome, type ServiceScope } from './conditions.js';

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

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function statements(document: PolicyDocument): PolicyStatement[] {
  const statement = document.Statement;
  if (statement === undefined) return [];
  return Array.isArray(statement) ? statement : [statement];
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

/**
 * Which resources a statement covers: every one (`Resource: "*"`), every one but those named (`NotResource`),
 * or named ones. Risk flags count only what holds on every resource, as cloudsplaining does.
 */
export type ResourceReach = 'all' | 'all-but-named' | 'named';

/** One statement's effect on a set of catalog actions, with its condition decided as far as possible. */
export interface PolicyPart {
  effect: 'Allow' | 'Deny';
  actions: ActionSet;
  resources: ResourceReach;
  outcome: ConditionOutcome;
  /** For an Allow that includes iam:PassRole: the services the role may be passed to. */
  passRoleTo?: ServiceScope;
}

/** A policy document expanded against the catalog: what each statement allows or denies. */
export interface CompiledPolicy {
  /** Equal documents compile to one policy with one key, so principals that share policies share their evaluation. */
  key: number;
  parts: PolicyPart[];
  /** How the document is written: `*` actions, service wildcards, NotAction. */
  shape: PrivilegeFlag[];
  /** The patterns behind `shape`, for evidence. */
  shapeEvidence: string[];
  /** Statements that can never apply at the as-of date, with the reason. */
  impossible: string[];
}

function resourceReach(statement: PolicyStatement): ResourceReach {
  if (statement.NotResource !== undefined) return 'all-but-named';
  // A statement without Resource (allowed in SCPs) covers every resource.
  if (statement.Resource === undefined) return 'all';
  return list(statement.Resource).includes('*') ? 'all' : 'named';
}

/** Compiles documents once per distinct content, against one catalog and as-of date. */
export class PolicyCompiler {
  private readonly byObject = new WeakMap<object, CompiledPolicy>();
  private readonly byText = new Map<string, CompiledPolicy>();

  constructor(
    readonly catalog: ActionCatalog,
    readonly now: Date,
  ) {}

  compile(document: PolicyDocument): CompiledPolicy {
    const known = this.byObject.get(document);
    if (known) return known;
    const text = JSON.stringify(document);
    let compiled = this.byText.get(text);
    if (!compiled) {
      compiled = this.build(document, this.byText.size);
      this.byText.set(text, compiled);
    }
    this.byObject.set(document, compiled);
    return compiled;
  }

  private expand(patterns: string[]): ActionSet {
    return patterns.reduce((set, pattern) => set.union(this.catalog.expand(pattern)), this.catalog.empty());
  }

  private build(document: PolicyDocument, key: number): CompiledPolicy {
    const { catalog } = this;
    const passRole = catalog.expand('iam:PassRole');
    const parts: PolicyPart[] = [];
    const shape = new Set<PrivilegeFlag>();
    const shapeEvidence = new Set<string>();
    const impossible: string[] = [];

    for (const statement of statements(document)) {
      const effect = statement.Effect === 'Allow' ? 'Allow' : statement.Effect === 'Deny' ? 'Deny' : undefined;
      if (!effect) continue;
      const notAction = statement.NotAction !== undefined;
      const patterns = list(notAction ? statement.NotAction : statement.Action);
      const actions = notAction ? catalog.all.minus(this.expand(patterns)) : this.expand(patterns);
      const resources = resourceReach(statement);
      const condition = evaluateCondition(statement.Condition, this.now, { restrictsPassRole: effect === 'Allow' });
      if (condition.outcome.kind === 'never') {
        impossible.push(`${statement.Sid ?? effect}: ${condition.outcome.because}`);
        continue;
      }
      if (effect === 'Allow') {
        if (notAction) {
          shape.add('not-action');
          shapeEvidence.add(`NotAction:${patterns.join(',')}`);
        }
        for (const pattern of notAction ? [] : patterns) {
          if (pattern === '*' || pattern === '*:*') {
            shape.add('wildcard-action');
            shapeEvidence.add(pattern);
          } else if (pattern.endsWith(':*')) {
            shape.add('service-wildcard');
            shapeEvidence.add(pattern);
          }
        }
      }
      // Parts written out whole: in Node 20's V8 a member after a spread (`{ ...base, actions }`) costs a microsecond or more.
      const part = (partActions: ActionSet): PolicyPart => ({ effect, resources, outcome: condition.outcome, actions: partActions });
      const restricted = condition.passedToService;
      if (effect === 'Allow' && restricted) {
        if (actions.intersects(passRole)) {
          const passing = part(actions.intersect(passRole));
          passing.passRoleTo = restricted.services;
          parts.push(passing);
        }
        const others = actions.minus(passRole);
        if (restricted.othersApply && !others.isEmpty()) parts.push(part(others));
      } else {
        const whole = part(actions);
        if (effect === 'Allow' && actions.intersects(passRole)) whole.passRoleTo = 'any';
        parts.push(whole);
      }
    }
    return { key, parts, shape: [...shape].sort(), shapeEvidence: [...shapeEvidence].sort(), impossible };
  }
}
