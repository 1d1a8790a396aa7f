import { z } from 'zod';
import { defineControl, judgeEach, type ControlMeta } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'approval-recorded',
  title: 'Every non-human identity was approved before it was created, by someone other than its requester',
  severity: 'high',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'ci-secret', 'api-key'],
  rationale:
    'Provisioning is an ITGC: access to financial systems is granted only on an approved request, the approval ' +
    'comes first, and nobody approves their own request (SOX ITGC change management and logical access, SOC 2 ' +
    'CC6.2 and CC8.1).',
  remediation:
    'Link the identity to its change ticket (the approval tag or the approvals register); where no approval ' +
    'predates it, raise a retrospective approval with an independent approver and record the gap as an exception.',
};

const Options = z
  .object({
    createdSince: z.iso.date().optional().describe('judge only identities created on or after this date (the population of a period)'),
  })
  .strict();

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const { approval, createdAt } = identity;
      if (options.createdSince && createdAt !== null && Date.parse(createdAt) < Date.parse(`${options.createdSince}T00:00:00Z`)) {
        return { identityId: identity.id, status: 'not-applicable', message: `Created ${createdAt.slice(0, 10)}, before ${options.createdSince}`, evidence: { createdAt, createdSince: options.createdSince } };
      }
      if (!approval) return { identityId: identity.id, status: 'fail', message: 'No approval recorded for this identity', evidence: { approval: null, createdAt } };
      const evidence = Object.assign({}, approval, { createdAt });
      const problems: string[] = [];
      if (createdAt === null) problems.push('its creation date is unknown, so the approval cannot be shown to come first');
      else if (Date.parse(approval.approvedAt) > Date.parse(createdAt)) problems.push(`approved ${approval.approvedAt} after it was created ${createdAt}`);
      if (!approval.requester) problems.push('the requester is not recorded, so segregation of duties cannot be shown');
      else if (approval.requester.toLowerCase() === approval.approver.toLowerCase()) problems.push(`${approval.approver} approved their own request`);
      return problems.length > 0
        ? { identityId: identity.id, status: 'fail', message: `${approval.ticket}: ${problems.join('; ')}`, evidence }
        : { identityId: identity.id, status: 'pass', message: `${approval.ticket} approved by ${approval.approver} on ${approval.approvedAt.slice(0, 10)}, before creation`, evidence };
    });
  },
});
