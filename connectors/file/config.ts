import { z } from 'zod';
import { CredentialSchema, GrantSchema, IdentityKindSchema, PrivilegeFlagSchema, PrivilegeLevelSchema } from '../../src/sdk/index.js';
import { PRESET_IDS, PRESETS } from './presets.js';

/*
 * A source read from an export file (CSV, JSON or XLSX) rather than an API: the systems auditors most often
 * receive as a report (ERP, finance SaaS). The config says which columns hold which facts; a preset fills
 * that in for a known report.
 */

const Column = z.string().min(1).describe('a column header exactly as the export writes it (a field name for JSON)');

/** A column whose values are translated through a table; `*` stands for every value the table does not list. */
const valueMap = <Value extends z.ZodType>(value: Value, description: string) =>
  z
    .object({ column: Column, values: z.record(z.string(), value).refine((v) => Object.keys(v).length > 0, 'list at least one value') })
    .strict()
    .describe(description);

/** A date column, or a date and a time column (SAP keeps TRDAT and LTIME apart). */
const DateColumn = z.union([Column, z.object({ date: Column, time: Column }).strict()]);
export type DateColumn = z.output<typeof DateColumn>;

const ListColumn = z
  .object({ column: Column, separator: z.string().min(1).optional().describe('splits one cell into several values (e.g. ";")') })
  .strict();

export const ColumnsSchema = z
  .object({
    id: Column.describe('the identity\'s id in the system (user name, token id): unique per identity'),
    name: Column.optional(),
    kind: valueMap(IdentityKindSchema, 'the identity kind, by value (default: the source\'s `kind`)').optional(),
    classification: valueMap(z.enum(['machine', 'human', 'unknown']), 'machine, human or unknown, by value (a user type, a license)').optional(),
    interactive: valueMap(z.boolean(), 'whether a person can sign in with it interactively, by value')
      .extend({ method: z.string().min(1).optional().describe('how, in the system\'s words (SAP GUI dialog logon)') })
      .strict()
      .optional(),
    status: valueMap(z.enum(['active', 'disabled']), 'active or disabled, by value (a lock flag, an inactive checkbox)').optional(),
    owner: Column.optional(),
    vendor: Column.optional().describe('the outside party it belongs to'),
    created: DateColumn.optional(),
    lastUsed: DateColumn.optional().describe('last sign-in or use; an empty cell means never used'),
    expires: DateColumn.optional().describe('when the identity stops working (a validity end)'),
    entitlements: ListColumn.extend({ via: GrantSchema.shape.via.default('binding').describe('how the identity holds them: binding (a role), scope (an OAuth scope), ...') })
      .strict()
      .optional()
      .describe('roles, profiles or scopes: judged through `rules`'),
    usedBy: ListColumn.extend({ type: z.string().min(1).default('batch job') }).strict().optional().describe('programs that run as it (batch jobs, interfaces)'),
    tags: z.array(Column).optional().describe('columns copied into the identity\'s tags, by their header (an owner or approval tag the registries read)'),
    credential: z
      .object({
        type: CredentialSchema.shape.type,
        id: Column.optional().describe('the column naming the credential; without it the credential is called `label`'),
        label: z.string().min(1).default('password'),
        created: DateColumn.optional(),
        rotated: DateColumn.optional(),
        lastUsed: DateColumn.optional(),
        expires: DateColumn.optional(),
      })
      .strict()
      .optional()
      .describe('the one credential each row describes (a password, a token)'),
  })
  .strict();
export type Columns = z.output<typeof ColumnsSchema>;

export const RuleSchema = z
  .object({
    match: z.string().min(1).describe('an entitlement name or a glob over names (`*` any run, `?` one character), matched whole'),
    level: PrivilegeLevelSchema.exclude(['unknown']),
    flags: z.array(PrivilegeFlagSchema).default([]),
    note: z.string().optional().describe('why: what the entitlement allows, for the finding'),
  })
  .strict();
export type Rule = z.output<typeof RuleSchema>;

