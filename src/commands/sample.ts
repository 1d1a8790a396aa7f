import { readFile } from 'node:fs/promises';
import { parsePrivateKey, type SigningKey } from '../evidence/keys.js';
import { readPack } from '../evidence/read-pack.js';
import { selectSample, writeSampleAddendum } from '../evidence/sample.js';
import { DEFAULT_SAMPLE_SIZES } from '../config.js';
import { ExitError, EXIT, FindingStatusSchema } from '../sdk/index.js';
import { loadConfigFor, signingKeyFor, type GlobalOptions } from './context.js';


interface SampleOptions {
  size?: string;
  seed: string;
  control?: string;
  status?: string;
  privateKey?: string;
}

/** The signing key and sampling table: from --private-key and the defaults, or from the config. */
async function settingsFor(options: SampleOptions, globals: GlobalOptions): Promise<{ key: SigningKey; frequency: string; sizes: Record<string, number> }> {
  if (options.privateKey) {
    const pem = await readFile(options.privateKey, 'utf8').catch(() => {
      throw new ExitError(EXIT.usage, `--private-key: cannot read ${options.privateKey}`);
    });
    try {
      return { key: parsePrivateKey(pem), frequency: 'quarterly', sizes: DEFAULT_SAMPLE_SIZES };
    } catch {
      throw new ExitError(EXIT.usage, `--private-key: ${options.privateKey} is not an Ed25519 private key in PEM form`);
    }
  }
  const loaded = await loadConfigFor(globals);
  return { key: await signingKeyFor(loaded, process.env), ...loaded.config.sampling };
}

/** A seeded, reproducible sample of a pack's findings, sealed as a signed addendum beside the pack. */
export default async function sample(packDir: string, options: SampleOptions, globals: GlobalOptions): Promise<number> {
  const { key, frequency, sizes } = await settingsFor(options, globals);
  if (options.seed.trim() === '') throw new ExitError(EXIT.usage, '--seed: give a seed; the selection depends on it');
  const pack = await readPack(packDir);
  const size = options.size === undefined ? sizes[frequency] : Number(options.size);
  if (size === undefined || !Number.isInteger(size) || size < 1) {
    throw new ExitError(EXIT.usage, `--size: "${options.size ?? ''}" is not a positive whole number (or set sampling.sizes.${frequency} in the config)`);
  }
  const status = options.status === undefined ? undefined : FindingStatusSchema.safeParse(options.status);
  if (status && !status.success) throw new ExitError(EXIT.usage, `--status: "${options.status}" is not one of ${FindingStatusSchema.options.join(', ')}`);
  if (options.control && !pack.controls.some((c) => c.id === options.control)) {
    throw new ExitError(EXIT.usage, `--control: "${options.control}" is not a control of this pack (${pack.controls.map((c) => c.id).join(', ')})`);
  }
  const selection = selectSample(pack.findings, {
    size,
    seed: options.seed,
    filter: { ...(options.control ? { controlId: options.control } : {}), ...(status?.success ? { status: status.data } : {}) },
  });
  const { dir, existed } = await writeSampleAddendum(pack, selection, key, sizes);
  process.stdout.write(
    `Sample of ${selection.selected.length} from a population of ${selection.populationSize} (population sha256 ${selection.populationSha256}), seed ${selection.seed}:\n` +
      selection.selected.map((s) => `  ${s.controlId}  ${s.identityId}${s.credentialId ? ` [${s.credentialId}]` : ''}  ${s.status}`).join('\n') +
      `\n${existed ? 'Drawn before, identical; the signed addendum is' : 'Signed addendum:'} ${dir}\n`,
  );
  return EXIT.ok;
}
