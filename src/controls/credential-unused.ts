import { z } from 'zod';
import { daysBetween, defineControl, judgeEach, type ControlMeta, type ControlResult, type Credential } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'credential-unused',
  title: 'Every active credential has been used within the allowed idle period',
  severity: 'medium',
  appliesTo: ['service-account', 'app', 'token', 'deploy-key', 'api-key'],
  rationale:
    'An active credential nobody uses is access nobody needs: it widens the attack surface and is typically ' +
    'forgotten at offboarding (CIS AWS 1.12, OWASP NHI1).',
  remediation:
    'Deactivate the credential, wait for any consumer to complain within a set period, then delete it; remove the ' +
    'identity when none of its credentials is needed.',
};

const Options = z
  .object({
    maxIdleDays: z.number().int().positive().default(90).describe('days since last use an active credential may reach (CIS counts 45)'),
    graceDays: z.number().int().nonnegative().default(7).describe('a never-used credential passes while at most this many days old: time to deploy it'),
  })
  .strict();

function judge(identityId: string, credential: Credential, options: z.output<typeof Options>, now: Date): ControlResult {
  const { maxIdleDays, graceDays } = options;
  const { lastUsed, createdAt } = credential;
  if (lastUsed === 'unknown') {
    return { identityId, credentialId: credential.id, status: 'not-applicable', message: `The provider records no use of credential ${credential.id}`, evidence: { lastUsed } };
  }
  if (lastUsed === 'never') {
    if (createdAt === null) {
      return { identityId, credentialId: credential.id, status: 'fail', message: `Credential ${credential.id} was never used and its creation date is unknown`, evidence: { lastUsed, createdAt, graceDays } };
    }
    const ageDays = daysBetween(createdAt, now);
    const evidence = { lastUsed, createdAt, ageDays, graceDays };
    return ageDays > graceDays
      ? { identityId, credentialId: credential.id, status: 'fail', message: `Credential ${credential.id} was never used in the ${ageDays} days since it was created`, evidence }
      : { identityId, credentialId: credential.id, status: 'pass', message: `Credential ${credential.id} is new (${ageDays} days) and not yet used`, evidence };
  }
  const since = 'at' in lastUsed ? lastUsed.at : lastUsed.notSince;
  const idleDays = daysBetween(since, now);
  const evidence = { lastUsed, idleDays, maxIdleDays };
  if (idleDays <= maxIdleDays) {
    return 'at' in lastUsed
      ? { identityId, credentialId: credential.id, status: 'pass', message: `Credential ${credential.id} was last used ${idleDays} days ago`, evidence }
      : { identityId, credentialId: credential.id, status: 'not-applicable', message: `The provider only reports that credential ${credential.id} was unused since ${since}`, evidence };
  }
  const when = 'at' in lastUsed ? `last used ${idleDays} days ago` : `not used since at least ${since}`;
  return { identityId, credentialId: credential.id, status: 'fail', message: `Credential ${credential.id} was ${when} (limit ${maxIdleDays})`, evidence };
}

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options, now }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const active = identity.credentials.filter((c) => c.status === 'active');
      if (active.length === 0) {
        return { identityId: identity.id, status: 'not-applicable', message: 'No active credential', evidence: { activeCredentials: 0 } };
      }
      return active.map((credential) => judge(identity.id, credential, options, now));
    });
  },
});
