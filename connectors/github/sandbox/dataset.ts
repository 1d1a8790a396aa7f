import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/*
 * A sandbox dataset: one GitHub organization written close to GitHub's own field names, with `x-` fields
 * that only the sandbox reads (they never go on the wire):
 * - `x-created`: when an item without a creation date (a runner) appeared;
 * - `x-deleted`: when an item was removed; it is hidden from that instant on;
 * - `x-history`: earlier values, `[{ until, ...fields }]`: before `until` the item showed those fields.
 * Items created after the sandbox's `now` are hidden, so one dataset shows the organization at any date.
 */

/** GitHub writes some instants with an offset (`-07:00`); the dataset may too. */
const Instant = z.iso.datetime({ offset: true });

const Item = z.looseObject({
  'x-created': Instant.optional(),
  'x-deleted': Instant.optional(),
  'x-history': z.array(z.looseObject({ until: Instant })).optional(),
});

const Secret = Item.extend({
  name: z.string(),
  created_at: Instant,
  updated_at: Instant,
});

const OrgSecret = Secret.extend({
  visibility: z.enum(['all', 'private', 'selected']),
  /** Repository names, for visibility "selected". */
  selected_repositories: z.array(z.string()).optional(),
});

const Hook = Item.extend({
  id: z.number().int(),
  active: z.boolean(),
  events: z.array(z.string()),
  config: z.looseObject({ url: z.string(), content_type: z.string().optional(), insecure_ssl: z.string().optional(), secret: z.string().optional() }),
  created_at: Instant,
  updated_at: Instant,
  /** Status of the last delivery ("unused": never delivered). */
  last_response: z.object({ code: z.number().nullable(), status: z.string().nullable(), message: z.string().nullable() }).optional(),
});

const Runner = Item.extend({
  id: z.number().int(),
  name: z.string(),
  os: z.string(),
  status: z.enum(['online', 'offline']),
  busy: z.boolean(),
  labels: z.array(z.string()),
  runner_group_id: z.number().int().optional(),
  ephemeral: z.boolean().optional(),
});

const DeployKey = Item.extend({
  id: z.number().int(),
  title: z.string(),
  key: z.string(),
  read_only: z.boolean(),
  verified: z.boolean().default(true),
  created_at: Instant,
  /** Absent when the server keeps no record (older GitHub Enterprise Server), `null` when never used. */
  added_by: z.string().nullable().optional(),
  last_used: Instant.nullable().optional(),
  enabled: z.boolean().optional(),
});

const Environment = Item.extend({
  id: z.number().int(),
  name: z.string(),
  created_at: Instant,
  updated_at: Instant,
  secrets: z.array(Secret).default([]),
});

const Repository = Item.extend({
  id: z.number().int(),
  name: z.string(),
  visibility: z.enum(['public', 'private', 'internal']).default('private'),
  archived: z.boolean().default(false),
  created_at: Instant,
  description: z.string().nullable().default(null),
  /** Custom property values; `null` unsets. */
  properties: z.record(z.string(), z.union([z.string(), z.array(z.string()), z.null()])).default({}),
  /** Path of the CODEOWNERS file on the default branch and its text. */
  codeowners: z.object({ path: z.enum(['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS']), text: z.string() }).optional(),
  deploy_keys: z.array(DeployKey).default([]),
  environments: z.array(Environment).default([]),
  actions_secrets: z.array(Secret).default([]),
  dependabot_secrets: z.array(Secret).default([]),
  codespaces_secrets: z.array(Secret).default([]),
  hooks: z.array(Hook).default([]),
  runners: z.array(Runner).default([]),
});

const Installation = Item.extend({
  id: z.number().int(),
  app_id: z.number().int(),
  app_slug: z.string(),
  repository_selection: z.enum(['all', 'selected']),
  permissions: z.record(z.string(), z.string()),
  events: z.array(z.string()),
  created_at: Instant,
  updated_at: Instant,
  suspended_at: Instant.nullable().default(null),
  suspended_by: z.string().nullable().default(null),
  /** The App itself, as GET /apps/{app_slug} shows it: its name and the account that publishes it. */
  app: z.object({ name: z.string(), owner: z.string(), description: z.string().nullable().default(null), external_url: z.string() }),
});

