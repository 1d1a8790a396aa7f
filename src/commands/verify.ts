import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { verifyChain } from '../evidence/chain.js';
import { displayPath } from '../evidence/read-pack.js';
import { ATTESTATION_FILE, sha256 } from '../evidence/seal.js';
import { verifyPack, type Verification } from '../evidence/verify.js';
import { ExitError, EXIT, type RecertCampaign } from '../sdk/index.js';
import { safeLines } from '../terminal.js';
import { optionalConfig, shortKeyId, trustedKeys, type GlobalOptions } from './context.js';

interface VerifyOptions {
  publicKey: string[];
  chain?: string;
  expectHead?: string;
}

function say(text: string): void {
  process.stdout.write(safeLines(text));
}

/** `sha256:<hex>` or bare hex, as an auditor copies it from a previous verify. */
function normalizeDigest(digest: string): string {
  return digest.trim().toLowerCase().replace(/^sha256:/, '');
}

async function verifyWholeChain(root: string, keys: KeyObject[], expectHead: string | undefined): Promise<number> {
  const result = await verifyChain(root, keys);
  for (const pack of result.packs) say(`${pack.ok ? 'ok  ' : 'FAIL'}  ${pack.cycle}  ${pack.runId}  finished ${pack.finishedAt}  key ${shortKeyId(pack.keyId)}\n`);
  for (const change of result.keyChanges) say(`Key changed at ${change.at}: ${shortKeyId(change.from)} → ${shortKeyId(change.to)}\n`);
  if (result.head) say(`Head: sha256:${result.head.attestationDigest} (${result.head.relative}, its attestation digest)\n`);
  const problems = [...result.problems];
  if (expectHead !== undefined && normalizeDigest(expectHead) !== result.head?.attestationDigest) {
    problems.push(`the chain ends at ${result.head ? `sha256:${result.head.attestationDigest}` : 'no pack'}, not at the expected head sha256:${normalizeDigest(expectHead)} (a pack after it was removed, or it is not this chain)`);
  }
  if (problems.length > 0) {
    say(`FAILED: the chain under ${root} does not verify\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return EXIT.controlFailures;
  }
  say(`OK: ${result.packs.length} packs under ${root} verify, each linked to the one before it${expectHead ? ', ending at the expected head' : ''}\n`);
  return EXIT.ok;
}

/** An addendum sits beside its pack as <pack><suffix>/<id>/: when the pack is there, it must be the one named. */
async function besideItsPack(dir: string, suffix: string, attestationDigest: string): Promise<string[]> {
  const packDir = path.dirname(dir).endsWith(suffix) ? path.dirname(dir).slice(0, -suffix.length) : undefined;
  const attestation = packDir ? await readFile(path.join(packDir, ATTESTATION_FILE)).catch(() => undefined) : undefined;
  if (!attestation) return [];
  if (sha256(attestation) !== attestationDigest) throw new Error(`the pack beside it (${displayPath(packDir!)}) is not the pack it names`);
  return [`    the pack beside it, ${displayPath(packDir!)}, is that pack`];
}

/** What a verified pack or addendum says of itself, from its own manifest. */
async function describe(dir: string, result: Verification): Promise<string> {
  const manifest = result.manifest as Record<string, any>;
  if (manifest.kind === 'recertification-addendum') {
    const { pack, campaign } = manifest as { pack: { runId: string; cycle: string; asOf: string; attestationDigest: string }; campaign: RecertCampaign };
    const count = (d: string) => campaign.decisions.filter((x) => x.decision === d).length;
    return [
      `    recertification addendum ${campaign.id}: ${campaign.decisions.length} decisions (keep ${count('keep')}, revoke ${count('revoke')}, modify ${count('modify')}), opened ${campaign.openedAt}, closed ${campaign.closedAt}`,
      `    on pack run ${pack.runId}, cycle ${pack.cycle}, as of ${pack.asOf}, attestation sha256:${pack.attestationDigest}`,
      ...(await besideItsPack(dir, '.recert', pack.attestationDigest)),
    ].join('\n');
  }
  if (manifest.kind === 'sample-addendum') {
    const { pack, sample } = manifest as { pack: { runId: string; cycle: string; asOf: string; attestationDigest: string }; sample: { seed: string; selected: unknown[]; populationSize: number; populationSha256: string; filter: { controlId?: string; status?: string } } };
    const lines = [
      `    sample addendum ${path.basename(dir)}: ${sample.selected.length} of ${sample.populationSize} findings (control ${sample.filter.controlId ?? 'any'}, status ${sample.filter.status ?? 'any'}), seed ${sample.seed}`,
      `    population sha256 ${sample.populationSha256}`,
      `    drawn from pack run ${pack.runId}, cycle ${pack.cycle}, as of ${pack.asOf}, attestation sha256:${pack.attestationDigest}`,
    ];
    lines.push(...(await besideItsPack(dir, '.samples', pack.attestationDigest)));
    return lines.join('\n');
  }
  const inputs = (manifest.ipe?.inputs ?? []) as { kind: string; path: string; rows: number | null }[];
  return [
    `    run ${manifest.runId}, cycle ${manifest.cycle?.id}, as of ${manifest.asOf}, collection ${manifest.verdict}${manifest.backfill ? ', a backfill' : ''}`,
    `    sealed inputs: ${inputs.length === 0 ? 'none' : inputs.map((i) => `${i.path}${i.rows === null ? '' : ` (${i.rows} rows)`}`).join(', ')}`,
    `    attestation sha256:${result.attestationDigest}`,
  ].join('\n');
}

export default async function verify(pack: string | undefined, options: VerifyOptions, globals: GlobalOptions): Promise<number> {
  const keys = await trustedKeys(options.publicKey, await optionalConfig(globals));
  if (keys.length === 0) throw new ExitError(EXIT.usage, 'verify: give the public key packs are signed with: --public-key FILE (repeat it for keys used before a rotation)');
  if (options.chain) return verifyWholeChain(options.chain, keys, options.expectHead);
  if (!pack) throw new ExitError(EXIT.usage, 'verify: name a pack folder, or a folder of packs with --chain');
  const dir = path.resolve(pack);
  const result = await verifyPack(dir, keys);
  let description = '';
  if (result.ok) {
    try {
      description = await describe(dir, result);
    } catch (error) {
      result.problems.push((error as Error).message);
      result.ok = false;
    }
  }
  if (!result.ok) {
    say(`FAILED: ${displayPath(dir)} does not verify\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return EXIT.controlFailures;
  }
  say(`OK: ${displayPath(dir)} verifies: ${result.files} files, every digest matches, signed by key ${result.keyId}\n${description}\n`);
  return EXIT.ok;
}

