import { z } from 'zod';
import { daysBetween, defineControl, judgeEach, type ControlMeta } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'credential-rotated',
  title: 'Every active credential was created or rotated within the allowed age',
  severity: 'high',
  // CI secrets have their own limit (ci-secret-rotated): GitHub reports only when a secret was last updated.
  appliesTo: ['service-account', 'app', 'token', 'deploy-key', 'api-key'],
  rationale:
    'A long-lived secret has had longer to leak and be copied; rotation bounds how long a leaked credential stays ' +
    'useful (CIS AWS 1.14, CIS GCP 1.7, OWASP NHI7).',
  remediation:
    'Create a new credential, move its consumers to it, then deactivate and delete the old one; automate rotation ' +
    'or replace the static credential with short-lived federation (OIDC, workload identity).',
};

export default defineControl({
  meta,
  options: z
    .object({ maxAgeDays: z.number().int().positive().default(90).describe('days since creation or last rotation an active credential may reach') })
    .strict(),
  perIdentity: true,
  evaluate(identities, { options, now }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const active = identity.credentials.filter((c) => c.status === 'active');
      if (active.length === 0) {
        return {
          identityId: identity.id,
          status: 'not-applicable',
          message: 'No active credential',
          evidence: { activeCredentials: 0 },
        };
      }
      return active.map((credential) => {
        const since = credential.rotatedAt ?? credential.createdAt;
        if (since === null) {
          return {
            identityId: identity.id, credentialId: credential.id,
            status: 'fail' as const,
            message: `Credential ${credential.id} has no creation or rotation date, so its age cannot be shown`,
            evidence: { createdAt: null, rotatedAt: null, maxAgeDays: options.maxAgeDays },
          };
        }
        const ageDays = daysBetween(since, now);
        const evidence = { rotatedAt: credential.rotatedAt, createdAt: credential.createdAt, ageDays, maxAgeDays: options.maxAgeDays };
        return ageDays > options.maxAgeDays
          ? { identityId: identity.id, credentialId: credential.id, status: 'fail' as const, message: `Credential ${credential.id} is ${ageDays} days old (limit ${options.maxAgeDays})`, evidence }
          : { identityId: identity.id, credentialId: credential.id, status: 'pass' as const, message: `Credential ${credential.id} is ${ageDays} days old`, evidence };
      });
    });
  },
});
