import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PredefinedRoleSchema, RecommenderSchema } from './recommender-data.js';

/**
 * A GCP sandbox dataset: the organization as Google's APIs describe it, plus `x-` fields that only the
 * sandbox reads (when something was created or deleted, when it authenticated). Wire fields pass through
 * unchanged; every `x-` field is stripped before a response goes out.
 */

const Instant = z.iso.datetime({ offset: true });
const Lifetime = { 'x-createTime': Instant.optional(), 'x-deleted': Instant.optional() };

const KeySchema = z.looseObject({
  name: z.string().regex(/\/keys\/[^/]+$/),
  keyType: z.enum(['USER_MANAGED', 'SYSTEM_MANAGED']),
  validAfterTime: Instant,
  validBeforeTime: Instant,
  disabled: z.boolean().optional(),
  'x-deleted': Instant.optional(),
  /** Instants the key authenticated at; Policy Analyzer reports the latest one up to the sandbox's `now`. */
  'x-authentications': z.array(Instant).optional(),
});

const ServiceAccountSchema = z.looseObject({
  name: z.string(),
  projectId: z.string(),
  uniqueId: z.string().regex(/^\d+$/),
  email: z.string(),
  disabled: z.boolean().optional(),
  ...Lifetime,
  'x-authentications': z.array(Instant).optional(),
  'x-keys': z.array(KeySchema).default([]),
});

const BindingSchema = z.looseObject({
  role: z.string(),
  members: z.array(z.string()),
  condition: z.looseObject({ expression: z.string(), title: z.string().optional() }).optional(),
  ...Lifetime,
});

const PolicySchema = z.looseObject({ etag: z.string(), bindings: z.array(BindingSchema).default([]) });

/** A custom role as IAM returns it; `deleted: true` is how IAM shows a role deleted and not yet purged. */
const RoleSchema = z.looseObject({
  name: z.string().regex(/^(projects|organizations)\/[^/]+\/roles\/[^/]+$/),
  title: z.string().optional(),
  includedPermissions: z.array(z.string()).default([]),
  stage: z.enum(['ALPHA', 'BETA', 'GA', 'DEPRECATED', 'DISABLED', 'EAP']).default('GA'),
  etag: z.string(),
  deleted: z.boolean().optional(),
});

const ProjectSchema = z.looseObject({
  project: z.looseObject({
    name: z.string().regex(/^projects\/\d+$/),
    projectId: z.string(),
    parent: z.string(),
    createTime: Instant,
    'x-deleted': Instant.optional(),
  }),
  serviceAccounts: z.array(ServiceAccountSchema).default([]),
  iamPolicy: PolicySchema,
  /** When the project's Activity Analyzer data starts; `enabled: false` answers its queries with SERVICE_DISABLED. */
  'x-policyAnalyzer': z
    .object({ observationStart: Instant.optional(), enabled: z.boolean().default(true) })
    .strict()
    .default({ enabled: true }),
  'x-recommender': RecommenderSchema.optional(),
});

export const DatasetSchema = z
  .object({
    organization: z.string().regex(/^organizations\/\d+$/),
    folders: z.array(z.looseObject({ name: z.string(), parent: z.string(), ...Lifetime })).default([]),
    projects: z.array(ProjectSchema),
    /** The allow policies of folders and the organization, by `folders/N` or `organizations/N`; empty when not given. */
    policies: z.record(z.string().regex(/^(folders|organizations)\/\d+$/), PolicySchema).default({}),
    /** Custom roles of the projects and the organization. */
    roles: z.array(RoleSchema).default([]),
    /** Predefined roles as `roles.get` returns them, for the permissions the Recommender's insights leave unused. */
    predefinedRoles: z.array(PredefinedRoleSchema).default([]),
  })
  .strict();
export type Dataset = z.infer<typeof DatasetSchema>;
export type DatasetProject = z.infer<typeof ProjectSchema>;
export type DatasetServiceAccount = z.infer<typeof ServiceAccountSchema>;
export type DatasetKey = z.infer<typeof KeySchema>;
export type DatasetBinding = z.infer<typeof BindingSchema>;

export async function loadDataset(file: string): Promise<Dataset> {
  return DatasetSchema.parse(JSON.parse(await readFile(file, 'utf8')));
}

/** Drops every `x-` field, recursively: what the real API would send. */
export function toWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !key.startsWith('x-'))
        .map(([key, child]) => [key, toWire(child)]),
    );
  }
  return value;
}

function at(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}

