import { z } from 'zod';
import { type ControlMeta, defineControl, grantLabel, judgeEach, PrivilegeFlagSchema } from '../sdk/index.js';

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
      .describe('the privilege flags that count as an escalation path'),
  })
  .strict();

export default defineControl({
  meta,
  options: Options,
  evaluate(identities, { options }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const { level, grants, flags } = identity.privilege;
      const found = flags.filter((f) => options.flags.includes(f));
      const base = { identityId: identity.id };
      if (found.length === 0 && level === 'unknown') {
        return { ...base, status: 'not-applicable', message: 'Privilege could not be determined', evidence: { level } };
      }
      if (found.length === 0) return { ...base, status: 'pass', message: 'No escalation path among its grants', evidence: { level, flags } };
      const through = grants
        .filter((g) => g.flags.some((f) => options.flags.includes(f)))
        .map((g) => ({ grant: grantLabel(g), flags: g.flags.filter((f) => options.flags.includes(f)), actions: g.evidence }));
      return {
        ...base,
        status: 'fail',
        message: `Can escalate (${found.join(', ')}) through ${through.map((t) => t.grant).join(', ') || 'its grants'}`,
        evidence: { level, flags: found, grants: through },
      };
    });
  },
});
