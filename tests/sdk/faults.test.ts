import { describe, expect, it } from 'vitest';
import { applyFault, FaultPlan, formatFaultSpec, parseFaultSpec, type FaultDialect, type WireResponse } from '../../src/sdk/index.js';

describe('parseFaultSpec', () => {
  it.each([
    ['github:*:throttle:2', { connector: 'github', operation: '*', kind: 'throttle', times: 2 }],
    ['aws-iam:ListAccounts:empty-object', { connector: 'aws-iam', operation: 'ListAccounts', kind: 'empty-object' }],
  ])('%s', (text, spec) => {
    expect(parseFaultSpec(text)).toEqual(spec);
    expect(formatFaultSpec(parseFaultSpec(text))).toBe(text);
  });

  it.each(['github:throttle', 'github:*:slow', 'github:*:throttle:0', 'github:*:throttle:x', '::throttle', 'a:b:c:1:2'])('refuses %s with the format', (text) => {
    expect(() => parseFaultSpec(text)).toThrow(/connector:operation:kind\[:times\]|times must be/);
  });
});

describe('FaultPlan', () => {
  it('hits each distinct request `times` times, then lets it through', () => {
    const plan = new FaultPlan('aws-iam', [parseFaultSpec('aws-iam:ListAccessKeys:5xx:1')]);
    expect(plan.take('ListAccessKeys', 'alice')).toBe('5xx');
    expect(plan.take('ListAccessKeys', 'alice')).toBeUndefined();
    expect(plan.take('ListAccessKeys', 'bob')).toBe('5xx');
    expect(plan.take('GetAccountSummary', 'x')).toBeUndefined();
  });

  it('hits always without times, every operation with *, and only its own connector', () => {
    const plan = new FaultPlan('github', [parseFaultSpec('github:*:reset'), parseFaultSpec('aws-iam:*:hang')]);
    expect([1, 2, 3].map(() => plan.take('GET /orgs/{org}/repos', 'p1'))).toEqual(['reset', 'reset', 'reset']);
    plan.set([]);
    expect(plan.active).toBe(false);
    expect(plan.take('GET /orgs/{org}/repos', 'p1')).toBeUndefined();
  });
});

describe('applyFault', () => {
  const real: WireResponse = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"items":[1,2],"next":"c2"}' };
  const dialect: FaultDialect = {
    throttle: () => ({ status: 429, headers: { 'retry-after': '0' }, body: '{}' }),
    serverError: () => ({ status: 500, headers: {}, body: '{}' }),
    emptyObject: (r) => ({ ...r, body: '{}' }),
    repeatCursor: (r) => ({ ...r, body: r.body.replace('c2', 'c1') }),
    selfLink: () => undefined,
    emptyPageMore: (r) => ({ ...r, body: '{"items":[],"next":"c1b"}' }),
    dropField: () => undefined,
  };

  it.each([
    ['throttle', { action: 'respond', response: { status: 429, headers: { 'retry-after': '0' }, body: '{}' } }],
    ['reset', { action: 'reset' }],
    ['hang', { action: 'hang' }],
    ['truncate', { action: 'respond', response: { ...real, body: real.body.slice(0, 13) } }],
    ['empty-object', { action: 'respond', response: { ...real, body: '{}' } }],
    ['self-link', { action: 'respond', response: real }],
  ] as const)('%s', (kind, outcome) => {
    expect(applyFault(kind, dialect, () => real)).toEqual(outcome);
  });

  it('answers html as a captive portal would, and leaves error answers alone', () => {
    const html = applyFault('html', dialect, () => real);
    expect(html).toMatchObject({ action: 'respond', response: { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } } });
    const denied = { status: 403, headers: {}, body: '{"message":"no"}' };
    expect(applyFault('truncate', dialect, () => denied)).toEqual({ action: 'respond', response: denied });
  });
});
