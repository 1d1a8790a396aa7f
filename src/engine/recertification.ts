import { z } from 'zod';
import { ConfigError, formatPath, type RecertCampaign, RecertCampaignSchema } from '../sdk/index.js';

/** The part of a recertification addendum's manifest a run reads: the campaign with its decisions. */
const AddendumManifestSchema = z.looseObject({ kind: z.literal('recertification-addendum'), campaign: RecertCampaignSchema });

/** The campaign of a recertification addendum's manifest.json, as the run sealed it under inputs/recertification/. */
export function parseCampaignRecord(file: string, text: string): RecertCampaign {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `not JSON (${(error as Error).message}); expected the manifest.json of a recertification addendum` }]);
  }
  const parsed = AddendumManifestSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.slice(0, 10).map((i) => ({ path: formatPath(i.path), message: i.message })));
  return parsed.data.campaign;
}
