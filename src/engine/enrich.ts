import type { Identity } from '../sdk/index.js';
import { matchesGlob } from './glob.js';
import type { OwnerRow } from './inputs.js';

export interface EnrichInputs {
  ownerTagKeys: readonly string[];
  environmentTagKeys: readonly string[];
  /** Rows of the owners registry; the first row whose identity (id or glob) matches wins. */
  owners?: { file: string; rows: readonly OwnerRow[] };
}

function firstTag(tags: Record<string, string>, keys: readonly string[]): [string, string] | undefined {
  for (const key of keys) {
    const value = tags[key]?.trim();
    if (value) return [key, value];
  }
  return undefined;
}

/**
 * Joins registries and tag conventions onto identities. Pure: the same identities and inputs give the same
 * result. A tag on the identity itself wins over the registry, and an owner the connector found (a GitHub
 * `added_by`, a token's owner) is kept only when neither names one.
 */
export function enrich(identities: readonly Identity[], inputs: EnrichInputs): Identity[] {
  return identities.map((identity) => {
    const enriched: Identity = { ...identity };
    const ownerTag = firstTag(identity.tags, inputs.ownerTagKeys);
    const registryRow = inputs.owners?.rows.find((row) => matchesGlob(row.identity, identity.id));
    if (ownerTag) {
      enriched.owner = { id: ownerTag[1], source: `tag:${ownerTag[0]}`, status: identity.owner?.status ?? 'unknown' };
    } else if (registryRow && inputs.owners) {
      enriched.owner = { id: registryRow.owner, source: `registry:${inputs.owners.file}`, status: 'unknown' };
    }
    const environmentTag = firstTag(identity.tags, inputs.environmentTagKeys);
    if (environmentTag && !identity.environment) enriched.environment = environmentTag[1];
    return enriched;
  });
}
