import { z } from 'zod';

const ProjectId = z
  .string()
  .regex(/^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a project id (lowercase letters, digits and dashes), not its number or name');
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable, not its value');
const parent = (kind: 'organizations' | 'folders') =>
  z
    .string()
    .regex(new RegExp(`^(${kind}/)?\\d+$`), `${kind}/NUMBER, or the number alone`)
    .transform((v) => (v.startsWith(`${kind}/`) ? v : `${kind}/${v}`));

export const GcpIamConfigSchema = z
  .object({
    projects: z.array(ProjectId).default([]).describe('projects to read, by id'),
    organization: parent('organizations').optional().describe('also read every active project under this organization, through its folders'),
    folder: parent('folders').optional().describe('also read every active project under this folder, through its subfolders'),
    assetInventory: z
      .object({
        scope: z
          .string()
          .regex(/^(organizations|folders)\/\d+$|^projects\/[a-z0-9.:-]+$/, 'organizations/NUMBER, folders/NUMBER or projects/ID'),
      })
      .strict()
      .optional()
      .describe(
        'enumerate service accounts, keys and projects with Cloud Asset Inventory over this scope (one search instead of a ' +
          'key listing per account) and count each against IAM and Resource Manager: the only independent count GCP offers; ' +
          'IAM stays the authority on key state and Policy Analyzer on last use',
      ),
    rootUrl: z.url().optional().describe('root URL for every Google API (a private endpoint, a local sandbox); Google when omitted'),
    keyFile: z.string().min(1).optional().describe('service account key file, relative to the config file; omitted = Application Default Credentials'),
    accessTokenEnv: EnvName.optional().describe('environment variable holding an OAuth 2 access token (CI, sandboxes); omitted = Application Default Credentials'),
    concurrency: z
      .object({
        projects: z.number().int().min(1).max(32).default(4).describe('projects read at the same time'),
        requests: z.number().int().min(1).max(64).default(8).describe('key listings at the same time within a project'),
      })
      .strict()
      .default({ projects: 4, requests: 8 }),
    retry: z
      .object({
        maxAttempts: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(6)
          .describe('attempts per request on 408, 429, 5xx, resets, timeouts and answers that are not what the API returns'),
        baseDelayMs: z.number().int().min(0).default(1000).describe("first backoff; doubles on each retry, with jitter, or the answer's Retry-After when longer"),
        maxDelayMs: z.number().int().min(0).default(32_000),
      })
      .strict()
      .default({ maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 32_000 }),
    pageSize: z
      .object({
        serviceAccounts: z.number().int().min(1).max(100).default(100),
        activities: z.number().int().min(1).max(1000).default(1000),
        assets: z.number().int().min(1).max(500).default(500),
        projects: z.number().int().min(1).max(1000).default(1000),
      })
      .strict()
      .default({ serviceAccounts: 100, activities: 1000, assets: 500, projects: 1000 })
      .describe("page sizes; the defaults are each API's maximum"),
    recommender: z
      .object({
        enabled: z.boolean().default(true),
        pageSize: z.number().int().min(1).max(1000).default(1000),
      })
      .strict()
      .default({ enabled: true, pageSize: 1000 })
      .describe("read IAM Recommender's policy insights (unused permissions of each role binding) for the unused-privilege control"),
  })
  .strict()
  .refine((c) => c.projects.length > 0 || c.organization || c.folder || c.assetInventory, {
    message: 'name projects to read, or an organization, folder or assetInventory scope to find them under',
  })
  .refine((c) => !(c.keyFile && c.accessTokenEnv), { message: 'keyFile and accessTokenEnv are alternatives: set one of them' });

export type GcpIamConfig = z.output<typeof GcpIamConfigSchema>;
