/**
 * Injected faults, one vocabulary for every sandbox: `nhi-audit sandbox --fault`, `nhi-audit demo --fault`
 * and the fault-matrix test speak it. A sandbox names each request's operation the way its connector records
 * it in the manifest, asks the plan which fault the request meets, and lets `applyFault` turn its answer into
 * the faulty one through its protocol's `FaultDialect`.
 */

export const FAULT_KINDS = [
  'throttle',
  '5xx',
  'reset',
  'hang',
  'html',
  'empty-object',
  'truncate',
  'repeat-cursor',
  'self-link',
  'empty-page-more',
  'drop-field',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAULT_DESCRIPTIONS: Record<FaultKind, string> = {
  throttle: "the provider's rate-limit answer (429 or its throttling error), with Retry-After where it sends one",
  '5xx': 'a server error (500 or 503)',
  reset: 'the connection is closed before any answer',
  hang: 'the connection stays open and nothing is ever answered',
  html: 'a 200 whose body is an HTML page, as a captive portal or proxy sends',
  'empty-object': 'a 200 whose body is an empty object (`{}`, or an empty result element)',
  truncate: 'a 200 whose body stops halfway',
  'repeat-cursor': 'a list page whose next cursor leads back to the page just read',
  'self-link': 'a list page whose `Link: rel="next"` (or next cursor) points at itself',
  'empty-page-more': 'a list page with no items that still claims more',
  'drop-field': 'a 200 whose items lack a field the collector reads (name, id, ARN)',
};

export interface FaultSpec {
  connector: string;
  /** The operation as the manifest names it, or `*` for every operation of the connector. */
  operation: string;
  kind: FaultKind;
  /** How often each distinct request meets the fault; undefined: always. */
  times?: number;
}

/** `connector:operation:kind[:times]`, e.g. `github:*:throttle:2` or `aws-iam:ListAccounts:empty-object`. */
export function parseFaultSpec(text: string): FaultSpec {
  const parts = text.split(':');
  const usage = `a fault is connector:operation:kind[:times] with kind one of ${FAULT_KINDS.join(', ')}`;
  if (parts.length < 3 || parts.length > 4 || parts.slice(0, 3).some((p) => p.length === 0)) {
    throw new Error(`"${text}" is not a fault: ${usage}`);
  }
  const [connector, operation, kind, times] = parts as [string, string, string, string | undefined];
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new Error(`"${text}": unknown fault kind "${kind}": ${usage}`);
  if (times !== undefined && !/^[1-9][0-9]*$/.test(times)) throw new Error(`"${text}": times must be a positive whole number`);
  return { connector, operation, kind: kind as FaultKind, ...(times ? { times: Number(times) } : {}) };
}

export function formatFaultSpec(spec: FaultSpec): string {
  return [spec.connector, spec.operation, spec.kind, ...(spec.times ? [String(spec.times)] : [])].join(':');
}

/**
 * Which request meets which fault. Counted per distinct request, so `times: 1` means every request fails once and
 * succeeds when retried, as a transient fault does. `key` names the request by its parameters and its position in
 * a listing (a cursor decoded to the place it points at), so a fresh cursor to the same place counts as the same.
 */
export class FaultPlan {
  private readonly seen = new Map<string, number>();
  private specs: FaultSpec[];

  constructor(
    readonly connector: string,
    specs: readonly FaultSpec[] = [],
  ) {
    this.specs = specs.filter((s) => s.connector === connector);
  }

  /** Replaces the faults in force (the fault-matrix test reuses one sandbox across its cases). */
  set(specs: readonly FaultSpec[]): void {
    this.specs = specs.filter((s) => s.connector === this.connector);
    this.seen.clear();
  }

  get active(): boolean {
    return this.specs.length > 0;
  }

  take(operation: string, key: string): FaultKind | undefined {
    for (const [index, spec] of this.specs.entries()) {
      if (spec.operation !== '*' && spec.operation !== operation) continue;
      if (spec.times === undefined) return spec.kind;
      const counter = `${index}\n${operation}\n${key}`;
      const count = this.seen.get(counter) ?? 0;
      if (count < spec.times) {
        this.seen.set(counter, count + 1);
        return spec.kind;
      }
    }
    return undefined;
  }
}

/** An HTTP answer before it is sent: what a sandbox computed, or its faulty replacement. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * How one protocol expresses each fault. The paging faults get the real answer and return the broken one, or
 * undefined when the answer has no paging to break (a single page, an operation that does not page): the
 * request then passes unharmed.
 */
export interface FaultDialect {
  throttle(): WireResponse;
  serverError(): WireResponse;
  /** The protocol's empty success: `{}` for JSON, an empty result element for XML. */
  emptyObject(response: WireResponse): WireResponse;
  repeatCursor(response: WireResponse): WireResponse | undefined;
  selfLink(response: WireResponse): WireResponse | undefined;
  /**
   * No items, and a fresh cursor that leads to the same position again: a client that follows it loses nothing,
   * one that meets it on every request is stuck.
   */
  emptyPageMore(response: WireResponse): WireResponse | undefined;
  dropField(response: WireResponse): WireResponse | undefined;
}

export type FaultOutcome = { action: 'respond'; response: WireResponse } | { action: 'reset' } | { action: 'hang' };

const CAPTIVE_PORTAL = '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action="/login">Sign in to continue</form></body></html>';

/** Turns a sandbox's real answer into the faulty one. `answer` is computed only when the fault needs it. */
export function applyFault(kind: FaultKind, dialect: FaultDialect, answer: () => WireResponse): FaultOutcome {
  const respond = (response: WireResponse): FaultOutcome => ({ action: 'respond', response });
  const broken = (change: (response: WireResponse) => WireResponse | undefined): FaultOutcome => {
    const real = answer();
    return respond(real.status < 300 ? (change(real) ?? real) : real);
  };
  switch (kind) {
    case 'throttle':
      return respond(dialect.throttle());
    case '5xx':
      return respond(dialect.serverError());
    case 'reset':
      return { action: 'reset' };
    case 'hang':
      return { action: 'hang' };
    case 'html':
      return respond({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: CAPTIVE_PORTAL });
    case 'empty-object':
      return broken((real) => dialect.emptyObject(real));
    case 'truncate':
      return broken((real) => ({ ...real, body: real.body.slice(0, Math.floor(real.body.length / 2)) }));
    case 'repeat-cursor':
      return broken((real) => dialect.repeatCursor(real));
    case 'self-link':
      return broken((real) => dialect.selfLink(real));
    case 'empty-page-more':
      return broken((real) => dialect.emptyPageMore(real));
    case 'drop-field':
      return broken((real) => dialect.dropField(real));
  }
}
