import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { parseYaml } from '../parse.js';
import { ConfigError, formatPath, type Problem, type Waiver, WaiverSchema } from '../sdk/index.js';

async function readText(file: string): Promise<string> {
  return (await readInputFile(file)).toString('utf8');
}

/** A file the run reads, as bytes: what is parsed is exactly what is sealed into the pack's inputs/. */
export async function readInputFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch {
    throw new ConfigError(file, [{ path: '', message: 'cannot read the file; check the path in the config (relative paths start at the config file)' }]);
  }
}

/**
 * Reads a CSV registry with a header row, validating each row with `schema`. Every bad cell is reported as
 * `line N, column NAME`, counting the header as line 1, as a spreadsheet shows it.
 */
export async function readCsvRegistry<T>(file: string, schema: z.ZodType<T, any>): Promise<T[]> {
  return parseCsvRegistry(file, await readText(file), schema);
}

/** `readCsvRegistry` over text already read; `file` names it in problems. */
export function parseCsvRegistry<T>(file: string, text: string, schema: z.ZodType<T, any>): T[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { columns: (header: string[]) => header.map((h) => h.trim()), skip_empty_lines: true, trim: true, info: true, bom: true });
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw new ConfigError(file, [{ path: e.lines ? `line ${e.lines}` : '', message: e.message }]);
  }
  const problems: Problem[] = [];
  const rows: T[] = [];
  for (const { record, info } of records) {
    const parsed = schema.safeParse(record);
    if (parsed.success) rows.push(parsed.data);
    else {
      for (const issue of parsed.error.issues) {
        problems.push({ path: `line ${info.lines}, column ${issue.path.map(String).join('.') || '?'}`, message: issue.message });
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return rows;
}

const OwnerRowSchema = z.object({
  identity: z.string().min(1, 'name an identity id or a glob such as aws-iam:111111111111:user/etl-*'),
  owner: z.string().min(1, 'name the accountable person or team'),
  /** Who may decide for the owner in a recertification campaign: addresses separated by ";". */
  delegates: z.string().optional(),
});
export type OwnerRow = z.infer<typeof OwnerRowSchema>;

/** The owners registry: a CSV (identity,owner) or a YAML list of the same fields. */
export async function loadOwners(file: string): Promise<OwnerRow[]> {
  return parseOwners(file, await readText(file));
}

export function parseOwners(file: string, text: string): OwnerRow[] {
  if (/\.ya?ml$/i.test(file)) return parseYamlList(file, text, OwnerRowSchema);
  return parseCsvRegistry(file, text, OwnerRowSchema.loose());
}

/** A date (`2026-09-30`, midnight UTC) or an instant with its offset, as registries exported from spreadsheets hold them. */
const RegistryInstant = z
  .string()
  .refine((text) => z.iso.date().safeParse(text).success || z.iso.datetime({ offset: true }).safeParse(text).success, {
    message: 'expected a date such as 2026-09-30 or an instant such as 2026-09-30T14:00:00Z',
  })
  .transform((text) => new Date(text.length === 10 ? `${text}T00:00:00Z` : text).toISOString());

/** An optional date column: an empty cell is no date. */
const OptionalRegistryInstant = z
  .string()
  .optional()
  .transform((text) => text || undefined)
  .pipe(RegistryInstant.optional());

const HrRosterRowSchema = z
  .looseObject({
    person: z.string().min(1, 'name the person (the id owners are given by, such as an email address)'),
    status: z
      .string()
      .transform((status) => status.toLowerCase())
      .pipe(z.enum(['active', 'terminated'], { message: 'expected active or terminated' })),
    terminated_at: OptionalRegistryInstant,
  })
  .superRefine((row, context) => {
    if (row.status === 'terminated' && !row.terminated_at) {
      context.addIssue({ code: 'custom', path: ['terminated_at'], message: 'a terminated person needs the date they left' });
    }
  })
  .transform(({ person, status, terminated_at }) => ({ person, status, ...(terminated_at ? { terminatedAt: terminated_at } : {}) }));
export type HrRosterRow = z.output<typeof HrRosterRowSchema>;

/** The HR roster: person,status,terminated_at (further columns of an HR export are ignored). */
export async function loadHrRoster(file: string): Promise<HrRosterRow[]> {
  return parseHrRoster(file, await readText(file));
}

export function parseHrRoster(file: string, text: string): HrRosterRow[] {
  return parseCsvRegistry(file, text, HrRosterRowSchema);
}

const ApprovalRowSchema = z
  .looseObject({
    identity: z.string().optional().describe('an identity id or glob; empty when an identity tag names the ticket'),
    ticket: z.string().min(1, 'name the change ticket'),
    requester: z.string().min(1, 'name who requested the change'),
    approver: z.string().min(1, 'name who approved the change'),
    approved_at: RegistryInstant,
  })
  .transform(({ identity, ticket, requester, approver, approved_at }) => ({
    ...(identity ? { identity } : {}),
    ticket,
    requester,
    approver,
    approvedAt: approved_at,
  }));
export type ApprovalRow = z.output<typeof ApprovalRowSchema>;

/** The approvals register, a change-ticket export: identity,ticket,requester,approver,approved_at. */
export async function loadApprovals(file: string): Promise<ApprovalRow[]> {
  return parseApprovals(file, await readText(file));
}

export function parseApprovals(file: string, text: string): ApprovalRow[] {
  return parseCsvRegistry(file, text, ApprovalRowSchema);
}

const PrivilegedAccessRowSchema = z
  .looseObject({
    identity: z.string().min(1, 'name an identity id or a glob'),
    approver: z.string().min(1, 'name who approved the privileged access'),
    ticket: z.string().optional(),
    recertified_at: RegistryInstant,
  })
  .transform(({ identity, approver, ticket, recertified_at }) => ({ identity, approver, ...(ticket ? { ticket } : {}), recertifiedAt: recertified_at }));
export type PrivilegedAccessRow = z.output<typeof PrivilegedAccessRowSchema>;

/** The privileged-access list: identity,approver,ticket,recertified_at for each approved administrator identity. */
export async function loadPrivilegedAccess(file: string): Promise<PrivilegedAccessRow[]> {
  return parsePrivilegedAccess(file, await readText(file));
}

export function parsePrivilegedAccess(file: string, text: string): PrivilegedAccessRow[] {
  return parseCsvRegistry(file, text, PrivilegedAccessRowSchema);
}

function parseYamlList<T>(file: string, text: string, schema: z.ZodType<T>): T[] {
  const parsed = parseYaml(text);
  if (parsed.problems.length > 0) throw new ConfigError(file, parsed.problems);
  const result = z.array(schema).safeParse(parsed.value ?? []);
  if (!result.success) {
    throw new ConfigError(file, result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  }
  return result.data;
}

/** Waivers, each for a known control; a waiver for a control that does not exist is a mistake worth stopping for. */
export async function loadWaivers(file: string, controlIds: readonly string[]): Promise<Waiver[]> {
  return parseWaivers(file, await readText(file), controlIds);
}

export function parseWaivers(file: string, text: string, controlIds: readonly string[]): Waiver[] {
  const waivers = parseYamlList(file, text, WaiverSchema);
  const problems = waivers.flatMap((waiver, i) =>
    controlIds.includes(waiver.control) ? [] : [{ path: `[${i}].control`, message: `unknown control "${waiver.control}"` }],
  );
  if (problems.length > 0) throw new ConfigError(file, problems);
  return waivers;
}
