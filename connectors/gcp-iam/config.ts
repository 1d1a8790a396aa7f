import { z } from 'zod';

const projectId = z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[a-z0-9.-]+:[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a project id');
const orgRef = (prefix: 'organizations' | 'folders') =>
  z
    .string()
    .regex(new RegExp(`^(${prefix}/)?\\d+$`), `must be ${prefix}/NUMBER or the number`)
    .transform((v) => (v.startsWith(`${prefix}/`) ? v : `${prefix}/${v}`));

export const GcpIamConfigSchema = z
  .object({
    /** Projects to read, by id. */
    projects: z.array(projectId).default([]),
    /** Discover every active project under this organization (through its folders). */
    organization: orgRef('organizations').optional(),
    /** Discover every active project under this folder (through its subfolders). */
    folder: orgRef('folders').optional(),
    /**
     * Enumerate service accounts and keys with one Cloud Asset Inventory search over this scope
     * (`organizations/N`, `folders/N` or `projects/ID`) instead of one key listing per service account.
     * The IAM API stays the authority on key state; Policy Analyzer still gives last use per project.
     */
    assetInventory: z
      .object({ scope: z.string().regex(/^(organizations|folders)\/\d+$|^projects\/[a-z0-9.:-]+$/, 'must be organizations/N, folders/N or projects/ID') })
      .strict()
      .optional(),
    /** Google API endpoint root for every API (a sandbox or private endpoint); Google's own when unset. */
    rootUrl: z.url().optional(),
    /** A service account key file (path relative to the config file); Application Default Credentials when unset. */
    keyFile: z.string().min(1).optional(),
    /** Name of an environment variable holding an OAuth 2 access token (sandboxes, short-lived CI tokens). */
    accessTokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    concurrency: z
      .object({
        /** Projects read at once. */
        projects: z.number().int().min(1).max(32).default(4),
        /** Requests at once within a project (key listings). */
        requests: z.number().int().min(1).max(64).default(8),
      })
      .strict()
      .default({ projects: 4, requests: 8 }),
    retry: z
      .object({
        /** Retries after the first attempt on 408, 429 and 5xx. */
        attempts: z.number().int().min(0).max(10).default(5),
        /** First backoff; doubles on each retry up to maxDelayMs. */
        baseDelayMs: z.number().int().min(0).default(1000),
        maxDelayMs: z.number().int().min(0).default(32000),
      })
      .strict()
      .default({ attempts: 5, baseDelayMs: 1000, maxDelayMs: 32000 }),
    /** Page sizes; the defaults are each API's maximum. */
    pageSize: z
      .object({
        serviceAccounts: z.number().int().min(1).max(100).default(100),
        activities: z.number().int().min(1).max(1000).default(1000),
        assets: z.number().int().min(1).max(500).default(500),
        projects: z.number().int().min(1).max(1000).default(1000),
      })
      .strict()
      .default({ serviceAccounts: 100, activities: 1000, assets: 500, projects: 1000 }),
  })
  .strict()
  .refine((c) => c.projects.length > 0 || c.organization || c.folder || c.assetInventory, {
    message: 'name the projects to read, or an organization, folder or assetInventory scope to find them under',
  })
  .refine((c) => !(c.keyFile && c.accessTokenEnv), { message: 'keyFile and accessTokenEnv are alternatives: set one' });

export type GcpIamConfig = z.output<typeof GcpIamConfigSchema>;
