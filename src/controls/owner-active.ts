import { z } from 'zod';
import { defineControl, judgeEach, type ControlMeta } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'owner-active',
  title: 'Every non-human identity is owned by someone still with the organization',
  severity: 'high',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'ci-secret', 'api-key'],
  rationale:
    'When its owner leaves, an identity is orphaned: nobody recertifies it, rotates its secrets or notices its ' +
    'misuse, and the leaver may still hold its credentials. Deprovisioning tests join leavers to what they owned ' +
    '(OWASP NHI1 improper offboarding).',
  remediation:
    'Assign a current owner in the owners registry or the owner tag; rotate every credential the leaver could ' +
    'read, and remove the identity if nobody needs it.',
};

const Options = z
  .object({
    // Off by default: owners are often teams, which no HR roster lists.
    requireListedOwner: z.boolean().default(false).describe('fail an owner the HR roster does not list'),
  })
  .strict();

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options, now }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const owner = identity.owner;
      if (!owner) return { identityId: identity.id, status: 'not-applicable', message: 'No owner to check (owner-assigned reports it)', evidence: { owner: null } };
      const evidence = { owner: owner.id, ownerSource: owner.source, ownerStatus: owner.status, terminatedAt: owner.terminatedAt ?? null };
      if (owner.status === 'terminated') {
        if (owner.terminatedAt && Date.parse(owner.terminatedAt) > now.getTime()) {
          return { identityId: identity.id, status: 'pass', message: `Owner ${owner.id} is active until ${owner.terminatedAt.slice(0, 10)}`, evidence };
        }
        const when = owner.terminatedAt ? ` on ${owner.terminatedAt.slice(0, 10)}` : '';
        return { identityId: identity.id, status: 'fail', message: `Owner ${owner.id} left the organization${when}: the identity is orphaned`, evidence };
      }
      if (owner.status === 'active') return { identityId: identity.id, status: 'pass', message: `Owner ${owner.id} is active`, evidence };
      return options.requireListedOwner
        ? { identityId: identity.id, status: 'fail', message: `Owner ${owner.id} is not in the HR roster, so nobody can show they are still here`, evidence }
        : { identityId: identity.id, status: 'not-applicable', message: `Owner ${owner.id} is not in the HR roster (a team or an outside party)`, evidence };
    });
  },
});
