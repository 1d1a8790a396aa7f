import { z } from 'zod';
import { daysBetween, defineControl, judgeEach, type ControlMeta, type ControlResult, type Credential, type Identity } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'credential-expiry-set',
  title: 'Every active credential expires within the allowed lifetime',
  severity: 'medium',
  appliesTo: ['service-account', 'app', 'token', 'deploy-key', 'api-key'],
  rationale:
    'A credential without an end date stays valid until someone remembers to revoke it; an expiry bounds the ' +
    'damage of a leak and forces the periodic review that rotation alone does not (OWASP NHI7, CIS GCP 1.4).',
  remediation:
    'Issue credentials with an expiry (fine-grained tokens, service-account keys with a validity period, ' +
    'short-lived federation), or record the identity\'s own end date (the expiry tag) and remove it then.',
};

const Options = z
  .object({ maxLifetimeDays: z.number().int().positive().default(365).describe('days from issue (or last rotation) to expiry a credential may live') })
  .strict();

/** Google writes "never" as 9999-12-31T23:59:59Z; any end that far out is none. */
const NEVER_FROM = Date.parse('9999-01-01T00:00:00Z');

/** The credential's own expiry or the identity's end, whichever comes first: past either, the credential stops. */
function effectiveEnd(credential: Credential, identity: Identity): { end: string; from: 'credential' | 'identity' } | null {
  const ends = [
    ...(credential.expiresAt ? [{ end: credential.expiresAt, from: 'credential' as const }] : []),
    ...(identity.expiresAt ? [{ end: identity.expiresAt, from: 'identity' as const }] : []),
  ].filter((e) => Date.parse(e.end) < NEVER_FROM);
  return ends.sort((a, b) => Date.parse(a.end) - Date.parse(b.end))[0] ?? null;
}

function judge(identity: Identity, credential: Credential, maxLifetimeDays: number, now: Date): ControlResult {
  const found = effectiveEnd(credential, identity);
  const stated = { credentialExpiresAt: credential.expiresAt, identityExpiresAt: identity.expiresAt ?? null, maxLifetimeDays };
  if (!found) {
    const never = [credential.expiresAt, identity.expiresAt].some((end) => end && Date.parse(end) >= NEVER_FROM);
    return {
      identityId: identity.id, credentialId: credential.id,
      status: 'fail',
      message: `Credential ${credential.id} ${never ? 'is set never to expire (9999-12-31)' : 'has no expiry'}`,
      evidence: stated,
    };
  }
  const start = credential.rotatedAt ?? credential.createdAt;
  const lifetimeDays = daysBetween(start ?? now, new Date(found.end));
  const evidence = Object.assign({}, stated, { expiresAt: found.end, expiryFrom: found.from, lifetimeFrom: start, lifetimeDays });
  const whose = found.from === 'identity' ? ` (the identity's end)` : '';
  if (Date.parse(found.end) <= now.getTime()) {
    return { identityId: identity.id, credentialId: credential.id, status: 'fail', message: `Credential ${credential.id} is still active after its expiry ${found.end}${whose}`, evidence };
  }
  return lifetimeDays > maxLifetimeDays
    ? { identityId: identity.id, credentialId: credential.id, status: 'fail', message: `Credential ${credential.id} lives ${lifetimeDays} days to ${found.end}${whose} (limit ${maxLifetimeDays})`, evidence }
    : { identityId: identity.id, credentialId: credential.id, status: 'pass', message: `Credential ${credential.id} expires ${found.end}${whose}, ${lifetimeDays} days after ${start ? 'it was issued' : 'the as-of date'}`, evidence };
}

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options, now }) {
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const active = identity.credentials.filter((c) => c.status === 'active');
      // A stored secret (a webhook's, a CI variable's) is a copy: its expiry belongs to the system that issued it.
      const issued = active.filter((c) => c.type !== 'secret');
      if (issued.length === 0) {
        const message = active.length === 0 ? 'No active credential' : 'Only stored secrets, whose expiry the issuing system holds';
        return { identityId: identity.id, status: 'not-applicable', message, evidence: { activeCredentials: active.length, issuedCredentials: 0 } };
      }
      return issued.map((credential) => judge(identity, credential, options.maxLifetimeDays, now));
    });
  },
});
