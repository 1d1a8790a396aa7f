/**
 * Field names that hold secret values in the providers' responses and in our own options. Values under
 * them are replaced before anything is logged or kept as raw evidence: a connector that forgets to drop
 * one still cannot leak it into a pack.
 */
const SECRET_FIELD = /^(secret|secret(access)?key|sessiontoken|privatekey(data)?|private_key|password|client_secret|token|access_token|refresh_token|authorization)$/i;

/** Query and fragment parameters whose values are credentials (`?token=`, `&X-Amz-Signature=`, `#access_token=`). */
const SECRET_PARAMETER = /^(key|sig|auth|code|pass|session|.*(token|secret|password|passwd|pwd|apikey|signature|credential|sessionid))$/;

/** A URL inside any text: a scheme, `://`, and what follows up to a space or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

export const REDACTED = '[redacted]';

export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name.replace(/[-\s]/g, ''));
}

function isSecretParameter(name: string): boolean {
  return SECRET_PARAMETER.test(name.toLowerCase().replace(/[-_.]/g, ''));
}

/** Why a value was replaced, and where: a JSON pointer into the value that was redacted. */
export interface Redaction {
  pointer: string;
  reason: 'secret field' | 'URL userinfo' | 'URL parameter';
}

/** One URL with its userinfo (`user:password@`) and the values of credential-like parameters replaced. */
function redactUrl(url: string, found: Redaction['reason'][]): string {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i, (match, scheme: string, userinfo: string) => {
    if (userinfo === '' || userinfo === REDACTED) return match;
    found.push('URL userinfo');
    return `${scheme}${REDACTED}@`;
  });
  const query = out.search(/[?#]/);
  if (query >= 0) {
    const tail = out.slice(query).replace(/([?#&;])([^=&#;]+)=([^&#;]*)/g, (match, separator: string, name: string, value: string) => {
      if (value === '' || value === REDACTED || !isSecretParameter(name)) return match;
      found.push('URL parameter');
      return `${separator}${name}=${REDACTED}`;
    });
    out = out.slice(0, query) + tail;
  }
  return out;
}

function redactText(text: string, found: Redaction['reason'][]): string {
  return text.includes('://') ? text.replace(URL_IN_TEXT, (url) => redactUrl(url, found)) : text;
}

const pointerSegment = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');

function redactAt(value: unknown, pointer: string, redactions: Redaction[]): unknown {
  if (typeof value === 'string') {
    const found: Redaction['reason'][] = [];
    const out = redactText(value, found);
    for (const reason of new Set(found)) redactions.push({ pointer, reason });
    return out;
  }
  if (Array.isArray(value)) return value.map((child, i) => redactAt(child, `${pointer}/${i}`, redactions));
  if (value instanceof Uint8Array) return value;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const at = `${pointer}/${pointerSegment(key)}`;
      if (isSecretField(key) && child !== null && child !== undefined && child !== '' && child !== REDACTED) {
        out[key] = REDACTED;
        redactions.push({ pointer: at, reason: 'secret field' });
      } else {
        out[key] = redactAt(child, at, redactions);
      }
    }
    return out;
  }
  return value;
}

/** `value` with every secret field's value, and the credentials inside URLs, replaced by `[redacted]`. */
export function redactSecrets(value: unknown): unknown {
  return redactAt(value, '', []);
}

/** `redactSecrets`, saying where each redaction happened (JSON pointers from `root`), for the pack's manifest. */
export function redactWithReport(value: unknown, root = ''): { value: unknown; redactions: Redaction[] } {
  const redactions: Redaction[] = [];
  return { value: redactAt(value, root, redactions), redactions };
}
