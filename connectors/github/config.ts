import { z } from 'zod';

/** What the connector can read; each maps to one or more GitHub endpoints and one identity kind. */
export const COLLECTION_KINDS = [
  'app-installations',
  'deploy-keys',
  'pat-grants',
  'credential-authorizations',
  'actions-secrets',
  'dependabot-secrets',
  'codespaces-secrets',
  'webhooks',
  'runners',
] as const;
export type CollectionKind = (typeof COLLECTION_KINDS)[number];

/** The repository custom property that names a repository's owner, unless configured otherwise. */
export const DEFAULT_OWNER_PROPERTY = 'owner';

const EnvVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const GitHubAppAuthSchema = z
  .object({
    /** The App's numeric id (or its client id, which GitHub also accepts as the JWT issuer). */
    appId: z.union([z.number().int().positive(), z.string().min(1)]),
    /** PEM file with the App's private key; relative paths resolve against the config file's folder. */
    privateKeyFile: z.string().min(1).optional(),
    privateKeyEnv: EnvVarName.optional(),
    installationId: z.number().int().positive(),
  })
  .strict()
  .refine((app) => (app.privateKeyFile === undefined) !== (app.privateKeyEnv === undefined), {
    message: 'set exactly one of privateKeyFile and privateKeyEnv',
  });

export const GitHubConfigSchema = z
  .object({
    org: z.string().min(1),
    /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
    baseUrl: z.url().default('https://api.github.com'),
    /** Name of the environment variable holding a token; the token itself never goes in the config. */
    tokenEnv: EnvVarName.optional(),
    /** Authenticate as a GitHub App installation: the only way to read fine-grained token grants. */
    app: GitHubAppAuthSchema.optional(),
    kinds: z.array(z.enum(COLLECTION_KINDS)).min(1).default([...COLLECTION_KINDS]),
    /** Repository custom property that names a repository's owner. */
    ownerProperty: z.string().min(1).default(DEFAULT_OWNER_PROPERTY),
    /** Repositories read at the same time. */
    concurrency: z.number().int().min(1).max(32).default(8),
    retry: z
      .object({
        /**
         * Retries of one request: after a rate limit, a 5xx, a reset or timed-out connection, or an answer that
         * is not what the operation returns.
         */
        retries: z.number().int().min(0).max(10).default(3),
        /** Milliseconds per second of `retry-after` and of backoff: 1000 in production, small in tests. */
        baseDelayMs: z.number().int().min(0).default(1000),
        /** Longest wait for a primary rate-limit reset before giving up on a request. */
        maxWaitSeconds: z.number().int().min(0).default(900),
        /** Spacing between GraphQL queries, which GitHub asks clients to send one at a time. */
        graphqlIntervalMs: z.number().int().min(0).default(1000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    if ((config.tokenEnv === undefined) === (config.app === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tokenEnv'], message: 'set exactly one of tokenEnv and app' });
    }
  });
export type GitHubConfig = z.output<typeof GitHubConfigSchema>;
