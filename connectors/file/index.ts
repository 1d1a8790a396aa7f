import path from 'node:path';
import { ConfigError, defineConnector, IdentityKindSchema, type Identity, type RawPage, type ScopeRecorder } from '../../src/sdk/index.js';
import { readExport, type ExportFile } from './client.js';
import { FileConfigSchema, type FileConfig } from './config.js';
import { CONNECTOR_ID, mapExports, mappedColumns, resolveMapping, type FileProblem, type Mapping, type MappedExport } from './normalize.js';

/*
 * Systems without a practical API (ERP, finance SaaS) reach the audit as exports. Each export's digest, row count
 * and provenance (system, report, who ran it, when) go into the manifest with the rows the mapping read, and the
 * row count is reconciled with the control total the report states: the questions an auditor asks of information
 * produced by the entity.
 */

const ROWS_PER_PAGE = 500;

interface FileClient {
  config: FileConfig;
  mapping: Mapping;
  /** Where export paths start. */
  directory: string;
}

/** Every problem of every file at once; the CLI prints each as `file: line N, column X: message` and exits 2. */
function problemsError(directory: string, problems: readonly FileProblem[]): ConfigError {
  // A column two settings read (TRDAT: last use and the password's) is reported once.
  const seen = new Set<string>();
  const unique = problems.filter((p) => !seen.has(`${p.file}\n${p.path}\n${p.message}`) && seen.add(`${p.file}\n${p.path}\n${p.message}`));
  const files = [...new Set(unique.map((p) => p.file))];
  const errors = files.map((file) => new ConfigError(path.resolve(directory, file), unique.filter((p) => p.file === file)));
  const error = errors[0]!;
  if (errors.length > 1) error.message = errors.map((e) => e.message).join('\n');
  return error;
}

async function readAll(config: FileConfig, directory: string): Promise<{ main: ExportFile; related: ExportFile[] }> {
  const [main, ...related] = await Promise.all([config.export, ...config.related].map((location) => readExport(location, directory)));
  return { main: main!, related };
}

function headerAt(file: ExportFile, sheet: string | undefined): string {
  return file.format === 'json' ? 'every record' : file.format === 'xlsx' ? `sheet ${sheet ?? 'one'}, row 1 (the header)` : 'line 1 (the header)';
}

function unpaged(file: ExportFile, sheet: string | undefined): MappedExport {
  return { file: file.file, columnWord: file.columnWord, columns: file.columns, headerAt: headerAt(file, sheet), rows: file.rows, rawRefs: file.rows.map(() => '') };
}

/** Keeps the rows of one export (only the columns the mapping reads) as pages, with the export's provenance. */
async function keep(scope: ScopeRecorder, file: ExportFile, role: string, provenance: Record<string, unknown>, mapping: Mapping, sheet: string | undefined): Promise<MappedExport> {
  const kept = mappedColumns(mapping, file.file).filter((c, i, all) => all.indexOf(c) === i && file.columns.includes(c));
  const parameters = {
    file: file.file,
    role,
    format: file.format,
    ...(sheet ? { sheet } : {}),
    sha256: file.sha256,
    bytes: file.bytes,
    rows: file.rows.length,
    ...provenance,
    columnsKept: kept,
  };
  const rawRefs: string[] = [];
  for (let start = 0; start === 0 || start < file.rows.length; start += ROWS_PER_PAGE) {
    const rows = file.rows.slice(start, start + ROWS_PER_PAGE).map((row) => ({ at: row.at, cells: Object.fromEntries(kept.map((c) => [c, row.cells[c] ?? ''])) }));
    const ref = await scope.page('ReadExport', parameters, { columns: kept, rows }, { records: rows.length });
    for (let i = 0; i < rows.length; i++) rawRefs.push(ref);
  }
  return { file: file.file, columnWord: file.columnWord, columns: kept, headerAt: headerAt(file, sheet), rows: file.rows, rawRefs };
}

