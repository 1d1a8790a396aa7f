import { z } from 'zod';
import { type ControlMeta, defineControl, grantLabel, judgeEach } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'deploy-key-read-only',
  title: 'Every deploy key is read-only',
  severity: 'high',
  appliesTo: ['deploy-key'],
  rationale:
    'A deploy key with write access can push to its repository outside any person’s account, reviews and ' +
    'sign-in controls: code that reaches financial reporting changes without an accountable author (SOX change ' +
    'management; OWASP NHI5 overprivileged NHI).',
  remediation:
    'Replace the key with a read-only deploy key; where automation must push, use a GitHub App installation ' +
    'limited to the repository, with branch protection requiring review.',
};

export default defineControl({
  meta,
  options: z.object({}).strict(),
  perIdentity: true,
  evaluate(identities) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const { level, grants } = identity.privilege;
      const evidence = { level, grants: grants.map(grantLabel) };
      if (identity.status === 'disabled') {
        return { identityId: identity.id, status: 'not-applicable', message: 'The key is disabled and cannot authenticate', evidence: Object.assign({}, evidence, { status: identity.status }) };
      }
      if (level === 'write' || level === 'admin') {
        return { identityId: identity.id, status: 'fail', message: `Deploy key ${identity.name} can write (${evidence.grants.join(', ')})`, evidence };
      }
      if (level === 'read') {
        return { identityId: identity.id, status: 'pass', message: `Deploy key ${identity.name} is read-only`, evidence };
      }
      return { identityId: identity.id, status: 'not-applicable', message: `The key's access is ${level}`, evidence };
    });
  },
});
