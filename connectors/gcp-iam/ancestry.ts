import type { cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import type { iam_v1 } from '@googleapis/iam';
import pLimit from 'p-limit';
import type { ScopeRecorder } from '../../src/sdk/index.js';
import { ancestorPolicyOperation, OP, roleOperation, type GcpClient } from './client.js';
import { isCustomRole } from './custom-roles.js';
import type { AncestorPolicy } from './normalize.js';
import { GcpApiError, isDenied, type Located, type Reading } from './transport.js';

type Policy = cloudresourcemanager_v3.Schema$Policy;

const HINTS: Record<string, string> = {
  [OP.ancestry]: 'the collector needs resourcemanager.projects.get on the project (roles/browser)',
  [OP.folderPolicy]: 'the collector needs resourcemanager.folders.getIamPolicy on the folder (roles/iam.securityReviewer at the folder or organization)',
  [OP.organizationPolicy]: 'the collector needs resourcemanager.organizations.getIamPolicy (roles/iam.securityReviewer on the organization)',
  [OP.projectRole]: 'the collector needs iam.roles.get on the project (roles/iam.securityReviewer)',
  [OP.organizationRole]: 'the collector needs iam.roles.get on the organization (roles/iam.securityReviewer on the organization)',
};

/**
 * A read that failed: denied is how the hierarchy stands (recovered: the identities it concerns say their privilege
 * is unknown, and why), anything else a fault of the read that leaves the scope incomplete. Either way the error
 * names the resource, since the scope it is kept in is a project's.
 */
function record(recorder: ScopeRecorder, operation: string, resource: string, error: unknown): void {
  const denied = isDenied(error);
  const named =
    error instanceof GcpApiError && !error.message.includes(resource)
      ? new GcpApiError(error.code, error.httpStatus, error.reason, `${resource}: ${error.message}`, error.retryAfterMs)
      : error;
  recorder.error(operation, named, { ...(denied ? { hint: `${HINTS[operation]} (${resource})` } : {}), recovered: denied });
}

const rolesIn = (policies: ReadonlyArray<Policy | undefined>) =>
  [...new Set(policies.flatMap((p) => (p?.bindings ?? []).map((b) => b.role ?? '')).filter(isCustomRole))].sort();

/**
 * What a project inherits: its folders and organization (Resource Manager v1 getAncestry, one call for the whole
 * chain, where v3 would take a projects.get and a folders.get per level), their allow policies and the custom roles
 * bound in any policy. Each ancestor's policy and each custom role is read once per run, however many projects
 * share it, and kept in one scope chosen before any project is read (the first project, by id, under the ancestor),
 * so the pack does not depend on which project happened to ask first.
 */
export class Inheritance {
  private readonly ancestries = new Map<string, string[] | undefined>();
  /** The project scope each shared read is kept in, by ancestor. */
  private readonly homes = new Map<string, string>();
  private readonly policies = new Map<string, Promise<Located<Policy> | undefined>>();
  private readonly roles = new Map<string, Promise<Located<iam_v1.Schema$Role> | undefined>>();
  private first: string | undefined;

  constructor(
    private readonly client: GcpClient,
    private readonly reading: (scope: string) => Reading,
  ) {}

  /** Reads every project's ancestry, so that each ancestor has its scope before anything is read from it. */
  async prepare(projects: readonly string[]): Promise<void> {
    const sorted = [...projects].sort();
    this.first = sorted[0];
    const limit = pLimit(this.client.config.concurrency.projects);
    await Promise.all(
      sorted.map((projectId) =>
        limit(async () => {
          const at = this.reading(projectId);
          if (at.signal.aborted) return;
          try {
            this.ancestries.set(projectId, await this.client.getAncestry(at, projectId));
          } catch (error) {
            record(at.recorder, OP.ancestry, `projects/${projectId}`, error);
          }
        }),
      ),
    );
    for (const projectId of sorted) {
      for (const ancestor of this.ancestries.get(projectId) ?? []) if (!this.homes.has(ancestor)) this.homes.set(ancestor, projectId);
    }
  }

  /** The project's ancestors, nearest first, each with its policy; undefined when its ancestry could not be read. */
  async ancestors(projectId: string): Promise<AncestorPolicy[] | undefined> {
    const ancestry = this.ancestries.get(projectId);
    if (!ancestry) return undefined;
    return Promise.all(
      ancestry.map(async (resource) => {
        const policy = await this.policy(resource);
        return { resource, ...(policy ? { policy } : {}) };
      }),
    );
  }

  /** Every custom role bound in these policies that could be read, by name. */
  async customRoles(projectId: string, policies: ReadonlyArray<Policy | undefined>): Promise<Map<string, Located<iam_v1.Schema$Role>>> {
    const read = await Promise.all(rolesIn(policies).map(async (name) => [name, await this.role(projectId, name)] as const));
    return new Map(read.filter((entry): entry is [string, Located<iam_v1.Schema$Role>] => entry[1] !== undefined));
  }

  private policy(resource: string): Promise<Located<Policy> | undefined> {
    let read = this.policies.get(resource);
    if (!read) {
      const at = this.reading(this.homes.get(resource)!);
      read = this.client.getAncestorPolicy(at, resource).catch((error: unknown) => {
        record(at.recorder, ancestorPolicyOperation(resource), resource, error);
        return undefined;
      });
      this.policies.set(resource, read);
    }
    return read;
  }

  /** A project's role is kept with its project; an organization's with the organization's home. */
  private role(projectId: string, name: string): Promise<Located<iam_v1.Schema$Role> | undefined> {
    let read = this.roles.get(name);
    if (!read) {
      const owner = name.split('/roles/')[0]!;
      const scope = owner.startsWith('projects/') ? owner.slice('projects/'.length) : (this.homes.get(owner) ?? this.first ?? projectId);
      const at = this.reading(scope);
      read = this.client.getRole(at, name).catch((error: unknown) => {
        record(at.recorder, roleOperation(name), name, error);
        return undefined;
      });
      this.roles.set(name, read);
    }
    return read;
  }
}
