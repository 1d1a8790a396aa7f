import { z } from 'zod';
import { type ControlMeta, defineControl, grantLabel, judgeEach } from '../sdk/index.js';

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
  evaluate(identities) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const { level, grants } = identity.privilege;
      const adminGrants = grants.filter((g) => g.level === 'admin').map(grantLabel);
      if (level === 'unknown') {
        return { identityId: identity.id, status: 'not-applicable', message: 'Privilege could not be determined', evidence: { level } };
      }
      return level === 'admin'
        ? {
            identityId: identity.id,
            status: 'fail',
            message: `Administrator privilege through ${adminGrants.join(', ') || 'its grants'}`,
            evidence: { level, adminGrants },
          }
        : { identityId: identity.id, status: 'pass', message: `Highest privilege: ${level}`, evidence: { level } };
    });
  },
});
