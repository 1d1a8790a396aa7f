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