export default defineConnector({
  id: CONNECTOR_ID,
  title: 'Exports of systems without an API (ERP, finance SaaS): CSV, JSON or XLSX through a column mapping',
  kinds: IdentityKindSchema.options,
  config: FileConfigSchema,
  async checkInputs(config, context) {
    const directory = path.resolve(context.baseDir, config.directory ?? '.');
    const { main, related } = await readAll(config, directory);
    const mapping = resolveMapping(config, context.source);
    // Which rows are valid does not depend on the as-of date (only which assignments have ended does).
    const result = mapExports(mapping, unpaged(main, config.export.sheet), related.map((r, i) => unpaged(r, config.related[i]!.sheet)), { source: context.source, now: new Date(0) });
    if (result.problems.length > 0) throw problemsError(directory, result.problems);
  },
  async connect(config, context): Promise<FileClient> {
    return { config, mapping: resolveMapping(config, context.source), directory: path.resolve(context.baseDir, config.directory ?? '.') };
  },
  async *collect({ config, mapping, directory }, context) {
    const scope = context.scope(mapping.scope);
    const { main, related } = await readAll(config, directory);
    const { report, producedBy, producedAt } = config.export;
    // Whoever ran the report read the population from the system: the collector, in the IPE's terms.
    context.collector(producedBy);
    scope.collector(producedBy);
    const keptMain = await keep(scope, main, 'main', { system: config.system, report, producedBy, producedAt }, mapping, config.export.sheet);
    const keptRelated: MappedExport[] = [];
    for (const [i, file] of related.entries()) {
      const spec = config.related[i]!;
      const provenance = { system: config.system, report: spec.report, producedBy: spec.producedBy ?? producedBy, producedAt: spec.producedAt ?? producedAt };
      keptRelated.push(await keep(scope, file, spec.adds, provenance, mapping, spec.sheet));
    }
    for (const [file, expected] of [[main, config.export.expectedRows], ...related.map((r, i) => [r, config.related[i]!.expectedRows] as const)] as const) {
      if (expected !== undefined) scope.reconcile(`rows of ${file.file} against the control total its report states`, expected, file.rows.length);
    }
    const result = mapExports(mapping, keptMain, keptRelated, { source: context.source, now: context.now });
    await scope.page('MapExport', { preset: mapping.preset }, { main: main.file, mapping, joins: result.joins, identities: result.identities.length }, { records: result.identities.length });
    if (result.problems.length > 0) throw problemsError(directory, result.problems);
    yield* result.identities;
  },
  // One export a source, in the one scope its mapping names.
  listScopes: async ({ mapping }) => ({ scopes: [mapping.scope] }),
  async fromRaw(raw, context) {
    const identities: Identity[] = [];
    for (const scope of raw.scopes()) {
      const [mapped] = await raw.pages(scope, 'MapExport');
      if (!mapped) continue;
      const { main, mapping } = mapped.body as { main: string; mapping: Mapping };
      const byFile = new Map<string, RawPage[]>();
      for (const page of await raw.pages(scope, 'ReadExport')) {
        const file = String(page.parameters.file);
        byFile.set(file, [...(byFile.get(file) ?? []), page]);
      }
      const exportOf = (file: string): MappedExport => {
        const pages = byFile.get(file) ?? [];
        const bodies = pages.map((p) => p.body as { columns: string[]; rows: MappedExport['rows'] });
        return {
          file,
          columnWord: 'column',
          columns: bodies[0]?.columns ?? [],
          headerAt: 'the header',
          rows: bodies.flatMap((b) => b.rows),
          rawRefs: pages.flatMap((p, i) => bodies[i]!.rows.map(() => p.path)),
        };
      };
      const result = mapExports(mapping, exportOf(main), mapping.related.map((r) => exportOf(r.file)), { source: context.source, now: context.now });
      // Not push(...): an export of over about 125 000 rows would pass V8's limit on a call's arguments.
      for (const identity of result.identities) identities.push(identity);
    }
    return identities;
  },
});
