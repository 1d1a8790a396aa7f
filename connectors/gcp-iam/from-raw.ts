import type { cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import type { iam_v1 } from '@googleapis/iam';
import type { RawPage, RawPages } from '../../src/sdk/index.js';
import { groupAssets, type AssetView } from './assets.js';
import type { cloudresourcemanager_v1 } from '@googleapis/cloudresourcemanager';
import { accountResource, ancestorsOf, activityParent, OP, type ActivityType } from './client.js';
import type { AncestorPolicy, ProjectSnapshot } from './normalize.js';
import type { Activity, ResourceSearchResult } from './rest.js';
import { locate, pointer, type Located } from './transport.js';

/**
 * A paged listing's items, or undefined where the collector gave the listing up as failed: no page kept (its first
 * request failed) or a last kept page that still names a next one (a later request failed, or the page limit hit).
 */
function listing<T>(pages: readonly RawPage[], field: string): Array<Located<T>> | undefined {
  const last = pages.at(-1);
  if (!last || (last.body as { nextPageToken?: unknown }).nextPageToken) return undefined;
  return pages.flatMap((page) => locate(page.path, field, (page.body as Record<string, T[] | undefined>)[field]));
}

/** The inventory search, by project; undefined when it failed, as the collector then read no project through it. */
async function assetViews(raw: RawPages): Promise<Map<string, AssetView> | undefined> {
  // A source names one inventory scope at most.
  for (const scope of raw.scopes()) {
    const pages = await raw.pages(scope, OP.assets);
    if (pages.length === 0) continue;
    const results = listing<ResourceSearchResult>(pages, 'results');
    return results && groupAssets(results).projects;
  }
  return undefined;
}

/** What projects share, read once per run into whichever project scope was chosen for it: by resource or role name. */
interface Shared {
  policies: Map<string, Located<cloudresourcemanager_v3.Schema$Policy>>;
  roles: Map<string, Located<iam_v1.Schema$Role>>;
}

async function sharedReads(raw: RawPages): Promise<Shared> {
  const shared: Shared = { policies: new Map(), roles: new Map() };
  for (const scope of raw.scopes()) {
    for (const operation of [OP.folderPolicy, OP.organizationPolicy]) {
      for (const page of await raw.pages(scope, operation)) {
        shared.policies.set(String(page.parameters.resource), { item: page.body as cloudresourcemanager_v3.Schema$Policy, ref: pointer(page.path) });
      }
    }
    for (const operation of [OP.projectRole, OP.organizationRole]) {
      for (const page of await raw.pages(scope, operation)) {
        shared.roles.set(String(page.parameters.name), { item: page.body as iam_v1.Schema$Role, ref: pointer(page.path) });
      }
    }
  }
  return shared;
}

/** The project's ancestors with the policies kept for them; undefined when no ancestry was kept. */
async function ancestorsFromRaw(raw: RawPages, projectId: string, shared: Shared): Promise<AncestorPolicy[] | undefined> {
  const [page] = await raw.pages(projectId, OP.ancestry);
  if (!page) return undefined;
  return ancestorsOf(page.body as cloudresourcemanager_v1.Schema$GetAncestryResponse).map((resource) => {
    const policy = shared.policies.get(resource);
    return { resource, ...(policy ? { policy } : {}) };
  });
}

/** One project's snapshot as the collector assembled it, or undefined when its account listing failed. */
async function projectSnapshot(
  raw: RawPages,
  source: string,
  projectId: string,
  assets: ReadonlyMap<string, AssetView> | undefined,
  shared: Shared,
): Promise<ProjectSnapshot | undefined> {
  const accounts = listing<iam_v1.Schema$ServiceAccount>(await raw.pages(projectId, OP.serviceAccounts), 'accounts');
  if (!accounts) return undefined;

  const keyPages = new Map((await raw.pages(projectId, OP.keys)).map((page) => [page.parameters.name, page]));
  const keys = new Map<string, Array<Located<iam_v1.Schema$ServiceAccountKey>>>();
  for (const { item } of accounts) {
    // No page: the listing failed, or the inventory showed the account without keys; either way none is read.
    const page = item.email ? keyPages.get(accountResource(projectId, item.email)) : undefined;
    if (page) keys.set(item.email!, locate(page.path, 'keys', (page.body as iam_v1.Schema$ListServiceAccountKeysResponse).keys));
  }

  const [policy] = await raw.pages(projectId, OP.policy);
  const queries = await raw.pages(projectId, OP.activities);
  // Both activity types share one operation name, their pages interleaved: the parent tells them apart.
  const activities = (type: ActivityType): Activity[] | undefined =>
    listing<Activity>(queries.filter((page) => page.parameters.parent === activityParent(projectId, type)), 'activities')?.map((a) => a.item);

  const ancestors = await ancestorsFromRaw(raw, projectId, shared);
  return {
    source,
    projectId,
    accounts,
    keys,
    policy: policy && { item: policy.body as cloudresourcemanager_v3.Schema$Policy, ref: pointer(policy.path) },
    ...(ancestors ? { ancestors } : {}),
    // Every role kept: the normalizer looks up only those the project's policies bind.
    roles: shared.roles,
    accountActivities: activities('serviceAccountLastAuthentication'),
    keyActivities: activities('serviceAccountKeyLastAuthentication'),
    assets: assets?.get(projectId),
  };
}

/**
 * The project snapshots a pack's raw pages hold. A project's scope is its id, the name the collector recorded it
 * under; scopes without an account listing (an organization, a folder) hold discovery and inventory pages only.
 */
export async function snapshotsFromRaw(raw: RawPages, source: string): Promise<ProjectSnapshot[]> {
  const assets = await assetViews(raw);
  const shared = await sharedReads(raw);
  const snapshots: ProjectSnapshot[] = [];
  for (const scope of raw.scopes()) {
    const snapshot = await projectSnapshot(raw, source, scope, assets, shared);
    if (snapshot) snapshots.push(snapshot);
  }
  return snapshots;
}
