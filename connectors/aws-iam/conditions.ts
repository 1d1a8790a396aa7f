/**
 * IAM policy conditions, decided where the decision is known at the as-of date and left open otherwise.
 *
 * Decided: dates on `aws:CurrentTime`, `aws:EpochTime` and `aws:TokenIssueTime` (a session used at the as-of
 * instant was issued then), and `iam:PassedToService`, which limits iam:PassRole to named services. Every other
 * condition (source IP, MFA, tags, VPC, organization) depends on the request, so a statement under it is
 * conditional: nhi-audit keeps it apart and names the condition.
 */

export type ConditionOutcome =
  /** No condition, or every condition holds at the as-of date. */
  | { kind: 'always' }
  /** A condition that can never hold at the as-of date (a date already past): the statement grants nothing. */
  | { kind: 'never'; because: string }
  /** Conditions that depend on the request: the statement applies only when they hold. */
  | { kind: 'unknown'; conditions: string[] };

/** Services a role may be passed to: every one, or those the patterns (with IAM wildcards) name. */
export type ServiceScope = 'any' | readonly string[];

export interface StatementCondition {
  outcome: ConditionOutcome;
  /**
   * Set when `iam:PassedToService` restricts the statement: iam:PassRole applies only to these services, and
   * the statement's other actions, whose requests carry no such key, apply only under `…IfExists`.
   */
  passedToService?: { services: readonly string[]; othersApply: boolean };
}

type Clauses = Record<string, Record<string, unknown>>;

const DATE_KEYS = new Set(['aws:currenttime', 'aws:epochtime', 'aws:tokenissuetime']);
const PASSED_TO_SERVICE = 'iam:passedtoservice';

function values(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** `ForAnyValue:StringEqualsIfExists` → base `StringEquals` and IfExists; the set qualifier does not change a single-valued key. */
function parseOperator(operator: string): { base: string; ifExists: boolean } {
  const name = operator.slice(operator.indexOf(':') + 1);
  const ifExists = name.endsWith('IfExists');
  return { base: ifExists ? name.slice(0, -'IfExists'.length) : name, ifExists };
}

/** ISO 8601 dates or epoch seconds, as IAM accepts them. */
function instantOf(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

function dateHolds(base: string, now: number, bound: number): boolean | undefined {
  switch (base) {
    case 'DateEquals':
      return now === bound;
    case 'DateNotEquals':
      return now !== bound;
    case 'DateLessThan':
      return now < bound;
    case 'DateLessThanEquals':
      return now <= bound;
    case 'DateGreaterThan':
      return now > bound;
    case 'DateGreaterThanEquals':
      return now >= bound;
    default:
      return undefined;
  }
}

/** A date clause at `now`: true or false, or undefined when its operator or values are not dates. */
function dateClause(base: string, written: string[], now: number): boolean | undefined {
  const bounds = written.map(instantOf);
  if (bounds.length === 0 || bounds.some((bound) => bound === undefined)) return undefined;
  const results = (bounds as number[]).map((bound) => dateHolds(base, now, bound));
  if (results.some((result) => result === undefined)) return undefined;
  // Several values: any one matching satisfies a positive operator; a negated one must hold for all.
  return base === 'DateNotEquals' ? results.every(Boolean) : results.some(Boolean);
}

export function describeClause(operator: string, key: string, value: unknown): string {
  return `${operator} ${key} ${values(value).join(', ')}`.trim();
}

/**
 * Decides one statement's Condition block at the as-of instant. `restrictsPassRole` is false for Deny
 * statements: a Deny limited to some services is left conditional rather than narrowed.
 */
export function evaluateCondition(condition: Clauses | undefined, now: Date, options: { restrictsPassRole: boolean }): StatementCondition {
  const unknown: string[] = [];
  let never: string | undefined;
  let passedToService: StatementCondition['passedToService'];

  for (const [operator, clauses] of Object.entries(condition ?? {})) {
    const { base, ifExists } = parseOperator(operator);
    for (const [key, value] of Object.entries(clauses ?? {})) {
      const lower = key.toLowerCase();
      const written = values(value);
      if (DATE_KEYS.has(lower)) {
        const holds = dateClause(base, written, now.getTime());
        if (holds === false) never ??= `${describeClause(operator, key, value)} is false at ${now.toISOString()}`;
        else if (holds === undefined) unknown.push(describeClause(operator, key, value));
        continue;
      }
      if (options.restrictsPassRole && lower === PASSED_TO_SERVICE && (base === 'StringEquals' || base === 'StringLike' || base === 'StringEqualsIgnoreCase')) {
        passedToService = { services: written, othersApply: ifExists };
        continue;
      }
      // A negated operator on iam:PassedToService still lets the role go to any other service: no restriction.
      if (options.restrictsPassRole && lower === PASSED_TO_SERVICE && base.startsWith('StringNot')) continue;
      unknown.push(describeClause(operator, key, value));
    }
  }

  const outcome: ConditionOutcome =
    never !== undefined ? { kind: 'never', because: never } : unknown.length > 0 ? { kind: 'unknown', conditions: unknown.sort() } : { kind: 'always' };
  return { outcome, ...(passedToService ? { passedToService } : {}) };
}

function serviceRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Whether a role may be passed to `service` (`lambda.amazonaws.com`). */
export function scopeAllows(scope: ServiceScope, service: string): boolean {
  return scope === 'any' || scope.some((pattern) => serviceRegex(pattern).test(service.toLowerCase()));
}

export function unionScopes(a: ServiceScope | undefined, b: ServiceScope | undefined): ServiceScope | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a === 'any' || b === 'any') return 'any';
  return [...new Set([...a, ...b])].sort();
}

/** Services both scopes allow; patterns of one side are kept when the other allows any service. */
export function intersectScopes(a: ServiceScope | undefined, b: ServiceScope | undefined): ServiceScope | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a === 'any') return b;
  if (b === 'any') return a;
  const both = a.filter((pattern) => b.some((other) => serviceRegex(other).test(pattern.toLowerCase()) || serviceRegex(pattern).test(other.toLowerCase())));
  return both.length > 0 ? both : undefined;
}