export const DATE_FORMATS = ['iso', 'yyyymmdd', 'dd.mm.yyyy', 'm/d/yyyy'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

const Instant = z
  .string()
  .refine((text) => z.iso.date().safeParse(text).success || z.iso.datetime({ offset: true }).safeParse(text).success, 'a date (2026-11-19) or an instant (2026-11-19T16:05:00Z)');

/** Where one export file is and how to read it, with the questions an auditor asks of information the entity produced. */
const FileSchema = z
  .object({
    path: z.string().min(1).describe('the export, relative to the config file (or to `directory`)'),
    format: z.enum(['csv', 'json', 'xlsx']).optional().describe('default: from the file name\'s extension'),
    sheet: z.string().min(1).optional().describe('XLSX: the worksheet (default: the first)'),
    delimiter: z.string().length(1).optional().describe('CSV: the field separator (default ",")'),
    records: z.string().min(1).optional().describe('JSON: the property holding the array of records (`records` in a Salesforce query result)'),
    report: z.string().min(1).describe('the report, transaction, saved search or query that produced it'),
    producedBy: z.string().min(1).optional().describe('who ran it'),
    producedAt: Instant.optional().describe('when it was run'),
    expectedRows: z.number().int().nonnegative().optional().describe('the row count the report itself states (its control total): reconciled with the rows read'),
  })
  .strict();

const RelatedSchema = FileSchema.extend({
  adds: z.enum(['entitlements', 'usedBy']).describe('what its rows add to the identities of the main export'),
  identity: Column.optional().describe('the column naming the identity (default: the preset\'s)'),
  value: Column.optional().describe('the column naming the entitlement or program (default: the preset\'s)'),
  validTo: DateColumn.optional().describe('entitlements: an assignment that ended before the as-of date is left out'),
  type: z.string().min(1).optional().describe('usedBy: what kind of program (default "batch job")'),
}).strict();
export type RelatedExport = z.output<typeof RelatedSchema>;

export const FileConfigSchema = z
  .object({
    preset: z.enum(PRESET_IDS).optional().describe('a known report\'s columns, value tables and rules; `columns` and `rules` add to it'),
    system: z.string().min(1).describe('the system the export is from (SAP S/4HANA PRD client 100)'),
    scope: z.string().regex(/^[^:\s]+$/, 'no colons or spaces: it is part of every identity id').optional().describe('the middle of every identity id (default: the source name)'),
    directory: z.string().min(1).optional().describe('folder export paths start at (default: the config file\'s)'),
    export: FileSchema.extend({ producedBy: z.string().min(1), producedAt: Instant }).strict().describe('the main export: one row per identity, or one per identity and entitlement'),
    related: z.array(RelatedSchema).default([]).describe('further exports joined by identity: role assignments, batch job steps'),
    kind: IdentityKindSchema.optional().describe('the identity kind when no column says (default: the preset\'s, else service-account)'),
    columns: ColumnsSchema.partial().default({}),
    rules: z.array(RuleSchema).default([]).describe('entitlement → privilege, first match wins, before the preset\'s rules'),
    dateFormat: z.enum(DATE_FORMATS).optional().describe('how dates are written (default: the preset\'s, else ISO 8601); dates without an offset are UTC'),
  })
  .strict()
  .superRefine((config, context) => {
    if (!config.preset && !config.columns.id) context.addIssue({ code: 'custom', path: ['columns', 'id'], message: 'name the column that holds each identity\'s id, or choose a preset' });
    config.related.forEach((related, i) => {
      const presetColumns = config.preset && !related.identity && !related.value ? PRESETS[config.preset].related[related.adds] : undefined;
      if (presetColumns) return;
      for (const key of ['identity', 'value'] as const) {
        if (!related[key]) context.addIssue({ code: 'custom', path: ['related', i, key], message: `name the column (${config.preset ? `preset ${config.preset} has no default for ${related.adds} exports, or the other column is named` : 'no preset gives a default'})` });
      }
    });
  });
export type FileConfig = z.output<typeof FileConfigSchema>;
