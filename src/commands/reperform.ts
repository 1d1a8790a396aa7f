import type { Config } from '../config.js';
import { findingKey, ListComparison, reperformRun, type Comparison } from '../engine/reperform.js';
import { displayPath, forEachJsonItem, readEnrichment, readIdentitiesDigested, readSealedInputs, type PackData, type PackHead } from '../evidence/read-pack.js';
import { ExitError, EXIT, FindingSchema, type Finding } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { safeLines } from '../terminal.js';
import { findingLine } from '../writers/json.js';
import { controls } from '../controls/index.js';
import { openPackArgument, optionalConfig, trustedKeys, type GlobalOptions } from './context.js';

/** Re-performs a verified pack's join and evaluation; a pack sealed before inputs were kept cannot be. */
export async function reperformPack(pack: PackData<'identities'> & { identitiesDigest?: string }) {
  if (!pack.manifest.ipe) {
    throw new ExitError(EXIT.usage, `${displayPath(pack.dir)}: pack format ${pack.manifest.packFormat} keeps no inputs/, so its join cannot be re-performed; seal a new pack`);
  }
  const run = { asOf: pack.manifest.asOf, config: pack.config as unknown as Config, identities: pack.identities, ...(pack.identitiesDigest ? { identitiesDigest: pack.identitiesDigest } : {}) };
  return reperformRun(run, await readSealedInputs(pack), await readEnrichment(pack), { controls });
}

/** The re-performed findings against the pack's findings.json as it streams past: the sealed ones are never all held. */
async function compareSealedFindings(pack: PackHead, again: Iterable<Finding>): Promise<Comparison> {
  let comparison!: ListComparison<Finding>;
  await forEachJsonItem(pack.dir, 'findings.json', 'findings', FindingSchema, () => {
    comparison = new ListComparison(again, findingKey, (f) => findingLine(f, stableStringify(f.evidence)));
    return { item: (finding) => comparison.value(finding), line: (text, read) => comparison.text(text, read) };
  });
  return comparison.finish();
}

function differences(what: string, comparison: Comparison): string[] {
  return comparison.differing.slice(0, 50).map((key) => `  ${what} ${key}`);
}

/**
 * Re-runs the join with the sealed registries and the controls over a pack's own inventory, inputs and
 * configuration, as of its as-of instant, and compares the inventory and findings with the sealed ones byte for byte.
 */
export default async function reperform(packDir: string, options: { publicKey: string[] }, globals: GlobalOptions): Promise<number> {
  const head = await openPackArgument(packDir, await trustedKeys(options.publicKey, await optionalConfig(globals)), []);
  const { identities, digest } = await readIdentitiesDigested(head);
  const pack = { ...head, identities, identitiesDigest: digest };
  const reperformed = await reperformPack(pack);
  const result = { ...reperformed, findings: await compareSealedFindings(pack, reperformed.evaluation.findings) };
  const inputs = result.inputs
    .filter((i) => i.kind !== 'config')
    .map((i) => `${i.kind} ${i.rows ?? '?'} rows`)
    .join(', ');
  const version = `tool ${pack.manifest.tool.version} sealed it; re-performed with ${controls.length} controls of the running tool`;
  const same = result.inventory.differing.length === 0 && result.findings.differing.length === 0 && result.inventory.sealedDigest === result.inventory.againDigest && result.findings.sealedDigest === result.findings.againDigest;
  if (same) {
    process.stdout.write(
      safeLines(
        `IDENTICAL: ${result.findings.count} findings re-performed from ${result.inventory.count} identities match the pack byte for byte (findings sha256 ${result.findings.againDigest}; ${version})\n` +
          `  join repeated with the sealed inputs (${inputs || 'no registries'}): inventory sha256 ${result.inventory.againDigest}, identical\n`,
      ),
    );
    return EXIT.ok;
  }
  process.stdout.write(
    safeLines(
      `DIFFERENT: ${result.inventory.differing.length} identities and ${result.findings.differing.length} findings differ from the pack ` +
        `(inventory sealed sha256 ${result.inventory.sealedDigest}, re-performed ${result.inventory.againDigest}; ` +
        `findings sealed sha256 ${result.findings.sealedDigest}, re-performed ${result.findings.againDigest}; ${version})\n` +
        [...differences('identity', result.inventory), ...differences('finding', result.findings)].join('\n') +
        '\n',
    ),
  );
  return EXIT.controlFailures;
}
