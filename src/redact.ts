import { defineMember } from './stable-json.js';

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

/** The JSON pointer of the value at `path` below `root`: built only for what is redacted. */
const pointerOf = (root: string, path: readonly (string | number)[]) => `${root}${path.map((key) => `/${pointerSegment(key)}`).join('')}`;

/**
 * `value` with its secrets replaced. What holds none is returned as it is, not copied: a provider's page is most
 * often all of that, and copying every page cost about 670 MB of allocation at 100 000 identities. `path` is the
 * walk's position, one key pushed per level, so no pointer is written out for what is kept.
 */
function redactAt(value: unknown, root: string, path: (string | number)[], redactions: Redaction[]): unknown {
  if (typeof value === 'string') {
    const found: Redaction['reason'][] = [];
    const out = redactText(value, found);
    for (const reason of new Set(found)) redactions.push({ pointer: pointerOf(root, path), reason });
    return out;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const child = redactAt(value[i], root, path, redactions);
      path.pop();
      if (copy) copy.push(child);
      else if (child !== value[i]) copy = [...value.slice(0, i), child];
    }
    return copy ?? value;
  }
  if (value instanceof Uint8Array) return value;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const keys = Object.keys(value);
    let copy: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const child = (value as Record<string, unknown>)[key];
      path.push(key);
      let out: unknown;
      if (isSecretField(key) && child !== null && child !== undefined && child !== '' && child !== REDACTED) {
        out = REDACTED;
        redactions.push({ pointer: pointerOf(root, path), reason: 'secret field' });
      } else {
        out = redactAt(child, root, path, redactions);
      }
      path.pop();
      if (!copy && out !== child) copy = plainCopy(value as Record<string, unknown>, keys, i);
      if (copy) defineMember(copy, key, out);
    }
    return copy ?? value;
  }
  return value;
}

/** The members before the `end`-th key, in a new plain object: where a redaction starts a copy. */
function plainCopy(value: Record<string, unknown>, keys: readonly string[], end: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < end; i++) defineMember(copy, keys[i]!, value[keys[i]!]);
  return copy;
}

/** `value` with every secret field's value, and the credentials inside URLs, replaced by `[redacted]`. */
export function redactSecrets(value: unknown): unknown {
  return redactAt(value, '', [], []);
}

/** `redactSecrets`, saying where each redaction happened (JSON pointers from `root`), for the pack's manifest. */
export function redactWithReport(value: unknown, root = ''): { value: unknown; redactions: Redaction[] } {
  const redactions: Redaction[] = [];
  return { value: redactAt(value, root, [], redactions), redactions };
}
