import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import type { RateLimiter } from '@smithy/util-retry';

export interface RetrySettings {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

class Token implements RetryToken {
  constructor(
    private readonly count: number,
    private readonly delay: number,
  ) {}
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return this.delay;
  }
}

/**
 * A success status whose body the SDK could not read (an XML or JSON body cut short or garbled on the way): the
 * SDK calls it a client error, but the request was fine and a second read of the same answer usually succeeds.
 */
function isGarbledSuccess(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 200 && status < 300;
}

/**
 * Retries throttling, transient and server errors, and success answers whose body could not be read, with capped
 * exponential back-off and full jitter. Unlike the SDK's standard strategy it keeps no client-wide retry quota: an
 * audit would rather slow down than give up on a throttled account halfway through and leave its population
 * incomplete. Given a rate limiter (the SDK's adaptive mode uses the same CUBIC one), every call waits for a send
 * token, a throttled answer lowers the rate and successes raise it again: an account is read as fast as IAM allows
 * it, without a fixed pacing.
 */
export class PatientRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';

  constructor(
    private readonly settings: RetrySettings,
    private readonly random: () => number = Math.random,
    private readonly rate?: RateLimiter,
  ) {}

  async acquireInitialRetryToken(): Promise<RetryToken> {
    await this.rate?.getSendToken();
    return new Token(0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    this.rate?.updateClientSendingRate(info);
    const count = token.getRetryCount() + 1;
    const retryable = info.errorType !== 'CLIENT_ERROR' || isGarbledSuccess(info.error);
    if (!retryable || count >= this.settings.maxAttempts) throw new Error('no retry');
    const ceiling = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** count);
    const hinted = info.retryAfterHint ? Math.max(0, info.retryAfterHint.getTime() - Date.now()) : 0;
    return new Token(count, Math.max(hinted, Math.floor(this.random() * ceiling)));
  }

  recordSuccess(): void {
    this.rate?.updateClientSendingRate({});
  }
}
