import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactSecrets, redactWithReport } from '../src/redact.js';

describe('redaction of raw pages', () => {
  it.each([
    ['https://jenkins:s3cret@ci.example/notify', 'https://[redacted]@ci.example/notify'],
    ['https://x-access-token:ghs_abc@github.com/org/repo.git', 'https://[redacted]@github.com/org/repo.git'],
    ['https://hooks.example/in?job=a&token=abc123&x=1', 'https://hooks.example/in?job=a&token=[redacted]&x=1'],
    ['https://s3.example/o?X-Amz-Signature=ff00&X-Amz-Credential=AKIA%2F&X-Amz-Date=20261120', 'https://s3.example/o?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]&X-Amz-Date=20261120'],
    ['https://app.example/cb#access_token=abc&state=xyz', 'https://app.example/cb#access_token=[redacted]&state=xyz'],
    ['https://maps.example/api?key=AIzaXYZ&q=x', 'https://maps.example/api?key=[redacted]&q=x'],
    ['deliver to https://u:p@h.example/a?api_key=k then stop', 'deliver to https://[redacted]@h.example/a?api_key=[redacted] then stop'],
  ])('%s', (url, expected) => {
    expect(redactSecrets({ config: { url } })).toEqual({ config: { url: expected } });
  });

  it('leaves URLs without credentials, and other text, alone', () => {
    const value = { url: 'https://audit-log.example/github?event=push', at: 'user@example.com', note: 'key=value' };
    expect(redactWithReport(value)).toEqual({ value, redactions: [] });
  });

  it('says where it redacted, as JSON pointers', () => {
    const { redactions } = redactWithReport([{ config: { url: 'https://a:b@h/x?token=t', secret: '****' } }], '/body');
    expect(redactions).toEqual([
      { pointer: '/body/0/config/url', reason: 'URL userinfo' },
      { pointer: '/body/0/config/url', reason: 'URL parameter' },
      { pointer: '/body/0/config/secret', reason: 'secret field' },
    ]);
  });
});

describe('redaction shares what it leaves alone', () => {
  /** The walk as it was written before: every object and array copied, a pointer for every value. */
  function copyingRedaction(value: unknown, pointer: string, out: Array<{ pointer: string; reason: string }>): unknown {
    if (typeof value === 'string') return redactWithReport(value, pointer).value;
    if (Array.isArray(value)) return value.map((child, i) => copyingRedaction(child, `${pointer}/${i}`, out));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, child]) => {
          const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
          if (/^(secret|token|password)$/i.test(key) && child !== null && child !== '' && child !== '[redacted]') {
            out.push({ pointer: at, reason: 'secret field' });
            return [key, '[redacted]'];
          }
          return [key, copyingRedaction(child, at, out)];
        }),
      );
    }
    return value;
  }
  const deepFreeze = <T>(value: T): T => {
    if (value !== null && typeof value === 'object') for (const child of Object.values(value)) deepFreeze(child);
    return Object.freeze(value);
  };
  const key = fc.oneof(fc.constantFrom('secret', 'token', 'Password', 'name', 'a/b', 'c~d', 'url'), fc.string({ maxLength: 4 }));
  const leaf = fc.oneof(fc.constantFrom('https://u:p@h.example/x', 'https://h.example/?token=t', 'https://h.example/', '', '[redacted]'), fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
  })).value;

  it('gives what a copying walk gives, says the same, and never changes its input', () => {
    fc.assert(
      fc.property(json, (value) => {
        const frozen = deepFreeze(structuredClone(value));
        const expected: Array<{ pointer: string; reason: string }> = [];
        const copied = copyingRedaction(frozen, '/body', expected);
        const { value: redacted, redactions } = redactWithReport(frozen, '/body');
        expect(redacted).toEqual(copied);
        expect(redactions.filter((r) => r.reason === 'secret field')).toEqual(expected);
        expect(frozen).toEqual(value);
      }),
      { numRuns: 400 },
    );
  });

  it('returns a value without secrets as the same object, and copies only the path to a redaction', () => {
    const page = { Users: [{ UserName: 'a', Tags: [{ Key: 'k', Value: 'v' }] }, { UserName: 'b', Config: { token: 't' } }], Marker: 'm' };
    expect(redactWithReport(page.Users[0]).value).toBe(page.Users[0]);
    const { value } = redactWithReport(page) as { value: typeof page };
    expect(value).not.toBe(page);
    expect(value.Users[0]).toBe(page.Users[0]);
    expect(value.Users[1]).toEqual({ UserName: 'b', Config: { token: '[redacted]' } });
    expect(page.Users[1]).toEqual({ UserName: 'b', Config: { token: 't' } });
  });

  it('keeps a __proto__ key from a provider as a key', () => {
    const value = JSON.parse('{"__proto__": {"polluted": 1}, "secret": "s"}') as Record<string, unknown>;
    const redacted = redactWithReport(value).value as Record<string, unknown>;
    expect(Object.keys(redacted)).toEqual(['__proto__', 'secret']);
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(redacted['secret']).toBe('[redacted]');
  });
});
