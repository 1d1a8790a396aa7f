import { googleError, type Reply } from './routes.js';

export const TOKENINFO_PATH = '/oauth2/v3/tokeninfo';

/**
 * Google's tokeninfo (`POST /oauth2/v3/tokeninfo`, the token in the form body): whose a bearer token is. The
 * sandbox's one token belongs to `principal`.
 */
export function tokenInfo(form: string, token: string, principal: string, now: Date): Reply {
  const given = new URLSearchParams(form).get('access_token');
  if (given !== token) return { status: 400, body: { error: 'invalid_token', error_description: 'Invalid Value' } };
  if (!principal) return googleError(500, 'the sandbox has no principal for its token');
  const exp = Math.floor(now.getTime() / 1000) + 3600;
  return {
    status: 200,
    body: { azp: '110000000000000000001', aud: '110000000000000000001', sub: '110000000000000000001', scope: 'https://www.googleapis.com/auth/cloud-platform', exp: String(exp), expires_in: 3599, email: principal, email_verified: 'true', access_type: 'online' },
  };
}
