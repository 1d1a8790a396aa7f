import { z } from 'zod';
import { DAY_MS, type ControlMeta, decisionsById, defineControl, judgeEach, CampaignOption } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'revocation-executed',
  title: 'Every identity its owner decided to revoke in a recertification is gone or disabled within the grace period',
  severity: 'high',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'ci-secret', 'api-key'],
  rationale:
    'A review that decides to remove access is effective only once the access is removed: auditors test that each ' +
    'revoke decision of the access review was carried out, and promptly (SOX ITGC logical access, SOC 2 CC6.2).',
  remediation:
    'Delete or disable the identity (and deactivate its credentials), or record why it must stay as a waiver and ' +
    'decide keep or modify in the next campaign.',
};

const Options = z
  .object({
    campaign: CampaignOption,
    graceDays: z.number().int().nonnegative().default(14).describe('days after the revoke decision by which the identity must be gone or disabled'),
  })
  .strict();

/**
 * Judges only identities decided "revoke" that are still in the population: one that is gone has nothing left to
 * judge, and its absence from this pack's inventory (and `nhi-audit diff`) is the evidence.
 */
export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options, now }) {
    const { campaign } = options;
    const decisions = decisionsById(campaign);
    return judgeEach(
      identities.filter((i) => decisions.get(i.id)?.decision === 'revoke'),
      meta.appliesTo,
      (identity) => {
        const decision = decisions.get(identity.id)!;
        const due = new Date(Date.parse(`${decision.date}T00:00:00Z`) + options.graceDays * DAY_MS).toISOString().slice(0, 10);
        const evidence = { campaign: campaign!.id, reviewer: decision.reviewer, decidedAt: decision.date, due, status: identity.status };
        const decided = `Decided revoke by ${decision.reviewer} on ${decision.date} (${campaign!.id})`;
        if (identity.status === 'disabled') return { identityId: identity.id, status: 'pass', message: `${decided}; disabled`, evidence };
        if (now.toISOString().slice(0, 10) <= due) {
          return { identityId: identity.id, status: 'not-applicable', message: `${decided}; still active, due by ${due}`, evidence };
        }
        return { identityId: identity.id, status: 'fail', message: `${decided}; still active after ${due}`, evidence };
      },
    );
  },
});
