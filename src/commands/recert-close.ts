import { readWorksheet, validateWorksheets, writeRecertAddendum } from '../evidence/recert-close.js';
import { displayPath } from '../evidence/read-pack.js';
import { EXIT } from '../sdk/index.js';
import { safeText } from '../terminal.js';
import { openPackArgument, optionalConfig, resolveAsOf, trustedKeys, type GlobalOptions } from './context.js';
import { signingKey } from './sample.js';

const NO_KEY =
  'recert close: the decisions are sealed as a signed addendum beside the pack, and no signing key is set. Give ' +
  '--private-key FILE (an Ed25519 private key in PEM, such as one from `nhi-audit keys generate`)';

interface CloseOptions {
  privateKey?: string;
  publicKey: string[];
}

/** Validates a campaign's filled worksheets and seals the decisions as a signed addendum beside the pack. */
export default async function recertClose(packDir: string, files: string[], options: CloseOptions, globals: GlobalOptions): Promise<number> {
  const loaded = await optionalConfig(globals);
  const today = resolveAsOf(globals).toISOString().slice(0, 10);
  const key = await signingKey(options, loaded, NO_KEY);
  const pack = await openPackArgument(packDir, await trustedKeys(options.publicKey, loaded));
  const worksheets = [];
  for (const file of files) worksheets.push(await readWorksheet(file));
  const campaign = await validateWorksheets(pack, worksheets, { today, graceDays: loaded?.config.recertification.graceDays ?? 30 });
  const { dir, existed } = await writeRecertAddendum(pack, campaign, worksheets, key);
  const count = (d: string) => campaign.decisions.filter((x) => x.decision === d).length;
  process.stdout.write(
    `Campaign ${campaign.id}: ${campaign.decisions.length} decisions (keep ${count('keep')}, revoke ${count('revoke')}, modify ${count('modify')}) from ${worksheets.length} worksheets\n` +
      `${existed ? 'Closed before with the same decisions; the signed addendum is' : 'Signed addendum:'} ${safeText(displayPath(dir))}\n`,
  );
  return EXIT.ok;
}
