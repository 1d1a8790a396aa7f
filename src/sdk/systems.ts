import { z } from 'zod';

/**
 * A financial application or process an identity reaches, as the systems registry and enrichment found it:
 * its name, whether it is a SOX key system, and each selector that matched (`tag system=erp`,
 * `resource Z_FI_GL_POSTING (sap-prd/agr_users.csv, line 8)`), so an auditor can see why it is in scope.
 */
export const SystemReachSchema = z
  .object({
    name: z.string().min(1),
    sox: z.boolean(),
    reasons: z.array(z.string().min(1)).min(1),
  })
  .strict();
export type SystemReach = z.infer<typeof SystemReachSchema>;

const Patterns = (what: string) => z.array(z.string().min(1, `a pattern cannot be empty; ${what}`)).optional();

/**
 * One side of a segregation-of-duties rule: the entitlements (globs over a grant's name, reference and evidence:
 * `Z_FI_AP_PAYMENT_RUN`, `iam:*`, `arn:aws:iam::*:policy/journal-approve*`) or the systems that make it up.
 */
export const SodSideSchema = z
  .object({
    name: z.string().min(1, 'name the duty, such as "post journal entries"'),
    entitlements: Patterns('write a glob such as iam:* or Z_FI_GL_POSTING'),
    systems: Patterns('name a system of the registry'),
  })
  .strict()
  .refine((side) => (side.entitlements?.length ?? 0) + (side.systems?.length ?? 0) > 0, {
    message: 'a side needs entitlements (grant patterns such as iam:* or Z_FI_AP_PAYMENT_RUN) or systems (names from the registry), or both',
  });
export type SodSide = z.infer<typeof SodSideSchema>;

/** Two duties one identity must not combine: posting journals and approving them, changing IAM and reading finance data. */
export const SodRuleSchema = z
  .object({
    name: z.string().min(1, 'name the rule, such as post-and-approve-journals'),
    description: z.string().optional(),
    sides: z.tuple([SodSideSchema, SodSideSchema], { message: 'a rule has exactly two sides, each a duty the other must not be combined with' }),
  })
  .strict();
export type SodRule = z.infer<typeof SodRuleSchema>;
