import { diffPacks, diffToMarkdown, diffToText, type PackSide } from '../evidence/diff.js';
import { readPack, type PackData } from '../evidence/read-pack.js';
import { stableStringify } from '../stable-json.js';
import { EXIT } from '../sdk/index.js';
import type { GlobalOptions } from './context.js';

function side(pack: PackData): PackSide {
  return { runId: pack.manifest.runId, cycle: pack.manifest.cycle.id, asOf: pack.manifest.asOf, identities: pack.identities, findings: pack.findings };
}

/** What changed between two packs: identities, privilege, credentials, findings. */
export default async function diff(oldPack: string, newPack: string, options: { format: 'table' | 'json' | 'md' }, _globals: GlobalOptions): Promise<number> {
  const result = diffPacks(side(await readPack(oldPack)), side(await readPack(newPack)));
  const text = options.format === 'json' ? `${stableStringify(result, 2)}\n` : options.format === 'md' ? diffToMarkdown(result) : diffToText(result);
  process.stdout.write(text);
  return EXIT.ok;
}
