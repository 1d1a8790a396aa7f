import type { iam_v1 } from '@googleapis/iam';
import { ASSET_TYPES } from './client.js';
import type { ResourceSearchResult } from './rest.js';
import type { Located } from './transport.js';

/** What Cloud Asset Inventory says one project holds: its accounts and how many keys each has. */
export interface AssetView {
  /** Each account's inventory record, by unique id. */
  accounts: Map<string, ResourceSearchResult>;
  emails: Set<string>;
  /** Keys by the account their name gives (a unique id, or an email), of every key type. */
  keys: Map<string, number>;
}

/** One inventory search: a view per project id, and the numbers (`projects/NUMBER`) of the active projects it found. */
export interface AssetInventory {
  projects: Map<string, AssetView>;
  activeProjects: Set<string>;
}

const ASSET_NAME = /^\/\/iam\.googleapis\.com\/projects\/([^/]+)\/serviceAccounts\/([^/]+)(\/keys\/[^/]+)?$/;

export const emptyView = (): AssetView => ({ accounts: new Map(), emails: new Set(), keys: new Map() });

export function groupAssets(results: ReadonlyArray<Located<ResourceSearchResult>>): AssetInventory {
  const inventory: AssetInventory = { projects: new Map(), activeProjects: new Set() };
  for (const { item } of results) {
    if (item.assetType === ASSET_TYPES.project) {
      if (item.project && (!item.state || item.state === 'ACTIVE')) inventory.activeProjects.add(item.project);
      continue;
    }
    const match = item.name?.match(ASSET_NAME);
    if (!match) continue;
    const [, projectId, account, key] = match;
    let view = inventory.projects.get(projectId!);
    if (!view) inventory.projects.set(projectId!, (view = emptyView()));
    if (key) view.keys.set(account!, (view.keys.get(account!) ?? 0) + 1);
    else {
      view.accounts.set(account!, item);
      if (item.additionalAttributes?.email) view.emails.add(item.additionalAttributes.email);
    }
  }
  return inventory;
}

/** Keys the inventory holds for an account, or undefined when it does not know the account (yet). */
export function inventoryKeyCount(view: AssetView, account: iam_v1.Schema$ServiceAccount): number | undefined {
  const refs = [account.uniqueId, account.email].filter((r): r is string => Boolean(r));
  if (!refs.some((r) => view.accounts.has(r) || view.emails.has(r))) return undefined;
  return refs.reduce((sum, r) => sum + (view.keys.get(r) ?? 0), 0);
}
