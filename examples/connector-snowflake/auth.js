// @ts-check
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';

/*
 * Key-pair authentication, as Snowflake documents it for the SQL API: a JWT signed with the user's RSA private
 * key (RS256), issued by ACCOUNT.USER.SHA256:<fingerprint of the public key> for ACCOUNT.USER, valid for at most
 * an hour, sent as a bearer token with X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT.
 */

/** Snowflake's public key fingerprint: SHA256: and the base64 SHA-256 of the DER public key. @param {import('node:crypto').KeyObject} publicKey */
export function publicKeyFingerprint(publicKey) {
  return `SHA256:${createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64')}`;
}

/** The account part of the JWT claims: upper case, and an ORG.ACCOUNT identifier with a dash. @param {string} account */
export function jwtAccount(account) {
  return account.toUpperCase().replace(/\./g, '-');
}

/** @param {object} value */
const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

export class KeyPairAuth {
  /**
   * @param {string} account
   * @param {string} user
   * @param {string} privateKeyPem PKCS#8 PEM; never logged, never kept in a page
   */
  constructor(account, user, privateKeyPem) {
    this.privateKey = createPrivateKey(privateKeyPem);
    this.fingerprint = publicKeyFingerprint(createPublicKey(this.privateKey));
    this.subject = `${jwtAccount(account)}.${user.toUpperCase()}`;
    /** @type {{ token: string; expiresAt: number } | undefined} */
    this.current = undefined;
  }

  /** A token with at least five minutes left, signed anew when the last one is older. */
  token() {
    const now = Math.floor(Date.now() / 1000);
    if (this.current && this.current.expiresAt - now > 300) return this.current.token;
    const expiresAt = now + 3600;
    const unsigned = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url({ iss: `${this.subject}.${this.fingerprint}`, sub: this.subject, iat: now, exp: expiresAt })}`;
    const token = `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), this.privateKey).toString('base64url')}`;
    this.current = { token, expiresAt };
    return token;
  }

  headers() {
    return { authorization: `Bearer ${this.token()}`, 'x-snowflake-authorization-token-type': 'KEYPAIR_JWT' };
  }
}
