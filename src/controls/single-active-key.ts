import { z } from 'zod';
import { daysBetween, defineControl, judgeEach, type ControlMeta, type Credential } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'single-active-key',
  title: 'No service account holds more than one active long-lived key',
  severity: 'medium',
  appliesTo: ['service-account'],
  rationale:
    'A second active key is usually a rotation left half done: the old key keeps working, nobody knows which ' +
    'consumer still uses it, and the rotation evidence says less than it seems (CIS AWS 1.13).',
  remediation:
    'Find which key each consumer uses (last-used data), move them to the newest key, then deactivate and ' +
    'delete the others.',
};

/** The long-lived keys a program holds; tokens, certificates and SSH keys follow their own rules. */
const KEY_TYPES: readonly Credential['type'][] = ['access-key', 'service-account-key', 'client-secret'];

const Options = z
  .object({
    rotationGraceDays: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('a second key passes while the newest is at most this many days old: the overlap of a rotation in progress'),
  })
  .strict();

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options, now }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const keys = identity.credentials.filter((c) => c.status === 'active' && KEY_TYPES.includes(c.type));
      const activeKeys = keys.map((k) => k.id);
      if (keys.length === 0) return { identityId: identity.id, status: 'not-applicable', message: 'No active key', evidence: { activeKeys } };
      if (keys.length === 1) return { identityId: identity.id, status: 'pass', message: `One active key: ${keys[0]!.id}`, evidence: { activeKeys } };
      const newestAgeDays = keys.reduce((newest, k) => Math.min(newest, k.createdAt ? daysBetween(k.createdAt, now) : Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
      const evidence = { activeKeys, newestAgeDays: Number.isFinite(newestAgeDays) ? newestAgeDays : null, rotationGraceDays: options.rotationGraceDays };
      return newestAgeDays <= options.rotationGraceDays
        ? { identityId: identity.id, status: 'pass', message: `${keys.length} active keys during a rotation (newest ${newestAgeDays} days old)`, evidence }
        : { identityId: identity.id, status: 'fail', message: `${keys.length} active keys: ${activeKeys.join(', ')}`, evidence };
    });
  },
});
