import { z } from 'zod';

const AccountId = z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits (quote it in YAML)');
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable, not its value');

/** An `aws iam get-account-authorization-details` export and, optionally, a credential report, read offline. */
const ExportSchema = z
  .object({
    authorizationDetails: z.string().min(1).describe('path to the JSON printed by `aws iam get-account-authorization-details`'),
    credentialReport: z
      .string()
      .min(1)
      .optional()
      .describe('path to the credential report: the CSV, or the JSON printed by `aws iam get-credential-report`'),
    accountId: AccountId.optional().describe('the account the export is from; read from the ARNs when omitted'),
  })
  .strict();

export const AwsIamConfigSchema = z
  .object({
    region: z.string().default('us-east-1'),
    endpoint: z.url().optional().describe('override for the IAM, STS and Organizations endpoints (VPC endpoints, a local sandbox)'),
    credentials: z
      .object({
        profile: z.string().optional().describe('a profile in ~/.aws/config (SSO, assume-role, credential_process)'),
        accessKeyIdEnv: EnvName.optional(),
        secretAccessKeyEnv: EnvName.optional(),
        sessionTokenEnv: EnvName.optional(),
      })
      .strict()
      .optional()
      .describe("where the collector's own credentials come from; omitted = the AWS SDK's default chain"),
    accounts: z
      .array(z.object({ id: AccountId, roleArn: z.string().startsWith('arn:').optional() }).strict())
      .default([])
      .describe('accounts to read; the caller account is read with its own credentials, others through assumeRole'),
    organizations: z
      .object({
        discover: z.boolean().default(true),
        exclude: z.array(AccountId).default([]),
      })
      .strict()
      .optional()
      .describe('discover the active accounts of the organization with Organizations ListAccounts'),
    assumeRole: z
      .object({
        roleName: z.string().default('NhiAuditReadOnly'),
        externalIdEnv: EnvName.optional(),
        sessionName: z.string().default('nhi-audit'),
        durationSeconds: z.number().int().min(900).max(43_200).default(3600),
      })
      .strict()
      .default({ roleName: 'NhiAuditReadOnly', sessionName: 'nhi-audit', durationSeconds: 3600 }),
    concurrency: z.number().int().min(1).max(32).default(4).describe('accounts read at the same time'),
    minIntervalMs: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('least time between two calls within one account; without it the rate adapts to throttling (lowered on Throttling, raised again on success)'),
    accessKeyIds: z
      .boolean()
      .default(true)
      .describe(
        'list the access keys of each user holding one (ListAccessKeys, one call per user) for their ids; false names each key by its ' +
          'credential report slot (`user/access-key-1`) instead: 3 + ⌈entities/1000⌉ calls per account, the provider minimum',
      ),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(20).default(8),
        baseDelayMs: z.number().int().min(0).default(500),
        maxDelayMs: z.number().int().min(0).default(20_000),
      })
      .strict()
      .default({ maxAttempts: 8, baseDelayMs: 500, maxDelayMs: 20_000 }),
    credentialReport: z
      .object({
        pollIntervalMs: z.number().int().min(0).default(2000),
        maxPolls: z.number().int().min(1).default(30),
      })
      .strict()
      .default({ pollIntervalMs: 2000, maxPolls: 30 }),
    serviceLastAccessed: z
      .object({
        enabled: z.boolean().default(false),
        concurrency: z.number().int().min(1).max(8).default(2).describe('principals whose report is being generated at the same time, within one account'),
        pollIntervalMs: z.number().int().min(0).default(1000),
        maxPolls: z.number().int().min(1).default(30),
      })
      .strict()
      .default({ enabled: false, concurrency: 2, pollIntervalMs: 1000, maxPolls: 30 })
      .describe(
        'in an account without an unused-access analyzer, ask IAM for service last accessed data, user by user and role by role ' +
          '(GenerateServiceLastAccessedDetails, then GetServiceLastAccessedDetails until COMPLETED), at the account’s adaptive rate: two calls or more per principal',
      ),
    exports: z.array(ExportSchema).optional().describe('read AWS CLI exports instead of calling AWS'),
  })
  .strict();

export type AwsIamConfig = z.output<typeof AwsIamConfigSchema>;
