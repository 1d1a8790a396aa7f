import { diffStreamedPacks, diffToMarkdown, diffToText } from '../evidence/diff.js';
import { displayPath, streamedSide } from '../evidence/read-pack.js';
import { stableStringify } from '../stable-json.js';
import { EXIT } from '../sdk/index.js';
import { safeLines } from '../terminal.js';
import { openPackArgument, optionalConfig, trustedKeys, type GlobalOptions } from './context.js';

/** What changed between two packs (each verified first): identities, privilege, credentials, findings. */
export default async function diff(oldPack: string, newPack: string, options: { format: 'table' | 'json' | 'md'; publicKey: string[] }, globals: GlobalOptions): Promise<number> {
  const keys = await trustedKeys(options.publicKey, await optionalConfig(globals));
  const [before, after] = [await openPackArgument(oldPack, keys, []), await openPackArgument(newPack, keys, [])];
  const result = await diffStreamedPacks(streamedSide(before), streamedSide(after));
  // An incomplete pack misses part of its population: what looks removed or added may only be unread.
  const incomplete = [before, after].filter((p) => p.manifest.verdict === 'incomplete').map((p) => displayPath(p.dir));
  const warning = incomplete.map((p) => `WARNING: ${p} is an incomplete collection; identities missing from it may not have changed.\n`).join('');
  if (options.format === 'json') {
    process.stdout.write(`${stableStringify({ ...result, incomplete }, 2)}\n`);
  } else {
    process.stdout.write(safeLines(`${warning}${options.format === 'md' ? diffToMarkdown(result) : diffToText(result)}`));
  }
  return EXIT.ok;
}
