import { z } from 'zod';
import { daysBetween, defineControl, judgeEach, type ControlMeta } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'ci-secret-rotated',
  title: 'Every CI secret was updated within the allowed age',
  severity: 'medium',
  appliesTo: ['ci-secret'],
  rationale:
    'A CI secret is usually a long-lived credential of another system (a cloud access key, a registry token) ' +
    'copied into the pipeline; the pipeline records only when its value was last replaced, so that date bounds ' +
    'how long a leaked copy stays useful (OWASP NHI7 long-lived secrets; gh-iga checks Actions secrets at 365 days).',
  remediation:
    'Rotate the credential at its source, store the new value in the secret, then revoke the old one; better, ' +
    'replace static cloud keys with OIDC federation from the workflow.',
};

export default defineControl({
  meta,
  options: z.object({ maxAgeDays: z.number().int().positive().default(365).describe('days since its value was last set a CI secret may reach') }).strict(),
  perIdentity: true,
  evaluate(identities, { options, now }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const active = identity.credentials.filter((credential) => credential.status === 'active');
      if (active.length === 0) {
        return { identityId: identity.id, status: 'not-applicable', message: 'No active secret value', evidence: { activeCredentials: 0 } };
      }
      return active.map((credential) => {
        const updatedAt = credential.rotatedAt ?? credential.createdAt;
        if (updatedAt === null) {
          return { identityId: identity.id, credentialId: credential.id, status: 'not-applicable' as const, message: `Secret ${identity.name} has no update date`, evidence: { updatedAt: null } };
        }
        const ageDays = daysBetween(updatedAt, now);
        const evidence = { updatedAt, createdAt: credential.createdAt, ageDays, maxAgeDays: options.maxAgeDays };
        return ageDays > options.maxAgeDays
          ? { identityId: identity.id, credentialId: credential.id, status: 'fail' as const, message: `Secret ${identity.name} was last updated ${ageDays} days ago (limit ${options.maxAgeDays})`, evidence }
          : { identityId: identity.id, credentialId: credential.id, status: 'pass' as const, message: `Secret ${identity.name} was updated ${ageDays} days ago`, evidence };
      });
    });
  },
});
