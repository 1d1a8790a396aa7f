import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ExitError, EXIT, formatPath } from '../sdk/index.js';
import { keyIdOf, type SigningKey } from './keys.js';
import { IN_TOTO_STATEMENT, serializeEnvelope, sha256, signEnvelope } from './seal.js';
import { openEnvelope } from './verify.js';

export const PLAN_PREDICATE_TYPE = 'https://github.com/nhi-audit/nhi-audit/collection-plan/v1';

const PlannedSourceSchema = z
  .object({
    source: z.string(),
    connector: z.string(),
    /** The scopes shards read one by one, in a stable order; null: the source is read whole by one shard. */
    scopes: z.array(z.string()).nullable(),
    /** Scopes every shard holding one of `scopes` reads again (AWS's organization). */
    shared: z.array(z.string()),
  })
  .strict();
export type PlannedSource = z.infer<typeof PlannedSourceSchema>;

export const PlanSchema = z
  .object({
    kind: z.literal('collection-plan'),
    tool: z.object({ name: z.string(), version: z.string() }).strict(),
    /** sha256 of the effective configuration, as a pack's manifest states it: shards and the merge must use the same. */
    configDigest: z.string().regex(/^[0-9a-f]{64}$/),
    asOf: z.string(),
    cycle: z.object({ id: z.string(), start: z.string(), end: z.string() }).strict(),
    createdAt: z.string(),
    operator: z.object({ user: z.string(), host: z.string(), ci: z.looseObject({ provider: z.string() }).nullable() }).strict(),
    signing: z.object({ algorithm: z.literal('Ed25519'), keyId: z.string() }).strict(),
    /** By source name. */
    sources: z.array(PlannedSourceSchema),
  })
  .strict();
export type Plan = z.infer<typeof PlanSchema>;

/** The plan as written: an in-toto statement over the configuration's digest, in a DSSE envelope signed like a pack. */
export function signPlan(plan: Plan, key: SigningKey): string {
  const statement = {
    _type: IN_TOTO_STATEMENT,
    subject: [{ name: 'config.json', digest: { sha256: plan.configDigest } }],
    predicateType: PLAN_PREDICATE_TYPE,
    predicate: plan,
  };
  return serializeEnvelope(signEnvelope(statement, key));
}

export interface OpenedPlan {
  plan: Plan;
  /** sha256 of the plan file's bytes: what every part names. */
  digest: string;
}

/**
 * Reads a plan and checks its envelope and signature against the trusted keys. A plan that does not verify is an
 * input error naming the file and the fix.
 */
export async function openPlan(file: string, keys: readonly KeyObject[]): Promise<OpenedPlan> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new ExitError(EXIT.usage, `${file}: cannot read the plan (${error.code ?? error.message}); make one with \`nhi-audit plan --out ${file}\``);
  });
  const refuse = (problems: string[]) =>
    new ExitError(EXIT.usage, `${file}: not a valid signed plan:\n${problems.map((p) => `  ${p}`).join('\n')}\nMake a new one with \`nhi-audit plan\`.`);
  const problems: string[] = [];
  const statement = openEnvelope(bytes, undefined, undefined, file, problems);
  if (!statement || problems.length > 0) throw refuse(problems);
  if (statement.predicateType !== PLAN_PREDICATE_TYPE) throw refuse([`${file}: predicateType is not ${PLAN_PREDICATE_TYPE}`]);
  const parsed = PlanSchema.safeParse(statement.predicate);
  if (!parsed.success) throw refuse(parsed.error.issues.slice(0, 10).map((i) => `${file}: predicate.${formatPath(i.path)}: ${i.message}`));
  const plan = parsed.data;
  const key = keys.find((k) => keyIdOf(k) === plan.signing.keyId);
  if (!key) {
    throw new ExitError(
      EXIT.usage,
      `${file}: signing.keyId: signed by key ${plan.signing.keyId}, which is neither the config's signing key nor one it pins (verification.publicKeys); use the config the plan was made with`,
    );
  }
  openEnvelope(bytes, key, plan.signing.keyId, file, problems);
  if (problems.length > 0) throw refuse(problems);
  return { plan, digest: sha256(bytes) };
}
