import { readPack } from '../evidence/read-pack.js';
import { selectSample, writeSampleAddendum } from '../evidence/sample.js';
import { ExitError, EXIT, FindingStatusSchema } from '../sdk/index.js';
import { loadConfigFor, signingKeyFor, type GlobalOptions } from './context.js';

interface SampleOptions {
  size?: string;
  seed: string;
  control?: string;
  status?: string;
}

/** A seeded, reproducible sample of a pack's findings, sealed as a signed addendum beside the pack. */
export default async function sample(packDir: string, options: SampleOptions, globals: GlobalOptions): Promise<number> {
  const loaded = await loadConfigFor(globals);
  const key = await signingKeyFor(loaded, process.env);
  const pack = await readPack(packDir);
  const { frequency, sizes } = loaded.config.sampling;
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
  const dir = await writeSampleAddendum(pack, selection, key, sizes);
  process.stdout.write(
    `Sample of ${selection.selected.length} from a population of ${selection.populationSize} (population sha256 ${selection.populationSha256}), seed ${selection.seed}:\n` +
      selection.selected.map((s) => `  ${s.controlId}  ${s.identityId}${s.credentialId ? ` [${s.credentialId}]` : ''}  ${s.status}`).join('\n') +
      `\nSigned addendum: ${dir}\n`,
  );
  return EXIT.ok;
}
