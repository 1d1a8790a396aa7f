import { z } from 'zod';

const Guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a GUID (the directory or application id), not a domain or display name')
  .transform((value) => value.toLowerCase());
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable, not its value');

/**
 * How the collector signs in, each through @azure/identity. The secret, certificate and token stay in the
 * environment or in files; the config names where they are.
 */
export const EntraCredentialSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('client-secret'),
      clientId: Guid.describe("the collector's application (client) id"),
      clientSecretEnv: EnvName.describe('environment variable holding the client secret'),
    })
    .strict(),
  z
    .object({
      type: z.literal('certificate'),
      clientId: Guid,
      certificateFile: z.string().min(1).describe('PEM file with the certificate and its private key, relative to the config file'),
    })
    .strict(),
  z
    .object({
      type: z.literal('workload-identity'),
      clientId: Guid,
      tokenFile: z.string().min(1).optional().describe('file holding the federated token (AZURE_FEDERATED_TOKEN_FILE when omitted)'),
    })
    .strict(),
  z
    .object({
      type: z.literal('managed-identity'),
      clientId: Guid.optional().describe("a user-assigned identity's client id; the system-assigned identity when omitted"),
    })
    .strict(),
  z.object({ type: z.literal('default') }).strict().describe('DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI'),
]);
export type EntraCredential = z.output<typeof EntraCredentialSchema>;

export const EntraIdConfigSchema = z
  .object({
    tenantId: Guid.describe('the directory (tenant) id to read'),
    credential: EntraCredentialSchema,
    authorityHost: z
      .url({ protocol: /^https$/ })
      .default('https://login.microsoftonline.com')
      .describe('Microsoft Entra authority (a national cloud, a local sandbox); HTTPS only, as MSAL requires'),
    graphBaseUrl: z
      .url({ protocol: /^https$/ })
      .default('https://graph.microsoft.com')
      .describe('Microsoft Graph root (a national cloud, a local sandbox)'),
    caFile: z
      .string()
      .min(1)
      .optional()
      .describe('PEM file of extra certificate authorities to trust for the authority and Graph (a TLS-inspecting proxy, a sandbox)'),
    signInActivity: z
      .boolean()
      .default(true)
      .describe(
        "read last use from the beta sign-in activity reports (Entra ID P1 or P2); off, or refused for the tenant's licence, last use stays unknown",
      ),
    pageSize: z.number().int().min(1).max(999).default(999).describe('items per page ($top); 999 is the most Graph returns'),
    concurrency: z.number().int().min(1).max(32).default(8).describe('per-object listings (owners, federated credentials) at the same time'),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(20).default(5).describe('attempts per request on 429, 5xx, resets, timeouts and garbled answers'),
        baseDelayMs: z.number().int().min(0).default(1000).describe('first backoff; doubles on each retry, with jitter, or the Retry-After Graph sends'),
        maxDelayMs: z.number().int().min(0).default(32_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type EntraIdConfig = z.output<typeof EntraIdConfigSchema>;
