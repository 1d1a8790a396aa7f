import { z } from 'zod';
import { type ControlMeta, defineControl, type Identity, judgeEach, lastUsedAt } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'break-glass-time-bounded',
  title: 'Every emergency (break-glass) identity is time-boxed and disabled once its window ends',
  severity: 'high',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'ci-secret', 'api-key'],
  rationale:
    'Emergency access bypasses the normal approval path, so it is acceptable only when it is short and revoked ' +
    'afterwards; a grant left in place after the incident is standing privileged access nobody approved ' +
    '(SOX ITGC break-glass / firefighter access).',
  remediation:
    'Give every emergency grant an end (the expiry tag) within the allowed hours of its creation, and delete or ' +
    'disable it, with its credentials, when the window closes; review what it did while it was open.',
};

const HOUR_MS = 3_600_000;

const Options = z
  .object({ maxHours: z.number().positive().default(12).describe('hours from creation to end an emergency grant may last') })
  .strict();

/**
 * Whether the identity can still be used: not disabled, and holding an active credential, a console login, a
 * principal that may assume or impersonate it, or no credentials of its own at all (roles and app installations
 * are used through trust, not through a secret they hold).
 */
function usable(identity: Identity): boolean {
  if (identity.status === 'disabled') return false;
  return (
    identity.credentials.some((c) => c.status === 'active') ||
    identity.interactiveLogin?.enabled === true ||
    (identity.trust?.length ?? 0) > 0 ||
    identity.credentials.length === 0
  );
}

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options, now }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      if (!identity.breakGlass) return { identityId: identity.id, status: 'not-applicable', message: 'Not an emergency identity', evidence: { breakGlass: false } };
      const enabled = usable(identity);
      const { createdAt } = identity;
      const expiresAt = identity.expiresAt ?? null;
      const usedAt = lastUsedAt(identity.lastUsed);
      const facts = { breakGlass: true, createdAt, expiresAt, enabled, lastUsedAt: usedAt, maxHours: options.maxHours };
      if (!expiresAt) {
        return enabled
          ? { identityId: identity.id, status: 'fail', message: 'Emergency identity is enabled with no end date', evidence: facts }
          : { identityId: identity.id, status: 'pass', message: 'Emergency identity is disabled at rest', evidence: facts };
      }
      const windowHours = createdAt === null ? null : Math.round(((Date.parse(expiresAt) - Date.parse(createdAt)) / HOUR_MS) * 10) / 10;
      const evidence = Object.assign({}, facts, { windowHours });
      const problems: string[] = [];
      if (windowHours === null) problems.push('its creation time is unknown, so its window cannot be shown');
      else if (windowHours > options.maxHours) problems.push(`its window is ${windowHours} hours (limit ${options.maxHours})`);
      const ended = Date.parse(expiresAt) <= now.getTime();
      if (ended && enabled) problems.push(`it is still enabled after its end ${expiresAt}`);
      if (usedAt && Date.parse(usedAt) > Date.parse(expiresAt)) problems.push(`it was used at ${usedAt}, after its end`);
      if (problems.length > 0) return { identityId: identity.id, status: 'fail', message: `Emergency identity: ${problems.join('; ')}`, evidence };
      return ended
        ? { identityId: identity.id, status: 'pass', message: `Emergency window of ${windowHours} hours ended ${expiresAt} and the identity is disabled`, evidence }
        : { identityId: identity.id, status: 'pass', message: `Emergency window of ${windowHours} hours, open until ${expiresAt}`, evidence };
    });
  },
});
