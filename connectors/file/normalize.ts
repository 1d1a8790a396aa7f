import type { Classification, Credential, Grant, Identity, IdentityKind, LastUsed, PrivilegeFlag, PrivilegeLevel, Problem } from '../../src/sdk/index.js';
import { matchesGlob, PRIVILEGE_ORDER } from '../../src/sdk/index.js';
import type { Cell, ExportRow } from './client.js';
import type { Columns, DateColumn, DateFormat, FileConfig, RelatedExport, Rule } from './config.js';
import { PRESETS } from './presets.js';

/*
 * Pure: the rows of an export and its related exports → identities, through the source's mapping. Every row is
 * checked; a bad cell is a problem naming the file, the row and the column, and how to fix it.
 */

export const CONNECTOR_ID = 'file';

export interface RelatedMapping {
  file: string;
  adds: RelatedExport['adds'];
  identity: string;
  value: string;
  validTo?: DateColumn | undefined;
  /** usedBy: the kind of program; entitlements: how the identity holds them. */
  type: string;
}

/** Everything the mapping of one source needs, resolved from its config and preset: kept in the pack as evidence. */
export interface Mapping {
  preset: string | null;
  system: string;
  scope: string;
  kind: IdentityKind;
  dateFormat: DateFormat;
  classification: Classification;
  columns: Columns;
  rules: Rule[];
  related: RelatedMapping[];
}

const UNCLASSIFIED: Classification = { value: 'unknown', reason: 'the export does not say whether a person uses it; map columns.classification' };

export function resolveMapping(config: FileConfig, source: string): Mapping {
  const preset = config.preset ? PRESETS[config.preset] : undefined;
  const columns = { ...preset?.columns, ...config.columns } as Columns;
  return {
    preset: config.preset ?? null,
    system: config.system,
    scope: config.scope ?? source,
    kind: config.kind ?? preset?.kind ?? 'service-account',
    dateFormat: config.dateFormat ?? preset?.dateFormat ?? 'iso',
    classification: preset?.classification ?? UNCLASSIFIED,
    columns,
    rules: [...config.rules, ...(preset?.rules ?? [])],
    related: config.related.map((related) => {
      // The preset's columns for this kind of export apply as a set, only to an export that names none of its own.
      const defaults = related.identity || related.value ? undefined : preset?.related[related.adds];
      const validTo = related.validTo ?? (defaults && 'validTo' in defaults ? defaults.validTo : undefined);
      return {
        file: related.path,
        adds: related.adds,
        identity: related.identity ?? defaults!.identity,
        value: related.value ?? defaults!.value,
        ...(validTo ? { validTo } : {}),
        type: related.type ?? (defaults && 'type' in defaults ? defaults.type : related.adds === 'usedBy' ? 'batch job' : 'binding'),
      };
    }),
  };
}

/** An export as the mapping reads it: its rows, and where in the pack each row's page is kept. */
export interface MappedExport {
  file: string;
  columnWord: 'column' | 'field';
  columns: readonly string[];
  /** Where a problem with the header is reported (`line 1`). */
  headerAt: string;
  rows: readonly ExportRow[];
  rawRefs: readonly string[];
}

export interface FileProblem extends Problem {
  file: string;
}

/** How the rows of a related export joined: what the manifest says beside its digest. */
export interface JoinCount {
  file: string;
  joined: number;
  /** Rows naming an identity the main export does not hold (it may be filtered to technical users). */
  outside: number;
  /** Entitlement assignments that ended before the as-of date. */
  ended: number;
}

export interface MappingResult {
  identities: Identity[];
  problems: FileProblem[];
  joins: JoinCount[];
}

// --- cells and dates -------------------------------------------------------------------------------------------

function text(cell: Cell | undefined): string {
  return Array.isArray(cell) ? cell.join(', ') : (cell ?? '');
}

