import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/* How the sandbox checks GitHub App credentials: the App JWT and an installation's permissions. */

export function publicKeyOf(key: KeyObject | string): KeyObject {
  return typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
}

/** GitHub's rules for an App JWT: RS256, issued by the App, at most ten minutes long, not expired. */
export function validJwt(jwt: string, appId: number, key: KeyObject): boolean {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  try {
    const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iat?: number; exp?: number; iss?: unknown };
    const nowSeconds = Date.now() / 1000;
    return (
      head.alg === 'RS256' &&
      verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')) &&
      String(claims.iss) === String(appId) &&
      typeof claims.iat === 'number' &&
      typeof claims.exp === 'number' &&
      claims.exp - claims.iat <= 600 &&
      claims.exp > nowSeconds &&
      claims.iat <= nowSeconds + 60
    );
  } catch {
    return false;
  }
}

/** A write permission includes read. */
export function grants(permissions: Record<string, string>, needed: string): boolean {
  const [name, access] = needed.split('=') as [string, string];
  const held = permissions[name];
  return held === access || held === 'write' || held === 'admin';
}
