import type { Finding, Identity } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { describeLastUsed } from './describe.js';
import { sortResultSet } from './sorted.js';
import { everyFinding, everyListed } from './summary.js';
import { streamingWriter, type ControlInForce, type ResultSet, type Writer } from './types.js';

type Cell = string | number;

/**
 * RFC 4180: a header row, CRLF after every record, quotes where needed. Cells holding a bare LF or CR are quoted
 * too, and cells a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab, CR, or their full-width
 * forms) get a leading `'`: auditors open these files in Excel, and identity names, tags and messages come from
 * the providers. These are csv-stringify's rules with `quoted_match: /[\r\n]/` and `escape_formulas`, and a test
 * holds them to its output byte for byte; they are applied here because csv-stringify took 8 µs a row, the
 * largest single cost of sealing a pack of a million findings.
 */
export function toCsv(columns: readonly string[], rows: readonly Cell[][]): string {
  return [...csvChunks(columns, rows)].join('');
}

const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);
const NEEDS_QUOTES = /[",\r\n]/;

function csvCell(cell: Cell): string {
  // Numbers are never taken for formulas: a negative amount stays a number.
  const text = typeof cell === 'number' ? String(cell) : FORMULA_START.has(cell[0]!) ? `'${cell}` : cell;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvRecord(cells: readonly Cell[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + csvCell(cells[i]!);
  return `${line}\r\n`;
}

/** Rows joined this many at a time: pieces small enough to stream, big enough to keep the overhead low. */
const CSV_BATCH = 2000;

/** `toCsv` in pieces of CSV_BATCH rows, the header in the first, so a large population is never one string. */
export function* csvChunks(columns: readonly string[], rows: Iterable<Cell[]>): Generator<string> {
  let text = csvRecord(columns);
  let count = 0;
  for (const row of rows) {
    text += csvRecord(row.length > columns.length ? row.slice(0, columns.length) : row);
    if (++count === CSV_BATCH) {
      yield text;
      text = '';
      count = 0;
    }
  }
  if (text !== '') yield text;
}

/** `items` mapped lazily, so a writer's rows are made as they are written. */
function* mapped<T, U>(items: Iterable<T>, map: (item: T) => U): Generator<U> {
  for (const item of items) yield map(item);
}

/** The date the age of an identity's oldest active credential counts from, or `unknown` when one has neither date. */
function oldestActiveSince(identity: Identity): string {
  const active = identity.credentials.filter((c) => c.status === 'active');
  if (active.length === 0) return '';
  const since = active.map((c) => c.rotatedAt ?? c.createdAt);
  if (since.includes(null)) return 'unknown';
  return (since as string[]).reduce((oldest, s) => (s < oldest ? s : oldest));
}

const INVENTORY_COLUMNS = [
  'id', 'connector', 'source', 'scope', 'kind', 'name', 'status', 'classification', 'classification_reason',
  'created_at', 'last_used', 'credentials', 'active_credentials', 'oldest_active_credential_since',
  'privilege_level', 'privilege_flags', 'owner', 'owner_status', 'approval_ticket', 'environment', 'vendor', 'raw_ref',
] as const;

function inventoryRow(identity: Identity): Cell[] {
  return [
    identity.id,
    identity.connector,
    identity.source,
    identity.scope,
    identity.kind,
    identity.name,
    identity.status,
    identity.classification.value,
    identity.classification.reason,
    identity.createdAt ?? '',
    describeLastUsed(identity.lastUsed),
    identity.credentials.length,
    identity.credentials.filter((c) => c.status === 'active').length,
    oldestActiveSince(identity),
    identity.privilege.level,
    identity.privilege.flags.join(' '),
    identity.owner?.id ?? '',
    identity.owner?.status ?? '',
    identity.approval?.ticket ?? '',
    identity.environment ?? '',
    identity.vendor ?? '',
    identity.rawRef,
  ];
}

export const inventoryCsv: Writer = streamingWriter({
  id: 'inventory-csv',
  fileName: 'inventory.csv',
  chunks(results) {
    return csvChunks(INVENTORY_COLUMNS, mapped(sortResultSet(results).identities, inventoryRow));
  },
});

const FINDING_COLUMNS = [
  'control_id', 'control_title', 'severity', 'identity_id', 'credential_id', 'status', 'message', 'waiver_ticket', 'evidence', 'collection',
] as const;

/** What a finding's row of findings.csv takes from beyond the finding: its control's title, its scope's verdict. */
/**
 * findings.csv's header, and each finding's record in it (with CRLF), for a run that writes them as they come;
 * `evidence` is the finding's evidence as `stableStringify` writes it, when it was written already.
 */
export function findingsCsvRecords(results: Pick<ResultSet, 'controls' | 'sources' | 'identities'>): { header: string; record(finding: Finding, evidence?: string): string } {
  const controls = controlsById(results);
  const verdicts = identityVerdicts(results);
  return {
    header: csvRecord(FINDING_COLUMNS),
    record: (f, evidence = stableStringify(f.evidence)) =>
      csvRecord([
        f.controlId,
        controls.get(f.controlId)?.title ?? '',
        f.severity,
        f.identityId,
        f.credentialId ?? '',
        f.status,
        f.message,
        f.waiver?.ticket ?? '',
        evidence,
        verdicts(f.identityId),
      ]),
  };
}

/**
 * Each identity's scope verdict: whether the population its finding was judged in was read whole. Where every
 * source and scope has the same verdict, no identity need be looked up (nor a million held by id).
 */
function identityVerdicts(results: Pick<ResultSet, 'sources' | 'identities'>): (identityId: string) => string {
  const scopeVerdicts = new Map(results.sources.flatMap((s) => s.scopes.map((scope) => [`${s.source}\n${scope.scope}`, scope.verdict] as const)));
  const sourceVerdicts = new Map(results.sources.map((s) => [s.source, s.verdict]));
  const all = new Set([...scopeVerdicts.values(), ...sourceVerdicts.values()]);
  if (all.size === 1 && results.identities.length > 0) {
    const [verdict] = all;
    return () => verdict!;
  }
  const byId = new Map<string, string>();
  for (const i of results.identities) byId.set(i.id, scopeVerdicts.get(`${i.source}\n${i.scope}`) ?? sourceVerdicts.get(i.source) ?? '');
  return (identityId) => byId.get(identityId) ?? '';
}

function controlsById(results: Pick<ResultSet, 'controls'>): Map<string, ControlInForce> {
  return new Map(results.controls.map((c) => [c.id, c]));
}

/** The header, then the findings' records (none for a finding `record` leaves out), CSV_BATCH records a piece. */
function* inBatches(header: string, findings: Iterable<Finding>, record: (finding: Finding) => string | undefined): Generator<string> {
  let text = header;
  let count = 0;
  for (const finding of findings) {
    const line = record(finding);
    if (line === undefined) continue;
    text += line;
    if (++count % CSV_BATCH === 0) {
      yield text;
      text = '';
    }
  }
  if (text !== '') yield text;
}

/** Every control result, one row each. */
const findingsCsv: Writer = streamingWriter({
  id: 'csv',
  fileName: 'findings.csv',
  everyFinding: true,
  *chunks(results) {
    const sorted = sortResultSet(results);
    const { header, record } = findingsCsvRecords(sorted);
    yield* inBatches(header, everyFinding(sorted), record);
  },
});

export default findingsCsv;

const COLLECTION_COLUMNS = ['source', 'connector', 'scope', 'verdict', 'identities', 'counts_reconciled', 'reason'] as const;

/**
 * The collection's verdict per source and scope, written beside a CSV output (`findings.collection.csv`): a CSV
 * cannot say in its own rows that a source it has no rows for was not read.
 */
export const collectionCsv: Writer = {
  id: 'collection-csv',
  fileName: 'collection.csv',
  render(results) {
    const sorted = sortResultSet(results);
    const rows = sorted.sources.flatMap((source) => [
      [source.source, source.connector, '', source.verdict, source.identities, '', source.errors.join('; ')],
      ...source.scopes.map((scope) => [
        source.source,
        source.connector,
        scope.scope,
        scope.verdict,
        scope.identities,
        `${scope.reconciliations.filter((r) => r.matches).length} of ${scope.reconciliations.length}`,
        [...scope.errors.map((e) => `${e.operation}: ${e.message}`), ...scope.unreadable.map((u) => `${u.kind}: ${u.reason}`)].join('; '),
      ]),
    ]);
    return toCsv(COLLECTION_COLUMNS, rows);
  },
};

const EXCEPTION_COLUMNS = [
  'control_id', 'control_title', 'severity', 'status', 'identity_id', 'identity_name', 'credential_id', 'message',
  'owner', 'owner_status', 'remediation', 'waiver_reason', 'waiver_ticket', 'waiver_approver', 'waiver_expires',
] as const;

/**
 * exceptions.csv's header, and the record (with CRLF) of a failing or excepted finding in it (undefined for any
 * other), for a run that writes them as they come.
 */
export function exceptionsCsvRecords(results: Pick<ResultSet, 'controls' | 'identities'>): { header: string; record(finding: Finding): string | undefined } {
  const controls = controlsById(results);
  // Only what the records show, so a spilled population is not held whole.
  const identities = new Map<string, Pick<Identity, 'name' | 'owner'>>();
  for (const i of results.identities) identities.set(i.id, { name: i.name, ...(i.owner ? { owner: i.owner } : {}) });
  return {
    header: csvRecord(EXCEPTION_COLUMNS),
    record(f) {
      if (f.status !== 'fail' && f.status !== 'excepted') return undefined;
      const identity = identities.get(f.identityId);
      const control = controls.get(f.controlId);
      return csvRecord([
        f.controlId,
        control?.title ?? '',
        f.severity,
        f.status,
        f.identityId,
        identity?.name ?? '',
        f.credentialId ?? '',
        f.message,
        identity?.owner?.id ?? '',
        identity?.owner?.status ?? '',
        control?.remediation ?? '',
        f.waiver?.reason ?? '',
        f.waiver?.ticket ?? '',
        f.waiver?.approver ?? '',
        f.waiver?.expires ?? '',
      ]);
    },
  };
}

/** Failed and excepted findings with what an auditor follows up on: who owns it, the fix, the waiver's authority. */
export const exceptionsCsv: Writer = streamingWriter({
  id: 'exceptions-csv',
  fileName: 'exceptions.csv',
  *chunks(results) {
    const sorted = sortResultSet(results);
    const { header, record } = exceptionsCsvRecords(sorted);
    yield* inBatches(header, everyListed(sorted), record);
  },
});
