// @ts-check
import { z } from 'nhi-audit/sdk';

/** A source's settings beside `name` and `connector`; nhi-audit validates them and reports bad ones with the fix. */
export const ConfigSchema = z
  .object({
    baseUrl: z.url().describe('the API root, e.g. https://api.example.com'),
    tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable, not its value').describe('environment variable holding the API token'),
    scope: z.string().min(1).default('default').describe('the tenant or account the API serves; the middle part of every identity id'),
    pageSize: z.number().int().min(1).max(500).default(100),
    retry: z
      .object({ attempts: z.number().int().min(1).default(4), baseDelayMs: z.number().int().nonnegative().default(500), maxDelayMs: z.number().int().positive().default(20_000) })
      .strict()
      .prefault({}),
  })
  .strict();

/** @typedef {z.output<typeof ConfigSchema>} Config */
