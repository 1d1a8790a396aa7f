import { z } from 'zod';
import { defineControl, judgeEach, type ControlMeta } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'third-party-app-least-privilege',
  title: 'No third-party app or vendor identity holds administrator access or reaches every resource',
  severity: 'high',
  appliesTo: ['app', 'service-account', 'role', 'token', 'api-key'],
  rationale:
    'A vendor\'s identity is only as safe as the vendor: when the vendor is compromised, its apps and roles act ' +
    'with whatever access they were given. Administrator access or access to every repository or resource turns ' +
    'one supplier breach into a breach of the financial systems (OWASP NHI3, CIS GitHub 1.4.3).',
  remediation:
    'Install the app on the repositories it needs only, grant read where it only reads, and scope the vendor role ' +
    'to named resources; remove administration permissions from third parties.',
};

export default defineControl({
  meta,
  options: z.object({}).strict(),
  perIdentity: true,
  evaluate(identities) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const { level, reach } = identity.privilege;
      if (!identity.vendor) return { identityId: identity.id, status: 'not-applicable', message: 'Not a third-party identity', evidence: { vendor: null } };
      const evidence = { vendor: identity.vendor, level, reach: reach ?? null, flags: identity.privilege.flags };
      const problems: string[] = [];
      if (level === 'admin') problems.push('administrator access');
      if (reach === 'all') problems.push(`${level} access to every resource of its scope (all repositories, every bucket)`);
      if (problems.length > 0) return { identityId: identity.id, status: 'fail', message: `${identity.vendor} holds ${problems.join(' and ')}`, evidence };
      if (level === 'unknown' || reach === undefined) {
        return { identityId: identity.id, status: 'not-applicable', message: `The provider does not show how far ${identity.vendor}'s access reaches`, evidence };
      }
      return { identityId: identity.id, status: 'pass', message: `${identity.vendor} holds ${level} access to ${reach === 'selected' ? 'selected resources' : 'no resources'}`, evidence };
    });
  },
});
