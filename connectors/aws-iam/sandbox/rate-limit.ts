export interface AwsSandboxRateLimit {
  /** Sustained requests per second, per account and operation (AWS throttles each API separately). */
  requestsPerSecond: number;
  /** Requests allowed at once before throttling starts; defaults to one second's worth. */
  burst?: number;
}

/** Token buckets per account and operation; wall-clock based because rate is about real time. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly limit: AwsSandboxRateLimit) {}

  /** Takes a token; false when the caller should be throttled. */
  take(key: string): boolean {
    const capacity = this.limit.burst ?? Math.max(1, this.limit.requestsPerSecond);
    const now = performance.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.requestsPerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
