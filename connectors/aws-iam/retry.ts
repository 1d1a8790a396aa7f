import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

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
 * Retries throttling, transient and server errors with capped exponential back-off and full jitter.
 * Unlike the SDK's standard strategy it keeps no client-wide retry quota: an audit would rather slow down
 * than give up on a throttled account halfway through and leave its population incomplete.
 */
export class PatientRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';

  constructor(
    private readonly settings: RetrySettings,
    private readonly random: () => number = Math.random,
  ) {}

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return new Token(0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const count = token.getRetryCount() + 1;
    if (info.errorType === 'CLIENT_ERROR' || count >= this.settings.maxAttempts) throw new Error('no retry');
    const ceiling = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** count);
    const hinted = info.retryAfterHint ? Math.max(0, info.retryAfterHint.getTime() - Date.now()) : 0;
    return new Token(count, Math.max(hinted, Math.floor(this.random() * ceiling)));
  }

  recordSuccess(): void {}
}
