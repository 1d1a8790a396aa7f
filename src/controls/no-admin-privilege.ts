import { z } from 'zod';
import { type ControlMeta, defineControl, describeConditions, describeLimit, grantLabel, judgeEach } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'no-admin-privilege',
  title: 'No non-human identity holds administrator privilege',
  severity: 'critical',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'api-key'],
  rationale:
    'An administrator identity can change anything, including the controls over financial data and its own ' +
    'permissions; a machine identity rarely needs it and its credentials are the ones most often leaked ' +
    '(CIS AWS 1.16, CIS GCP 1.5, OWASP NHI5).',
  remediation:
    'Replace the administrator grant with a policy that lists the actions and resources the workload uses ' +
    '(IAM Access Analyzer policy generation or last-accessed data help); keep approved exceptions on the ' +
    'privileged-access list with a waiver.',
};

export default defineControl({
  meta,
  options: z.object({}).strict(),
  perIdentity: true,
  evaluate(identities) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const { level, grants, conditional, limits = [] } = identity.privilege;
      const adminGrants = grants.filter((g) => g.level === 'admin').map(grantLabel);
      if (level === 'admin') {
        const only = limits.filter((limit) => limit.conditions && limit.removes.includes('admin'));
        const note = only.map((limit) => `; ${describeLimit(limit)} takes it away only ${describeConditions({ conditions: limit.conditions ?? [] })}`).join('');
        return {
          identityId: identity.id,
          status: 'fail',
          message: `Administrator privilege through ${adminGrants.join(', ') || 'its grants'}${note}`,
          evidence: { level, adminGrants, ...(only.length > 0 ? { limits: only } : {}) },
        };
      }
      if (conditional?.level === 'admin') {
        const through = grants.filter((g) => g.level === 'admin' || g.conditional?.level === 'admin').map(grantLabel);
        return {
          identityId: identity.id,
          status: 'fail',
          message: `Administrator privilege ${describeConditions(conditional)}, through ${through.join(', ') || 'its grants'}`,
          evidence: { level, conditional, adminGrants: through },
        };
      }
      if (level === 'unknown') {
        return { identityId: identity.id, status: 'not-applicable', message: 'Privilege could not be determined', evidence: { level } };
      }
      const saving = limits.filter((limit) => !limit.conditions && limit.removes.includes('admin'));
      if (saving.length > 0) {
        return {
          identityId: identity.id,
          status: 'pass',
          message: `Not an administrator (highest privilege: ${level}): ${saving.map(describeLimit).join(' and ')} takes away the administrator privilege ${adminGrants.length > 0 ? `of ${adminGrants.join(', ')}` : 'its grants allow'}`,
          evidence: { level, adminGrants, limits: saving },
        };
      }
      return { identityId: identity.id, status: 'pass', message: `Highest privilege: ${level}`, evidence: { level } };
    });
  },
});
