import { z } from 'zod';
import { type ControlMeta, defineControl, describeConditions, describeLimit, grantLabel, judgeEach, PrivilegeFlagSchema } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'no-privilege-escalation',
  title: 'No non-human identity can raise its own privilege or mint credentials across its scope',
  severity: 'high',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'api-key'],
  rationale:
    'An identity that can write IAM, pass any role to a service, create access keys or change a trust policy on ' +
    'every resource is an administrator in waiting: whoever holds its credentials can grant themselves anything, ' +
    'which defeats segregation of duties over financial systems (OWASP NHI5, CIS GCP 1.6).',
  remediation:
    'Limit IAM actions to the named roles and users the workload manages (iam:PassRole to one task role), or ' +
    'move the IAM changes into a reviewed pipeline; remove impersonation rights granted at the project level.',
};

const Options = z
  .object({
    flags: z
      .array(PrivilegeFlagSchema)
      .min(1)
      .default(['credential-creation', 'iam-write', 'impersonation', 'passrole-any', 'privilege-escalation'])
      .describe('the privilege flags that count as an escalation path (add permissions-management to include resource-policy changes on every resource)'),
  })
  .strict();

const MAX_METHODS = 5;

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options }) {
    const counted = (flags: readonly string[]) => flags.filter((f) => (options.flags as string[]).includes(f));
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const { level, grants, flags, conditional, limits = [], escalationMethods = [] } = identity.privilege;
      const found = counted(flags);
      if (found.length > 0) {
        const through = grants
          .filter((g) => counted(g.flags).length > 0)
          .map((g) => ({ grant: grantLabel(g), flags: counted(g.flags), actions: g.evidence }));
        const methods = escalationMethods.length > 0 ? `; methods ${escalationMethods.slice(0, MAX_METHODS).join(', ')}${escalationMethods.length > MAX_METHODS ? ', …' : ''}` : '';
        return {
          identityId: identity.id,
          status: 'fail',
          message: `Can escalate (${found.join(', ')}) through ${through.map((t) => t.grant).join(', ') || 'its grants together'}${methods}`,
          evidence: { level, flags: found, grants: through, ...(escalationMethods.length > 0 ? { escalationMethods } : {}) },
        };
      }
      const conditionalFound = counted(conditional?.flags ?? []);
      if (conditional && conditionalFound.length > 0) {
        const through = grants.filter((g) => counted(g.conditional?.flags ?? []).length > 0).map(grantLabel);
        return {
          identityId: identity.id,
          status: 'fail',
          message: `Can escalate (${conditionalFound.join(', ')}) ${describeConditions(conditional)}, through ${through.join(', ') || 'its grants'}`,
          evidence: { level, flags: [], conditional: Object.assign({}, conditional, { flags: conditionalFound }) },
        };
      }
      if (level === 'unknown') {
        return { identityId: identity.id, status: 'not-applicable', message: 'Privilege could not be determined', evidence: { level } };
      }
      const saving = limits.filter((limit) => !limit.conditions && counted(limit.removes).length > 0);
      if (saving.length > 0) {
        return {
          identityId: identity.id,
          status: 'pass',
          message: `No escalation path: ${saving.map((limit) => `${describeLimit(limit)} takes away ${counted(limit.removes).join(', ')}`).join('; ')}`,
          evidence: { level, flags, limits: saving },
        };
      }
      return { identityId: identity.id, status: 'pass', message: 'No escalation path among its grants', evidence: { level, flags } };
    });
  },
});
