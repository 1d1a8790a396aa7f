import { generateSigningKey, KeyPairError, writeKeyPair } from '../evidence/keys.js';
import { ExitError, EXIT } from '../sdk/index.js';
import type { GlobalOptions } from './context.js';

export default async function keysGenerate(options: { out: string }, _globals: GlobalOptions): Promise<number> {
  const key = generateSigningKey();
  try {
    const { privateKeyFile, publicKeyFile } = await writeKeyPair(key, options.out);
    process.stdout.write(
      `Private key: ${privateKeyFile} (mode 0600; keep it secret, set signing.privateKeyFile to it)\n` +
        `Public key:  ${publicKeyFile} (give it to auditors for \`nhi-audit verify\` and openssl)\n` +
        `Key id:      ${key.keyId}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof KeyPairError) {
      throw new ExitError(EXIT.usage, `--out: ${error.message}; nothing was written. Choose another --out, or move the old pair away first (keep the public key of a key that signed packs)`);
    }
    throw error;
  }
}
