import { z } from 'zod';
import { type ControlMeta, daysBetween, decisionsById, defineControl, judgeEach, CampaignOption } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'recertification-completed',
  title: 'Every non-human identity was recertified by its owner in the latest campaign',
  severity: 'medium',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'ci-secret', 'api-key'],
  rationale:
    'A periodic user access review is a SOX ITGC (logical access): each quarter the accountable owner confirms that ' +
    'every identity reaching financial systems is still needed with the access it has, or has it removed (SOC 2 CC6.2, ' +
    'CC6.3). An identity nobody reviewed keeps its access by default.',
  remediation:
    'Open a campaign on the latest pack (`nhi-audit recert open`), have each owner decide keep, revoke or modify, and ' +
    'close it (`nhi-audit recert close`): the next run reads the signed decisions.',
};

const Options = z
  .object({
    campaign: CampaignOption,
    maxAgeDays: z.number().int().positive().default(92).describe('a campaign closed longer ago than this is stale: a quarterly review'),
    required: z.boolean().default(false).describe('fail every identity when no campaign was closed (otherwise not applicable until the first one)'),
  })
  .strict();

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options, now }) {
    const { campaign } = options;
    const decisions = decisionsById(campaign);
    const age = campaign ? daysBetween(`${campaign.closedAt}T00:00:00Z`, now) : undefined;
    return judgeEach(identities, meta.appliesTo, (identity) => {
      if (!campaign) {
        const message = 'No recertification campaign was closed beside an earlier pack of the output folder';
        return { identityId: identity.id, status: options.required ? 'fail' : 'not-applicable', message, evidence: { campaign: null } };
      }
      const evidence = { campaign: campaign.id, closedAt: campaign.closedAt, scope: campaign.scope };
      if (age! > options.maxAgeDays) {
        return { identityId: identity.id, status: 'fail', message: `The latest campaign ${campaign.id} closed ${age} days ago (more than ${options.maxAgeDays})`, evidence };
      }
      const decision = decisions.get(identity.id);
      if (decision) {
        return {
          identityId: identity.id,
          status: 'pass',
          message: `${decision.decision} by ${decision.reviewer} on ${decision.date} (${campaign.id})`,
          evidence: Object.assign({}, evidence, { decision: decision.decision, reviewer: decision.reviewer, date: decision.date }),
        };
      }
      if (campaign.scope === 'sox' && !(identity.systems ?? []).some((s) => s.sox)) {
        return { identityId: identity.id, status: 'not-applicable', message: `Reaches no SOX key system, outside the scope of ${campaign.id}`, evidence };
      }
      if (identity.createdAt !== null && identity.createdAt.slice(0, 10) >= campaign.openedAt) {
        return { identityId: identity.id, status: 'not-applicable', message: `Created ${identity.createdAt.slice(0, 10)}, after ${campaign.id} opened; the next campaign reviews it`, evidence: Object.assign({}, evidence, { createdAt: identity.createdAt }) };
      }
      return { identityId: identity.id, status: 'fail', message: `Not decided in ${campaign.id}, though it existed when the campaign opened ${campaign.openedAt}`, evidence: Object.assign({}, evidence, { createdAt: identity.createdAt }) };
    });
  },
});
