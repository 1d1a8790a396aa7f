import { readPublicKey } from '../evidence/keys.js';
import { verifyChain } from '../evidence/chain.js';
import { verifyPack } from '../evidence/verify.js';
import { ExitError, EXIT } from '../sdk/index.js';
import type { GlobalOptions } from './context.js';

async function verifyWholeChain(root: string, publicKey: Awaited<ReturnType<typeof readPublicKey>>): Promise<number> {
  const result = await verifyChain(root, publicKey);
  for (const pack of result.packs) process.stdout.write(`${pack.ok ? 'ok  ' : 'FAIL'}  ${pack.cycle}  ${pack.runId}  finished ${pack.finishedAt}\n`);
  if (!result.ok) {
    process.stdout.write(`FAILED: the chain under ${root} does not verify\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return EXIT.controlFailures;
  }
  process.stdout.write(`OK: ${result.packs.length} packs under ${root} verify, each linked to the one before it\n`);
  return EXIT.ok;
}

export default async function verify(pack: string | undefined, options: { publicKey: string; chain?: string }, _globals: GlobalOptions): Promise<number> {
  const publicKey = await readPublicKey(options.publicKey).catch((error: Error) => {
    throw new ExitError(EXIT.usage, `--public-key: ${error.message}`);
  });
  if (options.chain) return verifyWholeChain(options.chain, publicKey);
  if (!pack) throw new ExitError(EXIT.usage, 'verify: name a pack folder, or a folder of packs with --chain');
  const result = await verifyPack(pack, publicKey);
  if (!result.ok) {
    process.stdout.write(`FAILED: ${pack} does not verify\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return EXIT.controlFailures;
  }
  const manifest = result.manifest as { runId?: string; cycle?: { id?: string }; verdict?: string } | undefined;
  process.stdout.write(
    `OK: ${pack} verifies: ${result.files} files, every digest matches, signed by key ${result.keyId}\n` +
      `    run ${manifest?.runId}, cycle ${manifest?.cycle?.id}, collection ${manifest?.verdict}\n`,
  );
  return EXIT.ok;
}
