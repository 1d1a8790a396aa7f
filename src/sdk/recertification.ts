import { z } from 'zod';

export const RECERT_DECISIONS = ['keep', 'revoke', 'modify'] as const;
export const RecertDecisionSchema = z.enum(RECERT_DECISIONS);
export type RecertDecision = z.infer<typeof RecertDecisionSchema>;

const DateSchema = z.iso.date();

/** One owner's decision on one identity, as a closed campaign sealed it. */
export const RecertDecisionRecordSchema = z
  .object({
    identityId: z.string().min(1),
    owner: z.string().nullable(),
    decision: RecertDecisionSchema,
    reason: z.string(),
    reviewer: z.string().min(1),
    /** The day the reviewer decided (UTC date). */
    date: DateSchema,
  })
  .strict();
export type RecertDecisionRecord = z.infer<typeof RecertDecisionRecordSchema>;

/**
 * A closed recertification campaign: the pack it reviewed, its scope and dates, and every decision. The run after
 * it reads this from the campaign's signed addendum and hands it to the two recertification controls as options.
 */
export const RecertCampaignSchema = z
  .object({
    id: z.string().min(1),
    cycle: z.string().min(1),
    /** `all`, or `sox`: only identities reaching a SOX key system were reviewed. */
    scope: z.enum(['all', 'sox']),
    openedAt: DateSchema,
    closedAt: DateSchema,
    decisions: z.array(RecertDecisionRecordSchema),
  })
  .strict();
export type RecertCampaign = z.infer<typeof RecertCampaignSchema>;

/** The option both recertification controls take: the run fills it, a user does not. */
export const CampaignOption = RecertCampaignSchema.optional().describe(
  'the latest closed campaign: read from its signed addendum beside an earlier pack of the output folder (`nhi-audit recert close`), not written by hand',
);

const indexed = new WeakMap<RecertCampaign, ReadonlyMap<string, RecertDecisionRecord>>();
const NO_DECISIONS: ReadonlyMap<string, RecertDecisionRecord> = new Map();

/**
 * A campaign's decisions by identity id. Built once per campaign: a control judging each identity alone is handed
 * the population in slices, and a campaign can hold a decision for every identity. None before the first campaign.
 */
export function decisionsById(campaign: RecertCampaign | undefined): ReadonlyMap<string, RecertDecisionRecord> {
  if (!campaign) return NO_DECISIONS;
  let byId = indexed.get(campaign);
  if (!byId) indexed.set(campaign, (byId = new Map(campaign.decisions.map((d) => [d.identityId, d]))));
  return byId;
}
