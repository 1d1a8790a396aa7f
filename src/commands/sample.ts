import { readFile } from 'node:fs/promises';
import { DEFAULT_SAMPLE_SIZES, type LoadedConfig } from '../config.js';
import { parsePrivateKey, type SigningKey } from '../evidence/keys.js';
import { displayPath, forEachJsonItem } from '../evidence/read-pack.js';
import { Sampler, writeSampleAddendum } from '../evidence/sample.js';
import { ExitError, EXIT, FindingSchema, FindingStatusSchema } from '../sdk/index.js';
import { safeText } from '../terminal.js';
import { openPackArgument, optionalConfig, signingKeyFor, trustedKeys, type GlobalOptions } from './context.js';

interface SampleOptions {
  size?: string;
  seed: string;
  control?: string;
  status?: string;
  privateKey?: string;
  /** false with --no-seal: print the selection, write nothing. */
  seal: boolean;
  publicKey: string[];
}

const NO_KEY =
  'sample: a sample is sealed as a signed addendum beside the pack, and no signing key is set. Give --private-key FILE ' +
  '(an Ed25519 private key in PEM, such as one from `nhi-audit keys generate`), or --no-seal to print the selection without writing an addendum';

/** An addendum's signing key: --private-key, else the config's signing key; `noKey` says what to do without either. */
export async function signingKey(options: { privateKey?: string }, loaded: LoadedConfig | undefined, noKey: string): Promise<SigningKey> {
  if (options.privateKey) {
    const pem = await readFile(options.privateKey, 'utf8').catch(() => {
      throw new ExitError(EXIT.usage, `--private-key: cannot read ${options.privateKey}`);
    });
    try {
      return parsePrivateKey(pem);
    } catch {
      throw new ExitError(EXIT.usage, `--private-key: ${options.privateKey} is not an Ed25519 private key in PEM form`);
    }
  }
  if (!loaded?.config.signing) throw new ExitError(EXIT.usage, noKey);
  return signingKeyFor(loaded, process.env);
}

/** A seeded, reproducible sample of a pack's findings, sealed as a signed addendum beside the pack. */
export default async function sample(packDir: string, options: SampleOptions, globals: GlobalOptions): Promise<number> {
  if (options.seed.trim() === '') throw new ExitError(EXIT.usage, '--seed: give a seed; the selection depends on it');
  const loaded = await optionalConfig(globals);
  const { frequency, sizes } = loaded?.config.sampling ?? { frequency: 'quarterly', sizes: DEFAULT_SAMPLE_SIZES };
  const size = options.size === undefined ? sizes[frequency] : Number(options.size);
  if (size === undefined || !Number.isInteger(size) || size < 1) {
    throw new ExitError(EXIT.usage, `--size: "${options.size ?? ''}" is not a positive whole number (or set sampling.sizes.${frequency} in the config)`);
  }
  const status = options.status === undefined ? undefined : FindingStatusSchema.safeParse(options.status);
  if (status && !status.success) throw new ExitError(EXIT.usage, `--status: "${options.status}" is not one of ${FindingStatusSchema.options.join(', ')}`);
  const key = options.seal ? await signingKey(options, loaded, NO_KEY) : undefined;
  const pack = await openPackArgument(packDir, await trustedKeys(options.publicKey, loaded), []);
  if (options.control && !pack.controls.some((c) => c.id === options.control)) {
    throw new ExitError(EXIT.usage, `--control: "${options.control}" is not a control of this pack (${pack.controls.map((c) => c.id).join(', ')})`);
  }
  const filter = { ...(options.control ? { controlId: options.control } : {}), ...(status?.success ? { status: status.data } : {}) };
  let sampler!: Sampler;
  await forEachJsonItem(pack.dir, 'findings.json', 'findings', FindingSchema, () => {
    sampler = new Sampler({ size, seed: options.seed, filter });
    return { item: (finding) => sampler.add(finding) };
  });
  const selection = sampler.selection();
  const listing =
    `Sample of ${selection.selected.length} from a population of ${selection.populationSize} (population sha256 ${selection.populationSha256}), seed ${safeText(selection.seed)}:\n` +
    selection.selected.map((s) => `  ${safeText(s.controlId)}  ${safeText(s.identityId)}${s.credentialId ? ` [${safeText(s.credentialId)}]` : ''}  ${s.status}`).join('\n');
  if (!key) {
    process.stdout.write(`${listing}\nNot sealed (--no-seal): no addendum written.\n`);
    return EXIT.ok;
  }
  const { dir, existed } = await writeSampleAddendum(pack, selection, key, sizes);
  process.stdout.write(`${listing}\n${existed ? 'Drawn before, identical; the signed addendum is' : 'Signed addendum:'} ${safeText(displayPath(dir))}\n`);
  return EXIT.ok;
}
