import type { KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InputFile } from '../engine/pipeline.js';
import { parseCampaignRecord } from '../engine/recertification.js';
import { ExitError, EXIT, type RecertCampaign } from '../sdk/index.js';
import { displayPath, type PackEntry } from './read-pack.js';
import { ATTESTATION_FILE, MANIFEST_FILE, sha256 } from './seal.js';
import { verifyPack } from './verify.js';

/**
 * The latest closed recertification campaign of an output folder: the addenda beside the newest pack that has any
 * (`<pack>.recert/<campaign id>/`), the last closed among them. Each is verified with the keys packs are read with
 * and must name the pack it sits beside; one that does not stops the run, since its decisions would judge controls.
 * The addendum's manifest becomes an input of the run, sealed under inputs/recertification/.
 */
export async function latestCampaignInput(packs: readonly PackEntry[], keys: readonly KeyObject[]): Promise<InputFile | undefined> {
  for (const pack of [...packs].reverse()) {
    const root = `${pack.dir}.recert`;
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    const found: { dir: string; bytes: Buffer; campaign: RecertCampaign }[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name.endsWith('.partial')) continue;
      const dir = path.join(root, entry.name);
      const verification = await verifyPack(dir, keys);
      const bytes = await readFile(path.join(dir, MANIFEST_FILE)).catch(() => Buffer.alloc(0));
      const named = (verification.manifest?.pack as { attestationDigest?: string } | undefined)?.attestationDigest;
      const packDigest = sha256(await readFile(path.join(pack.dir, ATTESTATION_FILE)));
      const problems = [
        ...verification.problems,
        ...(verification.ok && (verification.manifest?.kind !== 'recertification-addendum' || named !== packDigest) ? ['it is not a recertification addendum of the pack beside it'] : []),
      ];
      if (problems.length > 0) {
        throw new ExitError(
          EXIT.controlFailures,
          `${displayPath(dir)}: the recertification addendum does not verify, so its decisions cannot judge this run (pin its signing key in verification.publicKeys, or remove it):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
        );
      }
      found.push({ dir, bytes, campaign: parseCampaignRecord(path.join(dir, MANIFEST_FILE), bytes.toString('utf8')) });
    }
    found.sort((a, b) => (a.campaign.closedAt < b.campaign.closedAt ? -1 : a.campaign.closedAt > b.campaign.closedAt ? 1 : a.campaign.id < b.campaign.id ? -1 : 1));
    const latest = found.at(-1);
    if (latest) return { kind: 'recertification', originalPath: path.join(latest.dir, MANIFEST_FILE), bytes: latest.bytes, rows: latest.campaign.decisions.length };
  }
  return undefined;
}
