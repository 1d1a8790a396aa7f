/**
 * Field names that hold secret values in the providers' responses and in our own options. Values under
 * them are replaced before anything is logged or kept as raw evidence: a connector that forgets to drop
 * one still cannot leak it into a pack.
 */
const SECRET_FIELD = /^(secret|secret(access)?key|sessiontoken|privatekey(data)?|private_key|password|client_secret|token|access_token|refresh_token|authorization)$/i;

export const REDACTED = '[redacted]';

export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name.replace(/[-\s]/g, ''));
}

export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value instanceof Uint8Array) return value;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      out[key] = isSecretField(key) && child !== null && child !== undefined && child !== '' ? REDACTED : redactSecrets(child);
    }
    return out;
  }
  return value;
}
