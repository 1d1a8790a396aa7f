import { z } from 'zod';
import { daysBetween, defineControl, judgeEach, type ControlMeta } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'privileged-access-approved',
  title: 'Every administrator identity is on the approved privileged-access list and recertified this cycle',
  severity: 'high',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'api-key'],
  rationale:
    'Auditors compare the administrators that exist with the ones management approved: the difference must be ' +
    'empty, and each approval must have been reviewed again within the quarter (SOX ITGC privileged access, ' +
    'SOC 2 CC6.3).',
  remediation:
    'Remove the administrator grant, or have its owner request approval and add the identity to the ' +
    'privileged-access list; recertify the list every cycle and record the date.',
};

const Options = z
  .object({
    // A quarter and a day of slack.
    recertifiedWithinDays: z.number().int().positive().default(92).describe('days before the as-of date the last recertification may lie'),
  })
  .strict();

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options, now }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const level = identity.privilege.level;
      if (level !== 'admin') {
        return { identityId: identity.id, status: 'not-applicable', message: `Not an administrator (highest privilege: ${level})`, evidence: { level } };
      }
      const entry = identity.privilegedAccess;
      if (!entry) {
        return { identityId: identity.id, status: 'fail', message: 'Administrator, but not on the approved privileged-access list', evidence: { level, privilegedAccess: null } };
      }
      const ageDays = daysBetween(entry.recertifiedAt, now);
      const evidence = Object.assign({ level }, entry, { recertifiedDaysAgo: ageDays, recertifiedWithinDays: options.recertifiedWithinDays });
      const recertified = entry.recertifiedAt.slice(0, 10);
      if (ageDays < 0) return { identityId: identity.id, status: 'fail', message: `Approved, but its recertification is dated ${recertified}, after the as-of date`, evidence };
      return ageDays > options.recertifiedWithinDays
        ? { identityId: identity.id, status: 'fail', message: `Approved by ${entry.approver}, but last recertified ${recertified}, ${ageDays} days ago (limit ${options.recertifiedWithinDays})`, evidence }
        : { identityId: identity.id, status: 'pass', message: `Approved by ${entry.approver}${entry.ticket ? ` (${entry.ticket})` : ''}, recertified ${recertified}`, evidence };
    });
  },
});
