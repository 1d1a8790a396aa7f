import { readPublicKey } from '../evidence/keys.js';
import { verifyPack } from '../evidence/verify.js';
import { ExitError, EXIT } from '../sdk/index.js';
import type { GlobalOptions } from './context.js';

export default async function verify(pack: string, options: { publicKey: string }, _globals: GlobalOptions): Promise<number> {
  const publicKey = await readPublicKey(options.publicKey).catch((error: Error) => {
    throw new ExitError(EXIT.usage, `--public-key: ${error.message}`);
  });
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
