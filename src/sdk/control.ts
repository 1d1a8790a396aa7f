import { z } from 'zod';
import { IdentityKindSchema, InstantSchema, type Identity, type IdentityKind } from './inventory.js';

export const SeveritySchema = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof SeveritySchema>;

/** Ordered from most to least severe. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** True when `severity` is at or above `threshold`. */
export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}

export const FindingStatusSchema = z.enum(['pass', 'fail', 'excepted', 'not-applicable']);
export type FindingStatus = z.infer<typeof FindingStatusSchema>;

export const WaiverSchema = z
  .object({
    control: z.string().min(1),
    /** An identity id, or a glob over identity ids (`aws-iam:111111111111:user/legacy-*`). */
    identity: z.string().min(1),
    reason: z.string().min(1),
    ticket: z.string().min(1),
    approver: z.string().min(1),
    /** The last day the waiver applies (inclusive, UTC), or an instant. */
    expires: z.union([z.iso.date(), InstantSchema]),
  })
  .strict();
export type Waiver = z.infer<typeof WaiverSchema>;

export const FindingSchema = z
  .object({
    controlId: z.string(),
    identityId: z.string(),
    /** Set when the control judges each credential of an identity on its own. */
    credentialId: z.string().optional(),
    status: FindingStatusSchema,
    severity: SeveritySchema,
    message: z.string(),
    /** The facts the judgement used, so an auditor can re-perform it by hand. */
    evidence: z.record(z.string(), z.unknown()),
    waiver: WaiverSchema.optional(),
  })
  .strict();
export type Finding = z.infer<typeof FindingSchema>;

/** What a control says of one identity (or one of its credentials); the engine adds id, severity and waivers. */
export interface ControlResult {
  identityId: string;
  credentialId?: string;
  status: 'pass' | 'fail' | 'not-applicable';
  message: string;
  evidence: Record<string, unknown>;
}

export interface ControlMeta {
  /** kebab-case, equal to the file name. */
  id: string;
  /** The desired state, as a statement: "Every access key is rotated within the allowed age". */
  title: string;
  severity: Severity;
  appliesTo: readonly IdentityKind[];
  rationale: string;
  remediation: string;
}

export interface ControlContext<Options> {
  options: Options;
  /** The as-of instant of the run. Controls never read the clock. */
  now: Date;
}

// The options schema's input may omit fields that have defaults, so input and output types differ.
export interface Control<Options = unknown> {
  meta: ControlMeta;
  options: z.ZodType<Options, any>;
  /**
   * Each identity's results depend on that identity alone (a control built on `judgeEach`). The engine may then
   * hand the population over in slices, so a slice's results are gone before the next is judged. Leave it out for
   * a control that compares identities with each other: it gets the whole population at once.
   */
  perIdentity?: boolean;
  evaluate(identities: readonly Identity[], context: ControlContext<Options>): ControlResult[];
}

export function defineControl<Schema extends z.ZodType<any, any>>(control: {
  meta: ControlMeta;
  options: Schema;
  perIdentity?: boolean;
  evaluate(identities: readonly Identity[], context: ControlContext<z.output<Schema>>): ControlResult[];
}): Control<z.output<Schema>> {
  return control;
}

export const ControlMetaSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  title: z.string().min(1),
  severity: SeveritySchema,
  appliesTo: z.array(IdentityKindSchema).min(1),
  rationale: z.string().min(1),
  remediation: z.string().min(1),
});

/**
 * Runs `judge` over the identities a control applies to; kinds it does not apply to get no finding. An identity
 * the provider manages (its permissions are not the customer's to change) is not-applicable, with the reason.
 */
export function judgeEach(
  identities: readonly Identity[],
  appliesTo: readonly IdentityKind[],
  judge: (identity: Identity) => ControlResult | ControlResult[],
): ControlResult[] {
  // A loop rather than filter and flatMap: this runs once per identity per control, millions of times at scale.
  const results: ControlResult[] = [];
  for (const identity of identities) {
    if (!appliesTo.includes(identity.kind)) continue;
    if (identity.providerManaged) {
      results.push({ identityId: identity.id, status: 'not-applicable', message: identity.providerManaged.reason, evidence: { providerManaged: identity.providerManaged } });
      continue;
    }
    const judged = judge(identity);
    if (!Array.isArray(judged)) results.push(judged);
    else for (const result of judged) results.push(result);
  }
  return results;
}

export const DAY_MS = 86_400_000;

/** Whole days from `from` to `to` (floored): the age figure every rotation and idle test reports. */
export function daysBetween(from: string | Date, to: Date): number {
  return Math.floor((to.getTime() - new Date(from).getTime()) / DAY_MS);
}