/** A date cell in the configured format; ISO 8601 is always accepted (spreadsheet dates arrive as instants). */
function parseDate(value: string, format: DateFormat): string | null | undefined {
  const trimmed = value.trim();
  if (trimmed === '' || /^0+$/.test(trimmed)) return null;
  let year: number, month: number, day: number;
  let time = [0, 0, 0];
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(trimmed);
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(trimmed);
  const dotted = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(trimmed);
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]m)?)?$/i.exec(trimmed);
  if (iso) {
    if (iso[4] !== undefined && iso[7] !== undefined && iso[7] !== 'Z') {
      const offset = iso[7].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
      const instant = new Date(`${iso[1]}-${iso[2]}-${iso[3]}T${iso[4]}:${iso[5]}:${iso[6] ?? '00'}${offset}`);
      return Number.isNaN(instant.getTime()) ? undefined : noEnd(instant.toISOString());
    }
    [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
    time = [Number(iso[4] ?? 0), Number(iso[5] ?? 0), Number(iso[6] ?? 0)];
  } else if (format === 'yyyymmdd' && compact) {
    [year, month, day] = [Number(compact[1]), Number(compact[2]), Number(compact[3])];
  } else if (format === 'dd.mm.yyyy' && dotted) {
    [year, month, day] = [Number(dotted[3]), Number(dotted[2]), Number(dotted[1])];
  } else if (format === 'm/d/yyyy' && us) {
    [year, month, day] = [Number(us[3]), Number(us[1]), Number(us[2])];
    const hour = Number(us[4] ?? 0) % (us[7] ? 12 : 24) + (us[7]?.toLowerCase() === 'pm' ? 12 : 0);
    time = [hour, Number(us[5] ?? 0), Number(us[6] ?? 0)];
  } else {
    return undefined;
  }
  const date = new Date(Date.UTC(year, month - 1, day, time[0], time[1], time[2]));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return noEnd(date.toISOString());
}

/** 9999-12-31 and the like are how systems write "no end date". */
function noEnd(instant: string): string | null {
  return instant >= '9999-01-01' ? null : instant;
}

const EXAMPLES: Record<DateFormat, string> = { iso: '2026-11-19 or 2026-11-19T16:05:00Z', yyyymmdd: '20261119', 'dd.mm.yyyy': '19.11.2026', 'm/d/yyyy': '11/19/2026' };

/** A time of day cell (HHMMSS or HH:MM[:SS]) added to a date. */
function withTime(instant: string, value: string): string | undefined {
  const match = /^(\d{2}):?(\d{2}):?(\d{2})?$/.exec(value.trim());
  if (!match) return value.trim() === '' ? instant : undefined;
  const [hours, minutes, seconds] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  return new Date(Date.parse(instant) + ((hours * 60 + minutes) * 60 + seconds) * 1000).toISOString();
}

// --- one row ---------------------------------------------------------------------------------------------------

/** Reads mapped cells of one row, collecting a problem for each bad one. */
class RowReader {
  constructor(
    private readonly source: MappedExport,
    private readonly row: ExportRow,
    private readonly format: DateFormat,
    private readonly problems: FileProblem[],
  ) {}

  problem(column: string, message: string): void {
    this.problems.push({ file: this.source.file, path: `${this.row.at}, ${this.source.columnWord} ${column}`, message });
  }

  text(column: string): string {
    return text(this.row.cells[column]).trim();
  }

  list(column: string, separator: string | undefined): string[] {
    const cell = this.row.cells[column];
    const values = Array.isArray(cell) ? cell : separator ? (cell ?? '').split(separator) : [cell ?? ''];
    return values.map((v) => v.trim()).filter((v) => v.length > 0);
  }

  mapped<Value>(table: { column: string; values: Record<string, Value> }, setting: string): Value | undefined {
    const value = this.text(table.column);
    if (Object.hasOwn(table.values, value)) return table.values[value];
    if (Object.hasOwn(table.values, '*')) return table.values['*'];
    this.problem(table.column, `"${value}" is not in ${setting}.values (${Object.keys(table.values).join(', ')}); add what it means there, or "*" for every other value`);
    return undefined;
  }

