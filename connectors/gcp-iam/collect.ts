import type { iam_v1 } from '@googleapis/iam';
import pLimit from 'p-limit';
import type { CollectContext, Identity, ScopeRecorder } from '../../src/sdk/index.js';
import { groupAssets, type AssetView } from './assets.js';
import { GcpApiError, OP, type ActivityType, type GcpClient, type Located } from './client.js';
import { normalizeProject } from './normalize.js';
import type { Activity } from './rest.js';

const HINTS: Record<string, string> = {
  [OP.serviceAccounts]: 'the collector needs iam.serviceAccounts.list on the project (roles/iam.securityReviewer)',
  [OP.keys]: 'the collector needs iam.serviceAccountKeys.list on the project (roles/iam.securityReviewer)',
  [OP.policy]: 'the collector needs resourcemanager.projects.getIamPolicy (roles/iam.securityReviewer)',
  [OP.projects]: 'the collector needs resourcemanager.projects.list on the parent (roles/browser)',
  [OP.folders]: 'the collector needs resourcemanager.folders.list on the parent (roles/browser)',
  [OP.activities]:
    'last use stays unknown: enable the Policy Analyzer API and grant roles/policyanalyzer.activityAnalysisViewer on the project',
  [OP.assets]: 'the collector needs cloudasset.assets.searchAllResources on the scope (roles/cloudasset.viewer)',
};

function record(recorder: ScopeRecorder, operation: string, error: unknown, recovered = false): void {
  const denied = error instanceof GcpApiError && (error.code === 'PERMISSION_DENIED' || error.reason === 'SERVICE_DISABLED');
  const hint = denied ? HINTS[operation] : undefined;
  recorder.error(operation, error, { ...(hint ? { hint } : {}), recovered });
}

export class GcpCollector {
  constructor(
    private readonly client: GcpClient,
    private readonly context: CollectContext,
  ) {}

  private scope(name: string): ScopeRecorder {
    const recorder = this.context.scope(name);
    if (this.client.principal) recorder.collector(this.client.principal);
    return recorder;
  }

  /** Every active project under a folder or organization, through its subfolders. */
  private async discover(root: string): Promise<string[]> {
    const recorder = this.scope(root);
    const found: string[] = [];
    const pending = [root];
    while (pending.length > 0) {
      const parent = pending.shift()!;
      try {
        const projects = await this.client.listProjects(recorder, parent);
        found.push(...projects.filter(({ item }) => !item.state || item.state === 'ACTIVE').flatMap(({ item }) => (item.projectId ? [item.projectId] : [])));
      } catch (error) {
        record(recorder, OP.projects, error);
      }
      try {
        const folders = await this.client.listFolders(recorder, parent);
        pending.push(...folders.filter(({ item }) => !item.state || item.state === 'ACTIVE').flatMap(({ item }) => (item.name ? [item.name] : [])));
      } catch (error) {
        record(recorder, OP.folders, error);
      }
    }
    return found;
  }

  private async assetInventory(scope: string): Promise<Map<string, AssetView> | undefined> {
    const recorder = this.scope(scope);
    try {
      return groupAssets(await this.client.searchServiceAccountAssets(recorder, scope));
    } catch (error) {
      record(recorder, OP.assets, error);
      return undefined;
    }
  }

  async *collect(): AsyncIterable<Identity> {
    const { config } = this.client;
    const targets = new Set(config.projects);
    for (const root of [config.organization, config.folder]) {
      if (root) for (const project of await this.discover(root)) targets.add(project);
    }
    const assets = config.assetInventory ? await this.assetInventory(config.assetInventory.scope) : undefined;
    for (const project of assets?.keys() ?? []) targets.add(project);

    const limit = pLimit(config.concurrency.projects);
    const tasks = [...targets].sort().map((projectId) => limit(() => this.project(projectId, assets?.get(projectId))));
    // A later project failing while an earlier one is awaited must not become an unhandled rejection.
    for (const task of tasks) task.catch(() => undefined);
    for (const task of tasks) {
      if (this.context.signal.aborted) return;
      yield* await task;
    }
  }

  private async activities(recorder: ScopeRecorder, projectId: string, type: ActivityType): Promise<Activity[] | undefined> {
    try {
      return (await this.client.queryActivities(recorder, projectId, type)).map((a) => a.item);
    } catch (error) {
      // Identities stay complete without usage data; their last use reads "unknown".
      record(recorder, OP.activities, error, true);
      return undefined;
    }
  }

  private async project(projectId: string, assets: AssetView | undefined): Promise<Identity[]> {
    const recorder = this.scope(projectId);
    let accounts: Array<Located<iam_v1.Schema$ServiceAccount>>;
    try {
      accounts = await this.client.listServiceAccounts(recorder, projectId);
    } catch (error) {
      record(recorder, OP.serviceAccounts, error);
      return [];
    }
    if (assets) {
      recorder.reconcile(
        'service accounts: IAM listing vs Cloud Asset Inventory',
        accounts.length,
        assets.accounts.size,
        'keys are listed from IAM only for accounts the inventory shows with keys or does not know yet',
      );
    }

    const limit = pLimit(this.client.config.concurrency.requests);
    const keys = new Map<string, Array<Located<iam_v1.Schema$ServiceAccountKey>>>();
    const keyListing = Promise.all(
      accounts.map(({ item }) =>
        limit(async () => {
          const email = item.email;
          if (!email) return;
          const known = assets && (assets.accounts.has(item.uniqueId ?? '') || assets.emails.has(email));
          if (known && !assets.withKeys.has(item.uniqueId ?? '') && !assets.withKeys.has(email)) {
            keys.set(email, []);
            return;
          }
          try {
            keys.set(email, await this.client.listKeys(recorder, projectId, email));
          } catch (error) {
            record(recorder, OP.keys, error);
          }
        }),
      ),
    );
    const policy = this.client.getIamPolicy(recorder, projectId).catch((error: unknown) => {
      record(recorder, OP.policy, error);
      return undefined;
    });
    const accountActivities = this.activities(recorder, projectId, 'serviceAccountLastAuthentication');
    const keyActivities = this.activities(recorder, projectId, 'serviceAccountKeyLastAuthentication');
    await keyListing;

    return normalizeProject({
      source: this.context.source,
      projectId,
      accounts,
      keys,
      policy: await policy,
      accountActivities: await accountActivities,
      keyActivities: await keyActivities,
      assets,
    });
  }
}
