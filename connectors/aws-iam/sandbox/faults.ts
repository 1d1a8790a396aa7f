import type { ServiceName } from './api.js';

/** Injected trouble: faults that hit chosen requests a number of times, and AWS-style rate limits. */

export interface AwsSandboxFault {
  service?: ServiceName;
  operation?: string;
  account?: string;
  /**
   * throttle: the service's throttling error (IAM, STS: 400 Throttling; Organizations: 429 TooManyRequestsException);
   * error: any error answer (default the service's 500);
   * malformed: a truncated body; empty-page: a paged operation answers no items but a token onward.
   */
  kind: 'throttle' | 'error' | 'malformed' | 'empty-page';
  /** How often each distinct request (account, operation, parameters) meets the fault; omitted: always. */
  times?: number;
  /** How many matching requests pass before the fault starts: a listing that fails after its first pages. */
  after?: number;
  status?: number;
  code?: string;
  message?: string;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface FaultRequest {
  service: ServiceName;
  operation: string;
  account: string;
  /** The request's identity for counting (parameters, with paging tokens reduced to positions). */
  key: unknown;
}

export class FaultInjector {
  private readonly seen = new Map<string, number>();
  private readonly passed = new Map<number, number>();

  constructor(private readonly faults: readonly AwsSandboxFault[]) {}

  /** The fault this request meets, if any, counted against its `times`. */
  next(request: FaultRequest): AwsSandboxFault | undefined {
    for (const [index, fault] of this.faults.entries()) {
      if (fault.service !== undefined && fault.service !== request.service) continue;
      if (fault.operation !== undefined && fault.operation !== request.operation) continue;
      if (fault.account !== undefined && fault.account !== request.account) continue;
      const passed = this.passed.get(index) ?? 0;
      if (fault.after !== undefined && passed < fault.after) {
        this.passed.set(index, passed + 1);
        continue;
      }
      if (fault.times === undefined) return fault;
      const counter = [index, request.service, request.operation, request.account, stableJson(request.key)].join('\n');
      const count = this.seen.get(counter) ?? 0;
      if (count < fault.times) {
        this.seen.set(counter, count + 1);
        return fault;
      }
    }
    return undefined;
  }
}

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
