// @ts-check
import { z } from 'nhi-audit/sdk';

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable, not its value');

/** A Snowflake source's settings: the account, and the service user nhi-audit signs in as with a key pair. */
export const SnowflakeConfigSchema = z
  .object({
    account: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'the account identifier: ORGNAME-ACCOUNTNAME (or the account locator)')
      .describe('the account identifier, as in https://<account>.snowflakecomputing.com'),
    baseUrl: z.url().optional().describe('default https://<account>.snowflakecomputing.com (a private link URL, a local sandbox)'),
    user: z.string().min(1).describe('the service user nhi-audit signs in as (TYPE = SERVICE, key-pair authentication)'),
    privateKeyFile: z.string().min(1).optional().describe('PEM file with that user\'s unencrypted PKCS#8 private key; relative to the config file'),
    privateKeyEnv: EnvName.optional().describe('environment variable holding the PEM private key'),
    role: z.string().min(1).optional().describe('the role statements run as (one that can run SHOW USERS and SHOW GRANTS, and read SNOWFLAKE.ACCOUNT_USAGE)'),
    concurrency: z.number().int().min(1).max(16).default(4).describe('statements in flight at once'),
    statementTimeoutSeconds: z.number().int().min(1).max(604800).default(60),
    retry: z
      .object({
        attempts: z.number().int().min(1).max(10).default(4),
        baseDelayMs: z.number().int().nonnegative().default(500),
        maxDelayMs: z.number().int().positive().default(30_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((config) => (config.privateKeyFile === undefined) !== (config.privateKeyEnv === undefined), {
    message: 'set exactly one of privateKeyFile and privateKeyEnv',
    path: ['privateKeyFile'],
  });

/** @typedef {z.output<typeof SnowflakeConfigSchema>} SnowflakeConfig */
