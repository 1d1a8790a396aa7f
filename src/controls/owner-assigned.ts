import { z } from 'zod';
import { defineControl, judgeEach, type ControlMeta } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'owner-assigned',
  title: 'Every non-human identity has a named owner',
  severity: 'medium',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'ci-secret', 'api-key'],
  rationale:
    'An identity without an owner cannot be recertified, rotated on schedule or removed when its purpose ends; ' +
    'auditors treat unowned access to financial systems as an orphaned account (OWASP NHI1).',
  remediation:
    'Tag the identity with an owner (one of the configured tag keys) or add it to the owners registry, naming a ' +
    'person or team accountable for its access.',
};

export default defineControl({
  meta,
  options: z.object({}).strict(),
  perIdentity: true,
  evaluate(identities) {
    return judgeEach(identities, meta.appliesTo, (identity) =>
      identity.owner
        ? {
            identityId: identity.id,
            status: 'pass',
            message: `Owned by ${identity.owner.id} (from ${identity.owner.source})`,
            evidence: { owner: identity.owner.id, ownerSource: identity.owner.source },
          }
        : {
            identityId: identity.id,
            status: 'fail',
            message: 'No owner: no owner tag and no entry in the owners registry',
            evidence: { owner: null },
          },
    );
  },
});
