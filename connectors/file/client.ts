import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type ExcelJS from 'exceljs';
import { ConfigError } from '../../src/sdk/index.js';

/*
 * The file connector's client: reads an export as the system wrote it (CSV, JSON or XLSX) into rows of text
 * cells, each with where it sits in the file, and the file's digest. It judges nothing: the mapping does.
 */

/** A cell as read: text, or a list where a JSON export holds an array. */
export type Cell = string | string[];

export interface ExportRow {
  /** Where the row is, as a person opening the file finds it: `line 5`, `sheet Users, row 5`, `record 5`. */
  at: string;
  cells: Record<string, Cell>;
}

export interface ExportFile {
  /** The path as the config names it. */
  file: string;
  format: 'csv' | 'json' | 'xlsx';
  sha256: string;
  bytes: number;
  /** The column headers (every field name met, for JSON). */
  columns: string[];
  rows: ExportRow[];
  /** How a problem names a column: `column X` in a table, `field X` in JSON. */
  columnWord: 'column' | 'field';
}

export interface ExportLocation {
  path: string;
  format?: 'csv' | 'json' | 'xlsx' | undefined;
  sheet?: string | undefined;
  delimiter?: string | undefined;
  records?: string | undefined;
}

function formatOf(location: ExportLocation): 'csv' | 'json' | 'xlsx' | undefined {
  if (location.format) return location.format;
  const extension = path.extname(location.path).toLowerCase();
  return extension === '.csv' || extension === '.txt' ? 'csv' : extension === '.json' ? 'json' : extension === '.xlsx' ? 'xlsx' : undefined;
}

/** Reads one export. A file that cannot be read or parsed is a ConfigError naming the file and where it broke. */
export async function readExport(location: ExportLocation, directory: string): Promise<ExportFile> {
  const full = path.resolve(directory, location.path);
  const format = formatOf(location);
  if (!format) throw new ConfigError(full, [{ path: '', message: 'cannot tell the format from the file name; set format: csv, json or xlsx' }]);
  const bytes = await readFile(full).catch(() => {
    throw new ConfigError(full, [{ path: '', message: 'cannot read the export; check its path (relative paths start at the config file\'s folder)' }]);
  });
  const base = { file: location.path, format, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  if (format === 'csv') return { ...base, ...readCsv(bytes, full, location.delimiter), columnWord: 'column' };
  if (format === 'xlsx') return { ...base, ...(await readXlsx(bytes, full, location.sheet)), columnWord: 'column' };
  return { ...base, ...readJson(bytes, full, location.records), columnWord: 'field' };
}

function readCsv(bytes: Buffer, file: string, delimiter = ','): { columns: string[]; rows: ExportRow[] } {
  let header: string[] = [];
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(bytes, {
      columns: (names: string[]) => (header = names.map((n) => n.trim())),
      delimiter,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      info: true,
    });
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw new ConfigError(file, [{ path: e.lines ? `line ${e.lines}` : '', message: `${e.message}; export the report again as CSV with one header row` }]);
  }
  return { columns: header, rows: records.map(({ record, info }) => ({ at: `line ${info.lines}`, cells: record })) };
}

/** A spreadsheet cell's value as text: dates as ISO 8601 instants, formulas by their result, rich text by its text. */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((part) => part.text).join('');
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
    if ('text' in value) return String(value.text);
    if ('error' in value) return '';
  }
  return String(value).trim();
}

async function readXlsx(bytes: Buffer, file: string, sheetName: string | undefined): Promise<{ columns: string[]; rows: ExportRow[] }> {
  // exceljs takes half a second of CPU to load: only a run that reads a workbook pays for it.
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `not a readable XLSX workbook (${(error as Error).message}); save the report as .xlsx` }]);
  }
  const sheet = sheetName ? workbook.getWorksheet(sheetName) : workbook.worksheets[0];
  if (!sheet) throw new ConfigError(file, [{ path: '', message: `no worksheet ${sheetName ?? ''}; it has ${workbook.worksheets.map((w) => w.name).join(', ')}` }]);
  let columns: string[] = [];
  const rows: ExportRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, number) => {
    const values = (row.values as ExcelJS.CellValue[]).slice(1).map(cellText);
    if (columns.length === 0) {
      columns = values;
      return;
    }
    if (values.every((v) => v === '')) return;
    rows.push({ at: `sheet ${sheet.name}, row ${number}`, cells: Object.fromEntries(columns.map((name, i) => [name, values[i] ?? ''])) });
  });
  return { columns, rows };
}

/** Nested objects become dotted names (`CreatedBy.Email`), as Salesforce's Data Loader names related fields. */
function flatten(record: Record<string, unknown>, prefix = '', into: Record<string, Cell> = {}): Record<string, Cell> {
  for (const [key, value] of Object.entries(record)) {
    const name = `${prefix}${key}`;
    if (Array.isArray(value)) into[name] = value.map((v) => (v === null || v === undefined ? '' : String(v)));
    else if (value !== null && typeof value === 'object') flatten(value as Record<string, unknown>, `${name}.`, into);
    else into[name] = value === null || value === undefined ? '' : String(value).trim();
  }
  return into;
}

function readJson(bytes: Buffer, file: string, recordsAt: string | undefined): { columns: string[]; rows: ExportRow[] } {
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `not valid JSON (${(error as Error).message})` }]);
  }
  let records: unknown = document;
  for (const key of recordsAt ? recordsAt.split('.') : []) records = (records as Record<string, unknown> | undefined)?.[key];
  if (!Array.isArray(records)) {
    throw new ConfigError(file, [{ path: recordsAt ?? '', message: recordsAt ? 'is not an array of records' : 'the file is not an array of records; name the property that holds them with records:' }]);
  }
  const columns = new Set<string>();
  const rows = records.map((record, i): ExportRow => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new ConfigError(file, [{ path: `record ${i + 1}`, message: 'is not an object of fields' }]);
    }
    const cells = flatten(record as Record<string, unknown>);
    for (const name of Object.keys(cells)) columns.add(name);
    return { at: `record ${i + 1}`, cells };
  });
  return { columns: [...columns], rows };
}
