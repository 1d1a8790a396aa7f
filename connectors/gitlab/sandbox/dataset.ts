import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/*
 * A sandbox dataset: one GitLab instance's groups and projects, written with GitLab's own field names, plus
 * `x-` fields only the sandbox reads (they never go on the wire):
 * - `x-created`: when an item GitLab gives no creation date (a variable, a deploy token) appeared;
 * - `x-deleted`: when an item was removed; it is hidden from that instant on.
 * Items created after the sandbox's `now` are hidden, so one dataset shows the instance at any date. Secret values
 * (variable values, trigger tokens) are in the dataset because GitLab sends them: the collector must drop them.
 */

const Instant = z.iso.datetime({ offset: true });
/** GitLab writes token expiries as dates. */
const DateOrInstant = z.union([z.iso.date(), Instant]);

const Item = z.looseObject({ 'x-created': Instant.optional(), 'x-deleted': Instant.optional() });

const AccessToken = Item.extend({
  id: z.number().int(),
  name: z.string(),
  description: z.string().default(''),
  scopes: z.array(z.string()).min(1),
  access_level: z.number().int(),
  user_id: z.number().int(),
  created_at: Instant,
  last_used_at: Instant.nullable(),
  expires_at: z.iso.date().nullable(),
  revoked: z.boolean().default(false),
});

const PersonalAccessToken = AccessToken.omit({ access_level: true });

const DeployToken = Item.extend({
  id: z.number().int(),
  name: z.string(),
  username: z.string(),
  scopes: z.array(z.string()).min(1),
  expires_at: DateOrInstant.nullable(),
  revoked: z.boolean().default(false),
});

const DeployKey = Item.extend({
  id: z.number().int(),
  title: z.string(),
  key: z.string(),
  can_push: z.boolean(),
  created_at: Instant,
  expires_at: Instant.nullable().default(null),
});

const Variable = Item.extend({
  key: z.string(),
  value: z.string(),
  variable_type: z.enum(['env_var', 'file']).default('env_var'),
  protected: z.boolean().default(false),
  masked: z.boolean().default(false),
  hidden: z.boolean().default(false),
  raw: z.boolean().default(false),
  environment_scope: z.string().default('*'),
  description: z.string().nullable().default(null),
});

const Trigger = Item.extend({
  id: z.number().int(),
  description: z.string(),
  token: z.string(),
  owner: z.string(),
  created_at: Instant,
  updated_at: Instant,
  last_used: Instant.nullable(),
  expires_at: Instant.nullable().default(null),
});

const ServiceAccount = Item.extend({
  id: z.number().int(),
  username: z.string(),
  name: z.string(),
  tokens: z.array(PersonalAccessToken).default([]),
});

const Runner = Item.extend({
  id: z.number().int(),
  description: z.string(),
  runner_type: z.enum(['group_type', 'project_type']),
  paused: z.boolean().default(false),
  status: z.enum(['online', 'offline', 'stale', 'never_contacted']).default('online'),
  /** Full paths of the groups (group runners) or projects (project runners) it is registered to. */
  registered_to: z.array(z.string()).min(1),
});

const Group = Item.extend({
  id: z.number().int(),
  name: z.string(),
  full_path: z.string(),
  description: z.string().default(''),
  created_at: Instant,
  access_tokens: z.array(AccessToken).default([]),
  deploy_tokens: z.array(DeployToken).default([]),
  variables: z.array(Variable).default([]),
  /** Top-level groups only (GitLab Premium and Ultimate). */
  service_accounts: z.array(ServiceAccount).default([]),
});

const Project = Item.extend({
  id: z.number().int(),
  name: z.string(),
  path_with_namespace: z.string(),
  description: z.string().default(''),
  created_at: Instant,
  archived: z.boolean().default(false),
  access_tokens: z.array(AccessToken).default([]),
  deploy_tokens: z.array(DeployToken).default([]),
  deploy_keys: z.array(DeployKey).default([]),
  variables: z.array(Variable).default([]),
  triggers: z.array(Trigger).default([]),
});

const User = z.object({ id: z.number().int(), username: z.string(), name: z.string(), is_admin: z.boolean().default(false), created_at: Instant });

export const DatasetSchema = z
  .object({
    /** The user the collector's token belongs to. */
    collector: User,
    groups: z.array(Group).min(1),
    projects: z.array(Project).default([]),
    runners: z.array(Runner).default([]),
    instance: z.object({ variables: z.array(Variable).default([]), service_accounts: z.array(ServiceAccount).default([]) }).prefault({}),
  })
  .strict();

export type Dataset = z.output<typeof DatasetSchema>;
export type DatasetGroup = Dataset['groups'][number];
export type DatasetProject = Dataset['projects'][number];
export type DatasetRunner = Dataset['runners'][number];
export type DatasetServiceAccount = DatasetGroup['service_accounts'][number];

export async function loadDataset(dir: string): Promise<Dataset> {
  const file = path.join(dir, 'dataset.json');
  const parsed = DatasetSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The items that existed at `now`: created by then (or undated) and not yet deleted. */
export function asOf<T extends { 'x-created'?: string | undefined; 'x-deleted'?: string | undefined; created_at?: unknown }>(items: readonly T[], now: Date): T[] {
  const at = now.getTime();
  return items.filter((item) => {
    const created = item['x-created'] ?? (typeof item.created_at === 'string' ? item.created_at : undefined);
    if (created !== undefined && Date.parse(created) > at) return false;
    return item['x-deleted'] === undefined || Date.parse(item['x-deleted']) > at;
  });
}