  date(column: DateColumn): string | null {
    const dateColumn = typeof column === 'string' ? column : column.date;
    const value = this.text(dateColumn);
    const parsed = parseDate(value, this.format);
    if (parsed === undefined) {
      this.problem(dateColumn, `"${value}" is not a date written as ${EXAMPLES[this.format]}; fix the cell, or set dateFormat to how the export writes dates (${Object.keys(EXAMPLES).join(', ')})`);
      return null;
    }
    if (parsed === null || typeof column === 'string') return parsed;
    const timed = withTime(parsed, this.text(column.time));
    if (timed === undefined) this.problem(column.time, `"${this.text(column.time)}" is not a time of day (HHMMSS or HH:MM:SS)`);
    return timed ?? parsed;
  }
}

// --- privilege -------------------------------------------------------------------------------------------------

interface Entitlement {
  name: string;
  via: Grant['via'];
  ref: string;
}

function grantOf(entitlement: Entitlement, rules: readonly Rule[]): Grant {
  const rule = rules.find((r) => matchesGlob(r.match, entitlement.name));
  return {
    via: entitlement.via,
    name: entitlement.name,
    ref: entitlement.ref,
    level: rule?.level ?? 'unknown',
    flags: [...(rule?.flags ?? [])].sort(),
    evidence: [rule ? `rule ${rule.match}${rule.note ? `: ${rule.note}` : ''}` : 'no rule in the mapping matches it'],
  };
}

/** The highest level any grant gives; an unjudged grant leaves it unknown unless another already makes it admin. */
function levelOf(grants: readonly Grant[], mapped: boolean): PrivilegeLevel {
  if (!mapped) return 'unknown';
  if (grants.some((g) => g.level === 'admin')) return 'admin';
  if (grants.some((g) => g.level === 'unknown')) return 'unknown';
  return grants.reduce<PrivilegeLevel>((best, g) => (PRIVILEGE_ORDER.indexOf(g.level) > PRIVILEGE_ORDER.indexOf(best) ? g.level : best), 'none');
}

// --- the whole export ------------------------------------------------------------------------------------------

interface Draft {
  nativeId: string;
  first: ExportRow;
  rawRef: string;
  scalars: Record<string, string>;
  entitlements: Map<string, Entitlement>;
  usedBy: Map<string, { type: string; name: string }>;
}

/** The columns whose value must be the same on every row of one identity. */
function scalarColumns(columns: Columns): string[] {
  const dates = (column: DateColumn | undefined) => (column === undefined ? [] : typeof column === 'string' ? [column] : [column.date, column.time]);
  const { credential } = columns;
  return [
    ...new Set([
      columns.name,
      columns.kind?.column,
      columns.classification?.column,
      columns.interactive?.column,
      columns.status?.column,
      columns.owner,
      columns.vendor,
      ...dates(columns.created),
      ...dates(columns.lastUsed),
      ...dates(columns.expires),
      credential?.id,
      ...dates(credential?.created),
      ...dates(credential?.rotated),
      ...dates(credential?.lastUsed),
      ...dates(credential?.expires),
      ...(columns.tags ?? []),
    ]),
  ].filter((c): c is string => c !== undefined && c !== columns.id);
}

/** Every column the mapping reads from an export: what its kept pages hold (nothing else, e.g. no password hashes). */
export function mappedColumns(mapping: Mapping, file: string): string[] {
  const related = mapping.related.find((r) => r.file === file);
  if (related) {
    const validTo = related.validTo === undefined ? [] : typeof related.validTo === 'string' ? [related.validTo] : [related.validTo.date, related.validTo.time];
    return [related.identity, related.value, ...validTo];
  }
  const { columns } = mapping;
  return [columns.id, ...scalarColumns(columns), ...(columns.entitlements ? [columns.entitlements.column] : []), ...(columns.usedBy ? [columns.usedBy.column] : [])];
}