const PatGrant = Item.extend({
  id: z.number().int(),
  owner: z.string(),
  repository_selection: z.enum(['none', 'all', 'subset']),
  permissions: z.object({
    organization: z.record(z.string(), z.string()).optional(),
    repository: z.record(z.string(), z.string()).optional(),
    other: z.record(z.string(), z.string()).optional(),
  }),
  access_granted_at: Instant,
  token_id: z.number().int(),
  token_name: z.string(),
  token_expires_at: Instant.nullable(),
  token_last_used_at: Instant.nullable(),
});

const CredentialAuthorization = Item.extend({
  login: z.string(),
  credential_id: z.number().int(),
  credential_type: z.enum(['personal access token', 'SSH key', 'OAuth app token', 'GitHub app token']),
  token_last_eight: z.string().optional(),
  fingerprint: z.string().optional(),
  credential_authorized_at: Instant,
  credential_accessed_at: Instant.nullable(),
  authorized_credential_id: z.number().int().nullable(),
  authorized_credential_title: z.string().nullable().optional(),
  authorized_credential_expires_at: Instant.nullable().optional(),
  scopes: z.array(z.string()).default([]),
});

const RunnerGroup = Item.extend({
  id: z.number().int(),
  name: z.string(),
  visibility: z.enum(['all', 'selected', 'private']),
  default: z.boolean(),
  allows_public_repositories: z.boolean(),
});

export const DatasetSchema = z.object({
  org: z.object({
    login: z.string(),
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable().default(null),
    created_at: Instant,
    /** GitHub Enterprise Cloud with SAML single sign-on: credential authorizations exist. */
    saml_sso: z.boolean().default(false),
  }),
  /** The installation `nhi-audit demo` authenticates as. */
  collector_installation_id: z.number().int().optional(),
  installations: z.array(Installation).default([]),
  pat_grants: z.array(PatGrant).default([]),
  credential_authorizations: z.array(CredentialAuthorization).default([]),
  actions_secrets: z.array(OrgSecret).default([]),
  dependabot_secrets: z.array(OrgSecret).default([]),
  codespaces_secrets: z.array(OrgSecret).default([]),
  hooks: z.array(Hook).default([]),
  runner_groups: z.array(RunnerGroup).default([]),
  runners: z.array(Runner).default([]),
  repositories: z.array(Repository).default([]),
});
export type Dataset = z.output<typeof DatasetSchema>;
export type DatasetInput = z.input<typeof DatasetSchema>;
export type DatasetRepository = Dataset['repositories'][number];

/** The dataset file of a fixture folder. */
export async function loadDataset(datasetDir: string): Promise<Dataset> {
  const file = path.join(datasetDir, 'dataset.json');
  const parsed = DatasetSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const CREATED_FIELDS = ['x-created', 'created_at', 'access_granted_at', 'credential_authorized_at'] as const;

/**
 * The items as they stood at `now`: later ones hidden, deleted ones gone, earlier field values restored
 * from `x-history`, and every `x-` field dropped.
 */
export function asOf<T extends Record<string, unknown>>(items: readonly T[], now: Date): T[] {
  const at = now.getTime();
  const shown: T[] = [];
  for (const item of items) {
    const created = CREATED_FIELDS.map((field) => item[field]).find((value): value is string => typeof value === 'string');
    if (created && Date.parse(created) > at) continue;
    const deleted = item['x-deleted'];
    if (typeof deleted === 'string' && Date.parse(deleted) <= at) continue;
    const history = ((item['x-history'] as { until: string }[] | undefined) ?? [])
      .filter((entry) => Date.parse(entry.until) > at)
      .sort((a, b) => Date.parse(b.until) - Date.parse(a.until));
    const view: Record<string, unknown> = { ...item };
    // Latest change first, so the earliest change after `now` is applied last and wins.
    for (const { until: _until, ...fields } of history) Object.assign(view, fields);
    for (const key of Object.keys(view)) if (key.startsWith('x-')) delete view[key];
    shown.push(view as T);
  }
  return shown;
}
