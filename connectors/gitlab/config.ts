import { z } from 'zod';

/** What the connector can read; each maps to one or more GitLab endpoints and one identity kind. */
export const COLLECTION_KINDS = [
  'access-tokens',
  'deploy-tokens',
  'deploy-keys',
  'ci-variables',
  'trigger-tokens',
  'runners',
  'service-accounts',
] as const;
export type CollectionKind = (typeof COLLECTION_KINDS)[number];

const EnvVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/** A group's full path as GitLab shows it (`corvid`, `corvid/finance`). */
const GroupPath = z.string().regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$/, 'must be a group full path such as corvid/finance');

export const GitLabConfigSchema = z
  .object({
    /** https://gitlab.com, or a self-managed instance's URL (without /api/v4). */
    host: z.url().default('https://gitlab.com'),
    /** Groups to read, each with its subgroups and projects; a scope each. */
    groups: z.array(GroupPath).min(1),
    /** Variable holding a personal, group or project access token (read_api). */
    tokenEnv: EnvVarName.optional(),
    /** Variable holding an OAuth 2.0 access token (read_api), sent as a Bearer token. */
    oauthTokenEnv: EnvVarName.optional(),
    kinds: z.array(z.enum(COLLECTION_KINDS)).min(1).default([...COLLECTION_KINDS]),
    /**
     * The token is an administrator's: also read instance-level CI/CD variables and the instance's service
     * accounts with their personal access tokens (a scope named `instance`).
     */
    admin: z.boolean().default(false),
    /** Projects read at the same time. */
    concurrency: z.number().int().min(1).max(32).default(8),
    /** Requests per minute the client paces itself to (GitLab.com allows 2,000 authenticated API requests a minute). */
    requestsPerMinute: z.number().int().positive().default(1200),
    retry: z
      .object({
        retries: z.number().int().min(0).max(10).default(3),
        /** Milliseconds per second of `Retry-After` and of back-off: 1000 in production, small in tests. */
        baseDelayMs: z.number().int().min(0).default(1000),
        /** Longest wait for a rate limit to reset before the request counts as failed. */
        maxWaitSeconds: z.number().int().min(0).default(120),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    if ((config.tokenEnv === undefined) === (config.oauthTokenEnv === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tokenEnv'], message: 'set exactly one of tokenEnv and oauthTokenEnv' });
    }
  });
export type GitLabConfig = z.output<typeof GitLabConfigSchema>;
