import { z } from 'zod';
import { daysBetween, defineControl, judgeEach, type ControlMeta, type PrivilegeUsage, type UsageItem } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'unused-privilege',
  title: 'No non-human identity keeps privilege it has not used within the allowed period',
  severity: 'medium',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'api-key'],
  rationale:
    'Privilege an identity does not use is risk without purpose: SOX access reviews expect privileges mapped to ' +
    'function, with unused or excessive rights removed (least privilege, CIS GCP 1.5, OWASP NHI5).',
  remediation:
    'Remove the unused services, actions or permissions from the identity\'s policies or roles (IAM Access ' +
    'Analyzer can generate a policy from use; IAM Recommender proposes a smaller role), or delete the unused role ' +
    'or key; keep a justified exception with a waiver.',
};

const Options = z
  .object({
    unusedDays: z.number().int().positive().default(90).describe('days without use after which a granted service, action or permission counts as unused'),
  })
  .strict();

/** How many unused names a message spells out before "and N more". */
const NAMED = 5;

const SOURCES: Record<string, string> = {
  'access-analyzer': 'IAM Access Analyzer',
  'service-last-accessed': 'IAM service last accessed data',
  'iam-recommender': 'IAM Recommender',
};

type Verdict = 'unused' | 'used' | 'undecided';

/** An item is unused when the provider shows no use within the last `unusedDays`; undecided when its data is too short to say. */
function verdict(item: UsageItem, usage: PrivilegeUsage, unusedDays: number, now: Date): Verdict {
  const { lastUsed } = item;
  if (lastUsed === 'never') return 'unused';
  if (lastUsed === 'unknown') return (usage.observedDays ?? 0) >= unusedDays ? 'unused' : 'undecided';
  if ('at' in lastUsed) return daysBetween(lastUsed.at, now) > unusedDays ? 'unused' : 'used';
  return daysBetween(lastUsed.notSince, now) > unusedDays ? 'unused' : 'undecided';
}

function listed(items: readonly UsageItem[]): string {
  const names = items.slice(0, NAMED).map((item) => `${item.name} (${item.kind})`);
  const more = items.length - names.length;
  return more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
}

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options, now }) {
    const { unusedDays } = options;
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const usage = identity.privilege.usage;
      if (!usage) return { identityId: identity.id, status: 'not-applicable', message: 'No usage data', evidence: { usage: null } };
      const from = SOURCES[usage.source] ?? usage.source;
      const judged = usage.items.map((item) => ({ item, verdict: verdict(item, usage, unusedDays, now) }));
      const unused = judged.filter((j) => j.verdict === 'unused').map((j) => j.item);
      const undecided = judged.filter((j) => j.verdict === 'undecided').map((j) => j.item);
      const evidence = { source: usage.source, ...(usage.observedDays ? { observedDays: usage.observedDays } : {}), unusedDays };
      if (unused.length > 0) {
        return {
          identityId: identity.id,
          status: 'fail',
          message: `Granted but not used within ${unusedDays} days, per ${from}: ${listed(unused)}`,
          evidence: Object.assign({}, evidence, { unused }),
        };
      }
      if (undecided.length > 0) {
        return {
          identityId: identity.id,
          status: 'not-applicable',
          message: `${from} covers ${usage.observedDays ? `${usage.observedDays} days` : 'an unstated period'}, less than ${unusedDays} days: cannot tell whether ${listed(undecided)} went unused`,
          evidence: Object.assign({}, evidence, { undecided }),
        };
      }
      return { identityId: identity.id, status: 'pass', message: `No privilege left unused for more than ${unusedDays} days, per ${from}`, evidence };
    });
  },
});
