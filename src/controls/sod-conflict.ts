import { z } from 'zod';
import { type ControlMeta, defineControl, grantLabel, type Identity, judgeEach, matchesGlob, type SodSide, SodRuleSchema } from '../sdk/index.js';

const meta: ControlMeta = {
  id: 'sod-conflict',
  title: 'No non-human identity combines duties that must be segregated',
  severity: 'high',
  appliesTo: ['service-account', 'role', 'app', 'token', 'deploy-key', 'ci-secret', 'api-key'],
  rationale:
    'One credential that can both enter and approve a transaction (post journals and approve them, enter vendor ' +
    'invoices and pay them, deploy to the ERP and write its audit log) lets whoever holds it complete a fraud alone: ' +
    'segregation of duties is a SOX key control (COSO principle 10), and a machine identity bypasses it unseen.',
  remediation:
    'Split the duties over two identities with different owners, or remove one side\'s grants; where the combination ' +
    'is unavoidable, record a waiver with the compensating control (a detective review of every transaction).',
};

const Options = z
  .object({
    rules: z
      .array(SodRuleSchema)
      .default([])
      .describe('the duties one identity must not combine, besides the systems registry\'s segregationOfDuties'),
  })
  .strict();

/** What gives an identity one side of a rule: the grants whose name, reference or evidence match, and the systems it reaches. */
function holding(identity: Identity, side: SodSide): string[] {
  const patterns = side.entitlements ?? [];
  const grants = identity.privilege.grants.flatMap((grant) => {
    const hit = [grant.name, grant.ref ?? '', ...grant.evidence].find((value) => value && patterns.some((p) => matchesGlob(p, value)));
    return hit === undefined ? [] : [hit === grant.name || hit === grant.ref ? grantLabel(grant) : `${grantLabel(grant)}: ${hit}`];
  });
  const systems = (identity.systems ?? []).filter((s) => side.systems?.includes(s.name)).map((s) => `system ${s.name} (${s.reasons.join('; ')})`);
  return [...grants, ...systems];
}

export default defineControl({
  meta,
  options: Options,
  perIdentity: true,
  evaluate(identities, { options }) {
    if (options.rules.length === 0) return [];
    return judgeEach(identities, meta.appliesTo, (identity) => {
      const judged = options.rules.map((rule) => ({ rule: rule.name, sides: rule.sides.map((side) => ({ duty: side.name, through: holding(identity, side) })) }));
      const conflicts = judged.filter((j) => j.sides.every((side) => side.through.length > 0));
      if (conflicts.length > 0) {
        const described = conflicts.map(({ rule, sides }) => `${rule}: "${sides[0]!.duty}" through ${sides[0]!.through.join(', ')} and "${sides[1]!.duty}" through ${sides[1]!.through.join(', ')}`);
        return { identityId: identity.id, status: 'fail', message: `Combines segregated duties (${described.join('; ')})`, evidence: { conflicts } };
      }
      const held = judged.flatMap((j) => j.sides.filter((side) => side.through.length > 0).map((side) => `"${side.duty}" (${j.rule})`));
      return {
        identityId: identity.id,
        status: 'pass',
        message: held.length > 0 ? `Holds one side only: ${held.join(', ')}` : `Holds none of the duties of ${options.rules.length === 1 ? 'the rule' : `the ${options.rules.length} rules`}`,
        evidence: { held: judged.flatMap((j) => j.sides.filter((side) => side.through.length > 0).map((side) => ({ rule: j.rule, ...side }))) },
      };
    });
  },
});
