import { z } from 'zod';
import { defineControl, judgeEach, type ControlMeta, type TrustPrincipal } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'ci-trust-restricted',
  title: 'Every identity a CI pipeline assumes through OIDC is pinned to one repository and a branch or environment',
  severity: 'high',
  appliesTo: ['role', 'service-account'],
  rationale:
    'A cloud role that trusts a CI provider\'s OIDC tokens without pinning the subject can be assumed by any ' +
    'workflow of any repository (or any branch, including unreviewed pull requests): deployment access to the ' +
    'reporting systems then bypasses change management (OWASP NHI6, SOX ITGC change management).',
  remediation:
    'Restrict the trust condition on the subject claim to one repository and its protected branch or deployment ' +
    'environment, e.g. repo:ORG/REPO:ref:refs/heads/main or repo:ORG/REPO:environment:production.',
};

const Options = z
  .object({
    providers: z
      .array(z.string().min(1))
      .min(1)
      .default(['token.actions.githubusercontent.com', 'gitlab.com', 'app.terraform.io', 'oidc.circleci.com', 'api.bitbucket.org'])
      .describe('OIDC issuers of CI systems, matched as substrings of the federated principal'),
  })
  .strict();

/** The subject forms that name one repository and one branch or environment, for the issuers whose claims we know. */
const PINNED_SUBJECTS: { issuer: RegExp; pinned: RegExp }[] = [
  { issuer: /token\.actions\.githubusercontent\.com/, pinned: /^repo:[^/*?:]+\/[^*?:]+:(ref:refs\/heads\/[^*?]+|environment:[^*?]+)$/ },
  { issuer: /gitlab/, pinned: /^project_path:[^*?:]+\/[^*?:]+:ref_type:branch:ref:[^*?]+$/ },
];

/** Another issuer's subject counts as pinned when it names something without wildcards. */
function pinned(principal: TrustPrincipal, subject: string): boolean {
  const rule = PINNED_SUBJECTS.find((r) => r.issuer.test(principal.value));
  return rule ? rule.pinned.test(subject) : !/[*?]/.test(subject);
}

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const ci = (identity.trust ?? []).filter((t) => t.type === 'federated' && options.providers.some((p) => t.value.includes(p)));
      if (ci.length === 0) return { identityId: identity.id, status: 'not-applicable', message: 'Not assumable through a CI provider\'s OIDC tokens', evidence: { ciTrust: [] } };
      const judged = ci.map((t) => {
        const subjects = t.subjects ?? [];
        return { provider: t.value, subjects, unpinned: subjects.length === 0 ? ['(any subject)'] : subjects.filter((s) => !pinned(t, s)) };
      });
      const loose = judged.filter((j) => j.unpinned.length > 0);
      const evidence = { ciTrust: judged };
      return loose.length > 0
        ? { identityId: identity.id, status: 'fail', message: `Trusts CI tokens beyond one repository and branch or environment: ${loose.flatMap((j) => j.unpinned).join(', ')}`, evidence }
        : { identityId: identity.id, status: 'pass', message: `CI trust pinned to ${judged.flatMap((j) => j.subjects).join(', ')}`, evidence };
    });
  },
});
