import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  InvalidResponseError,
  isTransientFault,
  PageGuard,
  PagingError,
  validateResponse,
  withRetries,
  type PageSignal,
} from '../../src/sdk/index.js';

/** Feeds pages to a fresh guard; returns the cursors followed, or the guard's reason for stopping. */
function follow(pages: PageSignal[], limits = { maxPages: 100, maxEmptyPages: 2 }): string[] | string {
  const guard = new PageGuard('ListThings', limits);
  const cursors: string[] = [];
  try {
    for (const page of pages) {
      const next = guard.next(page);
      if (next === undefined) return cursors;
      cursors.push(next);
    }
    return cursors;
  } catch (error) {
    expect(error).toBeInstanceOf(PagingError);
    expect((error as Error).message).toMatch(/^ListThings: /);
    return (error as PagingError).code;
  }
}

describe('PageGuard', () => {
  it.each([
    ['a listing that ends', [{ items: 2, cursor: 'a' }, { items: 2, cursor: 'b' }, { items: 1 }], ['a', 'b']],
    ['AWS IsTruncated with a marker', [{ items: 1, cursor: 'm1', more: true }, { items: 1, cursor: 'ignored', more: false }], ['m1']],
    ['a repeated cursor', [{ items: 1, cursor: 'a' }, { items: 1, cursor: 'a' }], 'repeated-cursor'],
    ['a cursor that comes back later', [{ items: 1, cursor: 'a' }, { items: 1, cursor: 'b' }, { items: 1, cursor: 'a' }], 'repeated-cursor'],
    ['truncated without a marker', [{ items: 1, more: true }], 'more-without-cursor'],
    ['an empty string cursor that claims more', [{ items: 1, cursor: '', more: true }], 'more-without-cursor'],
    ['two empty pages that claim more, then data', [{ items: 0, cursor: 'a' }, { items: 0, cursor: 'b' }, { items: 3 }], ['a', 'b']],
    ['three empty pages in a row that claim more', [{ items: 0, cursor: 'a' }, { items: 0, cursor: 'b' }, { items: 0, cursor: 'c' }], 'empty-pages-claim-more'],
  ] as const)('%s', (_name, pages, expected) => {
    expect(follow(pages as unknown as PageSignal[])).toEqual(expected);
  });

  it('sees a next link back to the first page, whose address no cursor gave', () => {
    const guard = new PageGuard('ListThings', { maxPages: 100, maxEmptyPages: 2 });
    guard.visited('https://api/things?per_page=100');
    expect(() => guard.next({ items: 1, cursor: 'https://api/things?per_page=100' })).toThrow(expect.objectContaining({ code: 'repeated-cursor' }));
  });

  it('stops a listing at its page budget', () => {
    const pages = Array.from({ length: 10 }, (_, i) => ({ items: 1, cursor: `c${i}` }));
    expect(follow(pages, { maxPages: 4, maxEmptyPages: 2 })).toBe('page-budget');
  });
});

describe('validateResponse', () => {
  const Schema = z.object({ Users: z.array(z.object({ UserName: z.string(), Arn: z.string() })) });

  it('returns the typed body when it holds what the normalizer reads', () => {
    expect(validateResponse('ListUsers', Schema, { Users: [{ UserName: 'a', Arn: 'arn' }], Extra: 1 }).Users[0]!.UserName).toBe('a');
  });

  it.each([
    ['a captive portal page', '<html>Sign in</html>', /text body/],
    ['an empty object', {}, /Users: expected array/],
    ['an entity without its name', { Users: [{ Arn: 'arn' }] }, /Users\[0\]\.UserName: expected string/],
    ['a wrong type', { Users: 'none' }, /Users: expected array/],
  ])('refuses %s, naming the operation and the path', (_name, body, message) => {
    expect(() => validateResponse('ListUsers', Schema, body)).toThrow(InvalidResponseError);
    expect(() => validateResponse('ListUsers', Schema, body)).toThrow(message);
  });

  it('never quotes a value from the body', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY';
    try {
      validateResponse('ListUsers', Schema, { Users: [{ UserName: 42, Arn: secret, Password: secret }], Note: secret });
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
      expect((error as Error).message).not.toContain('42');
    }
    expect.assertions(2);
  });
});

describe('withRetries', () => {
  const fast = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

  it('retries transient faults and reports the attempts', async () => {
    let calls = 0;
    const result = await withRetries(async () => {
      calls += 1;
      if (calls < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return 'ok';
    }, fast);
    expect(result).toEqual({ value: 'ok', attempts: 3 });
  });

  it('gives up after the attempts, with the last error', async () => {
    await expect(withRetries(async () => Promise.reject(new InvalidResponseError('Op', ['(body): expected object'])), fast)).rejects.toThrow(/Op: the response/);
  });

  it('never retries a refusal or a paging fault', async () => {
    let calls = 0;
    await expect(
      withRetries(async () => {
        calls += 1;
        throw Object.assign(new Error('denied'), { status: 403 });
      }, fast),
    ).rejects.toThrow('denied');
    expect(calls).toBe(1);
  });

  it('waits at least what Retry-After asks', async () => {
    const started = performance.now();
    let calls = 0;
    await withRetries(async () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('slow down'), { status: 429, response: { headers: { 'retry-after': '0.2' } } });
      return 'ok';
    }, fast);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const pending = withRetries(async () => Promise.reject(Object.assign(new Error('busy'), { status: 503 })), { attempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000, signal: controller.signal, random: () => 1 });
    controller.abort(new Error('source failed'));
    await expect(pending).rejects.toThrow(/busy|source failed/);
  });
});

describe('isTransientFault', () => {
  it.each([
    [Object.assign(new Error('x'), { code: 'ECONNRESET' }), true],
    [Object.assign(new Error('x'), { cause: { code: 'UND_ERR_HEADERS_TIMEOUT' } }), true],
    [Object.assign(new Error('x'), { name: 'TimeoutError' }), true],
    [Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }), true],
    [Object.assign(new Error('x'), { status: 404 }), false],
    [new PagingError('Op', 'repeated-cursor', 'loop'), false],
    [new SyntaxError('Unexpected token <'), true],
  ])('%s → %s', (error, retry) => {
    expect(isTransientFault(error).retry).toBe(retry);
  });
});
