import type { TrustPrincipal } from '../../src/sdk/index.js';
import { statements, type PolicyDocument } from './policy.js';

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Values of every condition on `key` (any operator: StringEquals, StringLike, ForAnyValue:…), case-insensitive key. */
function conditionValues(condition: Record<string, Record<string, unknown>> | undefined, key: string): string[] {
  if (!condition) return [];
  const wanted = key.toLowerCase();
  return Object.values(condition).flatMap((clauses) =>
    Object.entries(clauses)
      .filter(([k]) => k.toLowerCase() === wanted)
      .flatMap(([, v]) => list(v)),
  );
}

/** The OIDC issuer host of a federated principal ARN (`arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com`). */
function oidcIssuer(value: string): string | undefined {
  const match = /oidc-provider\/(.+)$/.exec(value);
  return match?.[1];
}

/** Who may assume a role, from its trust policy: services, accounts, federated identity providers, anyone. */
export function trustPrincipals(document: PolicyDocument): TrustPrincipal[] {
  const principals: TrustPrincipal[] = [];
  for (const statement of statements(document)) {
    if (statement.Effect !== 'Allow') continue;
    const conditioned = statement.Condition !== undefined && Object.keys(statement.Condition).length > 0;
    const principal = statement.Principal;
    if (principal === '*') {
      principals.push({ type: 'any', value: '*', conditioned });
      continue;
    }
    if (!principal || typeof principal !== 'object') continue;
    const byType = principal as Record<string, unknown>;
    for (const value of list(byType.Service)) principals.push({ type: 'service', value, conditioned });
    for (const value of list(byType.AWS)) {
      principals.push({ type: value === '*' ? 'any' : 'account', value, conditioned });
    }
    for (const value of list(byType.Federated)) {
      const issuer = oidcIssuer(value);
      if (issuer) {
        principals.push({
          type: 'federated',
          value,
          subjects: conditionValues(statement.Condition, `${issuer}:sub`).sort(),
          audiences: conditionValues(statement.Condition, `${issuer}:aud`).sort(),
          conditioned,
        });
      } else {
        principals.push({ type: 'federated', value, conditioned });
      }
    }
  }
  return principals;
}