function missingColumns(source: MappedExport, wanted: readonly string[], problems: FileProblem[]): boolean {
  const missing = wanted.filter((c) => !source.columns.includes(c));
  for (const column of missing) {
    const known = source.columns.slice(0, 30).join(', ');
    problems.push({ file: source.file, path: source.headerAt, message: `no ${source.columnWord} "${column}" (it has: ${known}); export it, or map another ${source.columnWord} in the config` });
  }
  return missing.length > 0;
}

export function mapExports(mapping: Mapping, main: MappedExport, related: readonly MappedExport[], context: { source: string; now: Date }): MappingResult {
  const problems: FileProblem[] = [];
  const joins: JoinCount[] = [];
  const { columns } = mapping;
  if (missingColumns(main, mappedColumns(mapping, main.file), problems)) return { identities: [], problems, joins };

  const scalars = scalarColumns(columns);
  const drafts = new Map<string, Draft>();
  main.rows.forEach((row, index) => {
    const reader = new RowReader(main, row, mapping.dateFormat, problems);
    const nativeId = reader.text(columns.id);
    if (!nativeId) return reader.problem(columns.id, 'is empty: every row names the identity it describes');
    let draft = drafts.get(nativeId);
    if (!draft) {
      draft = { nativeId, first: row, rawRef: main.rawRefs[index]!, scalars: Object.fromEntries(scalars.map((c) => [c, reader.text(c)])), entitlements: new Map(), usedBy: new Map() };
      drafts.set(nativeId, draft);
    } else {
      for (const column of scalars) {
        const value = reader.text(column);
        if (value !== draft.scalars[column]) {
          reader.problem(column, `"${value}" differs from "${draft.scalars[column]}" on ${draft.first.at} for the same ${columns.id} ${nativeId}: the rows of one identity must agree (re-export, or fix the duplicate)`);
        }
      }
    }
    if (columns.entitlements) {
      for (const name of reader.list(columns.entitlements.column, columns.entitlements.separator)) {
        draft.entitlements.set(name, { name, via: columns.entitlements.via, ref: `${main.file}, ${row.at}` });
      }
    }
    if (columns.usedBy) {
      for (const name of reader.list(columns.usedBy.column, columns.usedBy.separator)) draft.usedBy.set(`${columns.usedBy.type}\n${name}`, { type: columns.usedBy.type, name });
    }
  });

  for (const [i, relatedMapping] of mapping.related.entries()) {
    const source = related[i]!;
    const count: JoinCount = { file: source.file, joined: 0, outside: 0, ended: 0 };
    joins.push(count);
    if (missingColumns(source, mappedColumns(mapping, source.file), problems)) continue;
    for (const row of source.rows) {
      const reader = new RowReader(source, row, mapping.dateFormat, problems);
      const nativeId = reader.text(relatedMapping.identity);
      const value = reader.text(relatedMapping.value);
      if (!nativeId) reader.problem(relatedMapping.identity, 'is empty: every row names the identity it belongs to');
      if (!value) reader.problem(relatedMapping.value, `is empty: every row names the ${relatedMapping.adds === 'usedBy' ? 'program' : 'entitlement'}`);
      if (!nativeId || !value) continue;
      const validTo = relatedMapping.validTo ? reader.date(relatedMapping.validTo) : null;
      const draft = drafts.get(nativeId);
      if (!draft) {
        count.outside += 1;
        continue;
      }
      if (validTo !== null && Date.parse(validTo) < context.now.getTime()) {
        count.ended += 1;
        continue;
      }
      count.joined += 1;
      if (relatedMapping.adds === 'entitlements') draft.entitlements.set(value, { name: value, via: 'binding', ref: `${source.file}, ${row.at}` });
      else draft.usedBy.set(`${relatedMapping.type}\n${value}`, { type: relatedMapping.type, name: value });
    }
  }

  const identities = [...drafts.values()].map((draft) => identityOf(draft, mapping, main, context, problems));
  return { identities, problems, joins };
}

