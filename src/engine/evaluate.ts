import type { Control, Finding, Identity, Severity, Waiver } from '../sdk/index.js';
import { compareIds } from './collect.js';
import { matchesGlob } from './glob.js';

/** A control as configured for a run: enabled, with its severity and parsed options. */
export interface ActiveControl {
  control: Control;
  severity: Severity;
  options: unknown;
}

export interface WaiverUse {
  waiver: Waiver;
  /** applied: it excepted at least one failure; expired: it matched failures after its expiry; unused: it matched none. */
  state: 'applied' | 'expired' | 'unused';
  findings: number;
}

export interface Evaluation {
  findings: Finding[];
  waivers: WaiverUse[];
  /** Identities left out of evaluation, by reason: the population exclusions an auditor asks about. */
  excluded: { reason: string; identities: number }[];
  evaluated: number;
}

export interface EvaluateOptions {
  now: Date;
  waivers: readonly Waiver[];
  includeHumans: boolean;
}

/** The instant a waiver stops applying: the end of its `expires` day (UTC), or the instant it names. */
export function waiverEnd(waiver: Waiver): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(waiver.expires) ? Date.parse(`${waiver.expires}T00:00:00Z`) + 86_400_000 : Date.parse(waiver.expires);
}

export function compareFindings(a: Finding, b: Finding): number {
  return compareIds(a.controlId, b.controlId) || compareIds(a.identityId, b.identityId) || compareIds(a.credentialId ?? '', b.credentialId ?? '');
}

/**
 * Runs every control in force over the identities in scope and applies waivers. Deterministic: findings are
 * sorted, and `now` is the only time used.
 */
export function evaluate(identities: readonly Identity[], controls: readonly ActiveControl[], options: EvaluateOptions): Evaluation {
  const inScope = options.includeHumans ? identities : identities.filter((i) => i.classification.value !== 'human');
  const humans = identities.length - inScope.length;
  const uses = options.waivers.map((waiver) => ({ waiver, applied: 0, expired: 0 }));
  const now = options.now.getTime();

  const findings: Finding[] = [];
  for (const { control, severity, options: controlOptions } of controls) {
    for (const result of control.evaluate(inScope, { options: controlOptions, now: options.now })) {
      const finding: Finding = {
        controlId: control.meta.id,
        identityId: result.identityId,
        ...(result.credentialId !== undefined ? { credentialId: result.credentialId } : {}),
        status: result.status,
        severity,
        message: result.message,
        evidence: result.evidence,
      };
      if (finding.status === 'fail') {
        const matching = uses.filter((u) => u.waiver.control === finding.controlId && matchesGlob(u.waiver.identity, finding.identityId));
        const valid = matching.find((u) => now < waiverEnd(u.waiver));
        if (valid) {
          valid.applied += 1;
          finding.status = 'excepted';
          finding.waiver = valid.waiver;
        } else if (matching.length > 0) {
          for (const u of matching) u.expired += 1;
          finding.message += ` (waiver ${matching[0]!.waiver.ticket} expired ${matching[0]!.waiver.expires})`;
        }
      }
      findings.push(finding);
    }
  }
  findings.sort(compareFindings);
  return {
    findings,
    waivers: uses.map(({ waiver, applied, expired }) => ({
      waiver,
      state: applied > 0 ? 'applied' : expired > 0 ? 'expired' : 'unused',
      findings: applied + expired,
    })),
    excluded: humans > 0 ? [{ reason: 'classified as a person (evaluate.includeHumans is off)', identities: humans }] : [],
    evaluated: inScope.length,
  };
}
