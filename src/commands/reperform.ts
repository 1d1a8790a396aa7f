import { evaluate } from '../engine/evaluate.js';
import { activeControls } from '../engine/pipeline.js';
import type { Config } from '../config.js';
import { readPack } from '../evidence/read-pack.js';
import { sha256 } from '../evidence/seal.js';
import { stableStringify } from '../stable-json.js';
import { EXIT } from '../sdk/index.js';
import { registries, type GlobalOptions } from './context.js';

/**
 * Re-runs the controls over a pack's own inventory, configuration and waivers, as of its as-of instant, and
 * compares the findings with the sealed ones byte for byte.
 */
export default async function reperform(packDir: string, _options: unknown, _globals: GlobalOptions): Promise<number> {
  const pack = await readPack(packDir);
  const config = pack.config as unknown as Config;
  const controls = activeControls({ file: 'config.json', baseDir: packDir, config }, registries);
  const { findings } = evaluate(pack.identities, controls, {
    now: new Date(pack.manifest.asOf),
    waivers: pack.waivers,
    includeHumans: config.evaluate.includeHumans,
  });
  const sealed = stableStringify(pack.findings);
  const again = stableStringify(findings);
  const version = `tool ${pack.manifest.tool.version} sealed it; this is ${registries.controls.length} controls of the running tool`;
  if (sealed === again) {
    process.stdout.write(`IDENTICAL: ${findings.length} findings re-performed from ${pack.identities.length} identities match the pack byte for byte (sha256 ${sha256(again)}; ${version})\n`);
    return EXIT.ok;
  }
  const before = new Map(pack.findings.map((f) => [stableStringify([f.controlId, f.identityId, f.credentialId ?? '']), stableStringify(f)]));
  const after = new Map(findings.map((f) => [stableStringify([f.controlId, f.identityId, f.credentialId ?? '']), stableStringify(f)]));
  const differences = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
  process.stdout.write(
    `DIFFERENT: ${differences.length} findings differ (sealed sha256 ${sha256(sealed)}, re-performed ${sha256(again)}; ${version})\n` +
      differences.slice(0, 50).map((k) => `  ${JSON.parse(k).filter(Boolean).join(' ')}: sealed ${before.has(k) ? 'one way' : 'absent'}, now ${after.has(k) ? 'another' : 'absent'}`).join('\n') +
      '\n',
  );
  return EXIT.controlFailures;
}
