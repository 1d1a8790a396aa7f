import type { iam_v1 } from '@googleapis/iam';
import pLimit from 'p-limit';
import type { CollectContext, Identity, ScopePlan, ScopeRecorder } from '../../src/sdk/index.js';
import { Inheritance } from './ancestry.js';
import { emptyView, groupAssets, inventoryKeyCount, type AssetInventory, type AssetView } from './assets.js';
import { OP, type ActivityType, type GcpClient } from './client.js';
import { normalizeProject } from './normalize.js';
import { boundAccounts, readProjectUsage, withProjectUsage } from './recommender.js';
import type { Activity } from './rest.js';
import { isDenied, type Located, type Reading } from './transport.js';

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
  const hint = isDenied(error) ? HINTS[operation] : undefined;
  recorder.error(operation, error, { ...(hint ? { hint } : {}), recovered });
}

const RECONCILED_WITH = `vs ${OP.assets}`;

interface Discovery {
  /** Active projects found, by project id, with their `projects/NUMBER` names. */
  projects: Map<string, string>;
  /** Whether every listing under the root was read to its end. */
  whole: boolean;
}

export class GcpCollector {
  private readonly inheritance: Inheritance;

  constructor(
    private readonly client: GcpClient,
    private readonly context: CollectContext,
  ) {
    this.inheritance = new Inheritance(client, (scope) => this.reading(scope));
  }

  /** Where a scope's calls are kept, stopped by the source's signal. */
  private reading(name: string): Reading {
    const recorder = this.context.scope(name);
    if (this.client.principal) recorder.collector(this.client.principal);
    return { recorder, signal: this.context.signal };
  }

  /** Every active project under a folder or organization, through its subfolders. */
  private async discover(root: string): Promise<Discovery> {
    const at = this.reading(root);
    const found: Discovery = { projects: new Map(), whole: true };
    const pending = [root];
    const active = (state: string | null | undefined) => !state || state === 'ACTIVE';
    while (pending.length > 0 && !at.signal.aborted) {
      const parent = pending.shift()!;
      try {
        for (const { item } of await this.client.listProjects(at, parent)) {
          if (active(item.state) && item.projectId) found.projects.set(item.projectId, item.name ?? '');
        }
      } catch (error) {
        found.whole = false;
        record(at.recorder, OP.projects, error);
      }
      try {
        pending.push(...(await this.client.listFolders(at, parent)).filter(({ item }) => active(item.state)).flatMap(({ item }) => (item.name ? [item.name] : [])));
      } catch (error) {
        found.whole = false;
        record(at.recorder, OP.folders, error);
      }
    }
    if (found.whole && found.projects.size === 0) {
      // Every answer can be a well-formed empty one and still be wrong (a proxy answering `{}`); a root with nothing
      // in it is never what an audit is pointed at, so it is not passed off as read.
      at.recorder.unreadable(
        'projects',
        `${OP.folders} and ${OP.projects} found no active project under ${root}; if it is truly empty, remove it from the source`,
      );
    }
    return found;
  }

  private async assetInventory(scope: string): Promise<AssetInventory | undefined> {
    const at = this.reading(scope);
    try {
      const inventory = groupAssets(await this.client.searchAssets(at, scope));
      if (inventory.activeProjects.size === 0) {
        at.recorder.unreadable('projects', `${OP.assets} found no active project in ${scope}; if it is truly empty, remove it from the source`);
      }
      return inventory;
    } catch (error) {
      record(at.recorder, OP.assets, error);
      return undefined;
    }
  }

  /** The projects to read (configured, discovered under the roots, or seen by the inventory) and what was learnt finding them. */
  private async targets(): Promise<{ targets: Set<string>; viewOf: (project: string) => AssetView | undefined; whole: boolean }> {
    const { config } = this.client;
    const targets = new Set(config.projects);
    const numbers = new Map<string, string>();
    const discoveries = new Map<string, Discovery>();
    for (const root of [config.organization, config.folder]) {
      if (!root) continue;
      const discovery = await this.discover(root);
      discoveries.set(root, discovery);
      for (const [project, number] of discovery.projects) {
        targets.add(project);
        numbers.set(project, number);
      }
    }
    const scope = config.assetInventory?.scope;
    const inventory = scope ? await this.assetInventory(scope) : undefined;
    const discovered = scope ? discoveries.get(scope) : undefined;
    if (inventory && discovered?.whole) {
      this.reading(scope!).recorder.reconcile(
        `active projects: ${OP.folders} and ${OP.projects} ${RECONCILED_WITH}`,
        inventory.activeProjects.size,
        discovered.projects.size,
        'projects found through the folder tree, counted against the inventory of the same scope',
      );
    }
    for (const project of inventory?.projects.keys() ?? []) targets.add(project);
    // A project the inventory covers but holds no account for has an independent count too: none.
    const viewOf = (project: string): AssetView | undefined =>
      inventory && (inventory.projects.get(project) ?? (inventory.activeProjects.has(numbers.get(project) ?? '') ? emptyView() : undefined));
    const whole = [...discoveries.values()].every((d) => d.whole && d.projects.size > 0) && (!scope || inventory !== undefined);
    return { targets, viewOf, whole };
  }

  /**
   * The projects a plan hands to shards; the discovery roots and the inventory's scope are read again by every
   * shard (they reconcile its projects). A discovery that did not finish fails the plan, never shortens it.
   */
  async scopes(): Promise<ScopePlan> {
    const { config } = this.client;
    const { targets, whole } = await this.targets();
    if (!whole) {
      throw new Error(
        `the projects under ${[config.organization, config.folder, config.assetInventory?.scope].filter(Boolean).join(' and ')} could not all be listed; \`nhi-audit doctor\` names the permission`,
      );
    }
    const shared = [...new Set([config.organization, config.folder, config.assetInventory?.scope].filter((s): s is string => s !== undefined))];
    return { scopes: [...targets], shared };
  }