/** Exists at `now`: created at or before it and not deleted by then. */
export function existsAt(item: { 'x-createTime'?: string | undefined; 'x-deleted'?: string | undefined; createTime?: unknown }, now: Date): boolean {
  const created = at(item['x-createTime'] ?? (typeof item.createTime === 'string' ? item.createTime : undefined));
  const deleted = at(item['x-deleted']);
  return (created === undefined || created <= now.getTime()) && (deleted === undefined || deleted > now.getTime());
}

/** The dataset as the organization stood at `now`. */
export class DatasetView {
  readonly projects: DatasetProject[];
  readonly folders: Dataset['folders'];

  constructor(
    readonly dataset: Dataset,
    readonly now: Date,
  ) {
    this.projects = dataset.projects.filter((p) => existsAt(p.project, now));
    this.folders = dataset.folders.filter((f) => existsAt(f, now));
  }

  /** By project id or number. */
  project(ref: string): DatasetProject | undefined {
    return this.projects.find((p) => p.project.projectId === ref || p.project.name === `projects/${ref}`);
  }

  serviceAccounts(project: DatasetProject): DatasetServiceAccount[] {
    return project.serviceAccounts.filter((sa) => existsAt(sa, this.now));
  }

  keys(account: DatasetServiceAccount): DatasetKey[] {
    return account['x-keys'].filter((k) => existsAt({ 'x-createTime': k.validAfterTime, 'x-deleted': k['x-deleted'] }, this.now));
  }

  /** Folders and organization above a resource, nearest first. */
  ancestors(parent: string): string[] {
    const chain: string[] = [];
    let current: string | undefined = parent;
    while (current) {
      chain.push(current);
      const folder = this.folders.find((f) => f.name === current);
      current = folder?.parent;
    }
    return chain;
  }

  /**
   * The project's allow policy at `now`. Members that are deleted service accounts read
   * `deleted:serviceAccount:EMAIL?uid=ID`, as Google shows them; members not created yet are left out.
   */
  policyBindings(project: DatasetProject): DatasetBinding[] {
    return this.bindingsAt(project.iamPolicy.bindings);
  }

  /** A folder's or the organization's policy at `now`; Google gives a resource without one an empty policy. */
  ancestorPolicy(resource: string): { etag: string; bindings: DatasetBinding[] } {
    const policy = this.dataset.policies[resource];
    return { etag: policy?.etag ?? 'ACAB', bindings: this.bindingsAt(policy?.bindings ?? []) };
  }

  /** Whether a folder or the organization exists at `now`. */
  knows(resource: string): boolean {
    return resource === this.dataset.organization || this.folders.some((f) => f.name === resource);
  }

  private bindingsAt(bindings: readonly DatasetBinding[]): DatasetBinding[] {
    const accounts = this.dataset.projects.flatMap((p) => p.serviceAccounts);
    return bindings
      .filter((b) => existsAt(b, this.now))
      .map((binding) => {
        const members = binding.members.flatMap((member) => {
          const account = accounts.find((sa) => member === `serviceAccount:${sa.email}`);
          if (!account) return [member];
          if (existsAt(account, this.now)) return [member];
          const deleted = at(account['x-deleted']);
          return deleted !== undefined && deleted <= this.now.getTime() ? [`deleted:${member}?uid=${account.uniqueId}`] : [];
        });
        return { ...binding, members };
      })
      .filter((b) => b.members.length > 0);
  }

  /** The latest authentication at or before `now`, if any. */
  lastAuthentication(item: { 'x-authentications'?: string[] | undefined }): Date | undefined {
    const times = (item['x-authentications'] ?? []).map((t) => Date.parse(t)).filter((t) => t <= this.now.getTime());
    return times.length > 0 ? new Date(times.reduce((a, b) => Math.max(a, b))) : undefined;
  }
}

const HOUR = 3_600_000;
const PACIFIC_HOUR = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', hour: 'numeric', hourCycle: 'h23' });

/**
 * How Activity Analyzer writes a date: the day is counted in US Pacific Standard Time (UTC-8) all year,
 * and the timestamp is that day's midnight in Pacific local time (07:00Z under daylight time, 08:00Z
 * otherwise), as Google's documented and observed responses show.
 */
export function activityAnalyzerTimestamp(instant: Date): string {
  const pstDay = new Date(instant.getTime() - 8 * HOUR).toISOString().slice(0, 10);
  const candidates = [7, 8].map((hour) => new Date(`${pstDay}T0${hour}:00:00Z`));
  const midnight = candidates.find((c) => Number(PACIFIC_HOUR.format(c)) === 0) ?? candidates[1]!;
  return midnight.toISOString().replace('.000Z', 'Z');
}
