import { z } from 'zod';
import { type ControlMeta, defineControl, judgeEach, lastUsedAt } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'no-human-use',
  title: 'No non-human identity has an interactive sign-in',
  severity: 'high',
  appliesTo: ['service-account'],
  rationale:
    'A machine identity with a console password is shared by people: its actions cannot be tied to a person, its ' +
    'secret is typed and written down, and it escapes the joiner-mover-leaver process that governs personal ' +
    'accounts (OWASP NHI10, CIS AWS 1.11).',
  remediation:
    'Remove the console password (login profile) and give the people who used it their own federated access; ' +
    'keep the identity for programs only.',
};

export default defineControl({
  meta,
  options: z.object({}).strict(),
  perIdentity: true,
  evaluate(identities) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const login = identity.interactiveLogin;
      if (identity.classification.value === 'human') {
        return { identityId: identity.id, status: 'not-applicable', message: `A person's account (${identity.classification.reason})`, evidence: { classification: 'human' } };
      }
      if (!login) return { identityId: identity.id, status: 'not-applicable', message: 'The provider reports no interactive sign-in for this kind of identity', evidence: { interactiveLogin: null } };
      const activeCredentials = identity.credentials.filter((c) => c.status === 'active').map((c) => c.id);
      const usedBy = identity.usedBy ?? [];
      const evidence = { interactiveLogin: login, activeCredentials, classification: identity.classification.value, ...(usedBy.length > 0 ? { usedBy } : {}) };
      if (!login.enabled) return { identityId: identity.id, status: 'pass', message: 'No interactive sign-in', evidence };
      const usedAt = lastUsedAt(login.lastUsed);
      const used = usedAt ? `, last used ${usedAt.slice(0, 10)}` : '';
      const keys = activeCredentials.length > 0 ? ` alongside ${activeCredentials.length} active credential(s)` : '';
      const programs = usedBy.length > 0 ? `; programs run as it: ${usedBy.map((u) => `${u.type} ${u.name}`).join(', ')}` : '';
      const method = login.method ?? 'Console password';
      return { identityId: identity.id, status: 'fail', message: `${method} enabled${keys}${login.mfa ? '' : ', without MFA'}${used}${programs}`, evidence };
    });
  },
});