  async *collect(): AsyncIterable<Identity> {
    const { config } = this.client;
    const found = await this.targets();
    // A shard reads the projects the plan froze for it.
    const targets = this.context.onlyScopes ? new Set(this.context.onlyScopes) : found.targets;
    const viewOf = found.viewOf;
    await this.inheritance.prepare([...targets]);
    const limit = pLimit(config.concurrency.projects);
    const tasks = [...targets].sort().map((projectId) => limit(() => this.project(projectId, viewOf(projectId))));
    // A later project failing while an earlier one is awaited must not become an unhandled rejection.
    for (const task of tasks) task.catch(() => undefined);
    for (const task of tasks) {
      if (this.context.signal.aborted) return;
      yield* await task;
    }
  }

  private async activities(at: Reading, projectId: string, type: ActivityType): Promise<Activity[] | undefined> {
    try {
      return (await this.client.queryActivities(at, projectId, type)).map((a) => a.item);
    } catch (error) {
      // Denied or disabled is how the project stands: last use reads "unknown", and says why. Anything else is a
      // fault of the read, and an identity must not lose its last use to it unnoticed.
      record(at.recorder, OP.activities, error, isDenied(error));
      return undefined;
    }
  }

  /** Keys of every account; those the inventory shows without keys are not listed, the others are counted against it. */
  private async keys(
    at: Reading,
    projectId: string,
    accounts: ReadonlyArray<Located<iam_v1.Schema$ServiceAccount>>,
    view: AssetView | undefined,
  ): Promise<Map<string, Array<Located<iam_v1.Schema$ServiceAccountKey>>>> {
    const limit = pLimit(this.client.config.concurrency.requests);
    const keys = new Map<string, Array<Located<iam_v1.Schema$ServiceAccountKey>>>();
    const differing: string[] = [];
    let compared = 0;
    await Promise.all(
      accounts.map(({ item }) =>
        limit(async () => {
          const email = item.email;
          if (!email) return;
          const expected = view && inventoryKeyCount(view, item);
          if (expected === 0) {
            keys.set(email, []);
            return;
          }
          try {
            const listed = await this.client.listKeys(at, projectId, email);
            keys.set(email, listed);
            if (expected === undefined) return;
            compared += 1;
            if (listed.length !== expected) differing.push(`${email} (IAM ${listed.length}, inventory ${expected})`);
          } catch (error) {
            record(at.recorder, OP.keys, error);
          }
        }),
      ),
    );
    if (compared > 0) {
      at.recorder.reconcile(
        `accounts whose keys agree: ${OP.keys} ${RECONCILED_WITH}`,
        compared,
        compared - differing.length,
        differing.length > 0
          ? `key counts differ for ${differing.sort().join(', ')}`
          : 'every account listed has as many keys, of every type, as the inventory shows',
      );
    }
    return keys;
  }

  private async project(projectId: string, view: AssetView | undefined): Promise<Identity[]> {
    const at = this.reading(projectId);
    let accounts: Array<Located<iam_v1.Schema$ServiceAccount>>;
    try {
      accounts = await this.client.listServiceAccounts(at, projectId);
    } catch (error) {
      record(at.recorder, OP.serviceAccounts, error);
      return [];
    }
    if (view) {
      at.recorder.reconcile(
        `service accounts: ${OP.serviceAccounts} ${RECONCILED_WITH}`,
        view.accounts.size,
        accounts.length,
        'keys are listed from IAM only for accounts the inventory shows with keys or does not know yet',
      );
    }

    const keyListing = this.keys(at, projectId, accounts, view);
    const policy = this.client.getIamPolicy(at, projectId).catch((error: unknown) => {
      record(at.recorder, OP.policy, error);
      return undefined;
    });
    const inherited = this.inheritance.ancestors(projectId);
    const usage = readProjectUsage(this.client.usage, at, projectId, policy.then((p) => boundAccounts(p?.item, accounts.flatMap(({ item }) => item.email ?? []))));
    const accountActivities = this.activities(at, projectId, 'serviceAccountLastAuthentication');
    const keyActivities = this.activities(at, projectId, 'serviceAccountKeyLastAuthentication');
    const [keys, accountRecords, keyRecords] = await Promise.all([keyListing, accountActivities, keyActivities]);
    if (accounts.length > 0 && accountRecords?.length === 0 && keyRecords?.length === 0) {
      // Records are the only place the analyzer states the window it watched; with none, "never used" cannot be told
      // from "not known", and an empty answer in transit looks the same as a project where nothing authenticated.
      at.recorder.unreadable(
        'last use',
        `${OP.activities} answered with no record of either activity type, so the window it observed is unknown and ` +
          `no last use of the project's ${accounts.length} service accounts and their keys can be shown (expected only ` +
          'when none of them authenticated during the observation period)',
      );
    }

    const [projectPolicy, ancestors] = [await policy, await inherited];
    const roles = await this.inheritance.customRoles(projectId, [projectPolicy?.item, ...(ancestors ?? []).map((a) => a.policy?.item)]);
    const identities = normalizeProject({
      source: this.context.source,
      projectId,
      accounts,
      keys,
      policy: projectPolicy,
      ...(ancestors ? { ancestors } : {}),
      roles,
      accountActivities: accountRecords,
      keyActivities: keyRecords,
      ...(view ? { assets: view } : {}),
    });
    return withProjectUsage(identities, await usage);
  }
}
