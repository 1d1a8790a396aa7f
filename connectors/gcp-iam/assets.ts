import type { Located } from './client.js';
import type { ResourceSearchResult } from './rest.js';

/** What Cloud Asset Inventory says one project holds: account unique ids and emails, and which have keys. */
export interface AssetView {
  /** Each account's inventory record, by unique id. */
  accounts: Map<string, ResourceSearchResult>;
  emails: Set<string>;
  withKeys: Set<string>;
}

const ASSET_NAME = /^\/\/iam\.googleapis\.com\/projects\/([^/]+)\/serviceAccounts\/([^/]+)(\/keys\/[^/]+)?$/;

/** One inventory search's results, by project id. */
export function groupAssets(results: ReadonlyArray<Located<ResourceSearchResult>>): Map<string, AssetView> {
  const projects = new Map<string, AssetView>();
  for (const { item } of results) {
    const match = item.name?.match(ASSET_NAME);
    if (!match) continue;
    const [, projectId, account, key] = match;
    let view = projects.get(projectId!);
    if (!view) projects.set(projectId!, (view = { accounts: new Map(), emails: new Set(), withKeys: new Set() }));
    if (key) view.withKeys.add(account!);
    else {
      view.accounts.set(account!, item);
      if (item.additionalAttributes?.email) view.emails.add(item.additionalAttributes.email);
    }
  }
  return projects;
}
