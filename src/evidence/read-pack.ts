import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  type Finding,
  FindingSchema,
  formatPath,
  type Identity,
  IdentitySchema,
  type SourceCompleteness,
  SourceCompletenessSchema,
  VerdictSchema,
  type Waiver,
  WaiverSchema,
} from '../sdk/index.js';
import type { ControlInForce, ResultSet } from '../writers/types.js';
import { ATTESTATION_FILE, MANIFEST_FILE, sha256 } from './seal.js';

/** The parts of manifest.json that commands read back. */
const ManifestSchema = z.looseObject({
  packFormat: z.number(),
  tool: z.looseObject({ name: z.string(), version: z.string() }),
  runId: z.string(),
  organization: z.string().nullable(),
  cycle: z.object({ id: z.string(), start: z.string(), end: z.string() }),
  asOf: z.string(),
  finishedAt: z.string(),
  verdict: VerdictSchema,
  sources: z.array(SourceCompletenessSchema),
  previous: z.object({ path: z.string(), runId: z.string(), cycle: z.string(), attestationDigest: z.string() }).nullable(),
  signing: z.object({ algorithm: z.string(), keyId: z.string() }),
});
export type PackManifest = z.infer<typeof ManifestSchema>;

const ControlInForceSchema = z.looseObject({
  id: z.string(),
  title: z.string(),
  severity: z.string(),
  appliesTo: z.array(z.string()),
  rationale: z.string(),
  remediation: z.string(),
  options: z.record(z.string(), z.unknown()),
  mappings: z.array(z.looseObject({ framework: z.string(), ids: z.array(z.string()) })),
});

export interface PackData {
  dir: string;
  manifest: PackManifest;
  identities: Identity[];
  findings: Finding[];
  controls: ControlInForce[];
  waivers: Waiver[];
  /** The effective configuration the run used. */
  config: Record<string, unknown>;
  /** sha256 of attestation.dsse.json: what the next pack in the chain names. */
  attestationDigest: string;
}

async function readJson<T>(dir: string, file: string, schema: z.ZodType<T>): Promise<T> {
  const full = path.join(dir, file);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(full, 'utf8'));
  } catch (error) {
    throw new ConfigError(full, [{ path: '', message: `cannot read it as JSON (${(error as Error).message}); is ${dir} a sealed pack?` }]);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ConfigError(full, parsed.error.issues.slice(0, 10).map((i) => ({ path: formatPath(i.path), message: i.message })));
  return parsed.data;
}

/** Reads a sealed pack's content back into typed values. It does not verify the pack: `verifyPack` does. */
export async function readPack(dir: string): Promise<PackData> {
  const manifest = await readJson(dir, MANIFEST_FILE, ManifestSchema);
  const { identities } = await readJson(dir, 'inventory.json', z.looseObject({ identities: z.array(IdentitySchema) }));
  const { findings } = await readJson(dir, 'findings.json', z.looseObject({ findings: z.array(FindingSchema) }));
  const { controls } = await readJson(dir, 'controls.json', z.object({ controls: z.array(ControlInForceSchema) }));
  const { waivers } = await readJson(dir, 'waivers.json', z.object({ waivers: z.array(WaiverSchema) }));
  const config = await readJson(dir, 'config.json', z.record(z.string(), z.unknown()));
  const attestation = await readFile(path.join(dir, ATTESTATION_FILE)).catch(() => {
    throw new ConfigError(path.join(dir, ATTESTATION_FILE), [{ path: '', message: 'missing: the pack is not sealed' }]);
  });
  return {
    dir,
    manifest,
    identities,
    findings,
    controls: controls as unknown as ControlInForce[],
    waivers,
    config,
    attestationDigest: sha256(attestation),
  };
}

/** The ResultSet a pack was rendered from, for re-rendering its reports. */
export function resultSetOf(pack: PackData, waiverUses: ResultSet['waivers']): ResultSet {
  const { manifest } = pack;
  return {
    tool: manifest.tool as ResultSet['tool'],
    ...(manifest.organization ? { organization: manifest.organization } : {}),
    asOf: manifest.asOf,
    cycle: manifest.cycle.id,
    controls: pack.controls,
    identities: pack.identities,
    findings: pack.findings,
    sources: manifest.sources as SourceCompleteness[],
    ...(waiverUses ? { waivers: waiverUses } : {}),
  };
}