function identityOf(draft: Draft, mapping: Mapping, main: MappedExport, context: { source: string }, problems: FileProblem[]): Identity {
  const { columns } = mapping;
  const reader = new RowReader(main, draft.first, mapping.dateFormat, problems);
  const status = (columns.status && reader.mapped(columns.status, 'columns.status')) ?? 'active';
  const createdAt = columns.created ? reader.date(columns.created) : null;
  const lastUsedAt = columns.lastUsed ? reader.date(columns.lastUsed) : null;
  const lastUsed: LastUsed = !columns.lastUsed ? 'unknown' : lastUsedAt ? { at: lastUsedAt } : 'never';
  const usedBy = [...draft.usedBy.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const grants = [...draft.entitlements.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((e) => grantOf(e, mapping.rules));
  const entitlementsMapped = columns.entitlements !== undefined || mapping.related.some((r) => r.adds === 'entitlements');
  const flags = [...new Set(grants.flatMap((g) => g.flags))].sort() as PrivilegeFlag[];
  const owner = columns.owner ? reader.text(columns.owner) : '';
  const vendor = columns.vendor ? reader.text(columns.vendor) : '';
  const expiresAt = columns.expires ? reader.date(columns.expires) : undefined;
  const interactive = columns.interactive ? reader.mapped(columns.interactive, 'columns.interactive') : undefined;
  return {
    id: `${CONNECTOR_ID}:${mapping.scope}:${draft.nativeId}`,
    connector: CONNECTOR_ID,
    source: context.source,
    scope: mapping.scope,
    kind: (columns.kind && reader.mapped(columns.kind, 'columns.kind')) ?? mapping.kind,
    name: (columns.name && reader.text(columns.name)) || draft.nativeId,
    nativeId: draft.nativeId,
    status,
    classification: classificationOf(reader, mapping, usedBy),
    createdAt,
    lastUsed,
    credentials: columns.credential ? [credentialOf(reader, columns.credential, status, draft.nativeId)] : [],
    privilege: { level: levelOf(grants, entitlementsMapped), grants, flags },
    ...(interactive !== undefined ? { interactiveLogin: { enabled: interactive, mfa: false, lastUsed, ...(columns.interactive?.method ? { method: columns.interactive.method } : {}) } } : {}),
    ...(usedBy.length > 0 ? { usedBy } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(vendor ? { vendor } : {}),
    ...(owner ? { owner: { id: owner, source: `column:${columns.owner}`, status: 'unknown' as const } } : {}),
    tags: Object.fromEntries((columns.tags ?? []).map((c) => [c, reader.text(c)]).filter(([, v]) => v !== '')),
    rawRef: draft.rawRef,
  };
}

/** From the mapped column, else the preset's; an account type meant for people that programs run as is a machine's. */
function classificationOf(reader: RowReader, mapping: Mapping, usedBy: readonly { type: string; name: string }[]): Classification {
  const table = mapping.columns.classification;
  const value = table && reader.mapped(table, 'columns.classification');
  const classification = table && value ? { value, reason: `${table.column} ${reader.text(table.column)} in ${mapping.system}` } : mapping.classification;
  if (classification.value !== 'human' || usedBy.length === 0) return classification;
  return {
    value: 'machine',
    reason: `${classification.reason} marks a person's account, but programs run as it: ${usedBy.map((u) => `${u.type} ${u.name}`).join(', ')}`,
  };
}

function credentialOf(reader: RowReader, spec: NonNullable<Columns['credential']>, status: 'active' | 'disabled', nativeId: string): Credential {
  const lastUsedAt = spec.lastUsed ? reader.date(spec.lastUsed) : null;
  return {
    id: (spec.id && reader.text(spec.id)) || `${nativeId}/${spec.label}`,
    type: spec.type,
    status: status === 'active' ? 'active' : 'inactive',
    createdAt: spec.created ? reader.date(spec.created) : null,
    rotatedAt: spec.rotated ? reader.date(spec.rotated) : null,
    lastUsed: !spec.lastUsed ? 'unknown' : lastUsedAt ? { at: lastUsedAt } : 'never',
    expiresAt: spec.expires ? reader.date(spec.expires) : null,
  };
}
