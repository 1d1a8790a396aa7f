import { FindingStatusSchema, SeveritySchema, type Finding } from '../sdk/index.js';

const STATUSES: ReadonlySet<unknown> = new Set(FindingStatusSchema.options);
const SEVERITIES: ReadonlySet<unknown> = new Set(SeveritySchema.options);
const MEMBERS: ReadonlySet<string> = new Set(['controlId', 'identityId', 'credentialId', 'status', 'severity', 'message', 'evidence']);

/**
 * True for a finding as JSON.parse gives it that FindingSchema accepts as it is: a pack holds millions, and
 * checking these few members takes a tenth of what the schema's parse and copy take. Anything else (a waiver, an
 * unknown member, a wrong type) answers false and goes to FindingSchema, which has the last word and names the
 * problem. A property test holds this to the schema.
 */
export function isPlainFinding(value: unknown): value is Finding {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const f = value as Record<string, unknown>;
  for (const key in f) if (!MEMBERS.has(key)) return false;
  const { evidence } = f;
  return (
    typeof f.controlId === 'string' &&
    typeof f.identityId === 'string' &&
    (f.credentialId === undefined || typeof f.credentialId === 'string') &&
    STATUSES.has(f.status) &&
    SEVERITIES.has(f.severity) &&
    typeof f.message === 'string' &&
    typeof evidence === 'object' &&
    evidence !== null &&
    !Array.isArray(evidence) &&
    !Object.hasOwn(evidence, '__proto__')
  );
}
