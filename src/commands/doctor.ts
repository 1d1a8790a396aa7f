import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withPlugins, type SourceConfig } from '../config.js';
import { describeError, safeSegment } from '../engine/collect.js';
import { ConfigError, DoctorReportSchema, EXIT, ExitError, PagingSchema, TimeoutsSchema, type Connector, type DoctorReport, type Logger } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { safeLines, safeText } from '../terminal.js';
import { commandLogger, loadConfigFor, loadRegistries, resolveAsOf, type GlobalOptions } from './context.js';

interface DoctorOptions {
  source?: string;
  writePolicies?: string;
  format: 'text' | 'json';
}

/**
 * ok: every check passed; missing: a permission is refused; unreachable: the source could not be reached, or a
 * check failed in a way that says nothing about the permission; unchecked: the connector offers no doctor.
 */
type SourceStatus = 'ok' | 'missing' | 'unreachable' | 'unchecked';

interface SourceDiagnosis {
  source: string;
  connector: string;
  status: SourceStatus;
  report?: DoctorReport;
  error?: string;
  /** Where the grant was written, with --write-policies. */
  file?: string;
}

function statusOf(report: DoctorReport): SourceStatus {
  if (report.checks.some((check) => check.status === 'unknown')) return 'unreachable';
  return report.checks.some((check) => check.status === 'missing') ? 'missing' : 'ok';
}

async function diagnose(connector: Connector, source: SourceConfig, context: { baseDir: string; now: Date; log: Logger }): Promise<SourceDiagnosis> {
  const { name, connector: id, timeouts, paging, ...fields } = source;
  const base = { source: name, connector: id };
  if (!connector.doctor) return { ...base, status: 'unchecked' };
  try {
    const report = await connector.doctor(connector.config.parse(fields), {
      source: name,
      log: context.log.child({ source: name, connector: id }),
      env: process.env,
      baseDir: context.baseDir,
      now: context.now,
      timeouts: TimeoutsSchema.parse(timeouts ?? {}),
      paging: PagingSchema.parse(paging ?? {}),
    });
    // A connector package's report crosses the same boundary as its identities.
    const valid = DoctorReportSchema.parse(report);
    return { ...base, status: statusOf(valid), report: valid };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const { message } = describeError(error);
    const hint = (error as { hint?: string }).hint;
    return { ...base, status: 'unreachable', error: hint ? `${message} (${hint})` : message };
  }
}

/** The folder for --write-policies: made when missing, refused when it is a file, before any source is called. */
async function policyFolder(dir: string | undefined): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  const folder = path.resolve(dir);
  const info = await stat(folder).catch(() => undefined);
  if (info && !info.isDirectory()) throw new ExitError(EXIT.usage, `--write-policies: ${dir} is a file, not a folder; name a folder for the grant files`);
  return folder;
}

const LABEL: Record<string, string> = { granted: 'ok     ', missing: 'MISSING', unknown: 'UNKNOWN' };
const HEADLINE: Record<SourceStatus, string> = {
  ok: 'every permission the collection needs is granted',
  missing: 'a permission the collection needs is missing',
  unreachable: 'cannot be reached',
  unchecked: 'not checked: the connector offers no doctor',
};

function textOf(diagnoses: readonly SourceDiagnosis[]): string {
  const lines: string[] = [];
  for (const d of diagnoses) {
    lines.push(`${safeText(d.source)} (${d.connector}): ${HEADLINE[d.status]}`);
    if (d.error) lines.push(`  ${safeText(d.error)}`);
    if (!d.report) {
      lines.push('');
      continue;
    }
    for (const principal of d.report.principals) lines.push(`  credentials  ${safeText(principal.scope)}: ${safeText(principal.identity)}`);
    for (const check of d.report.checks) {
      const detail = check.detail ? `: ${safeText(check.detail)}` : '';
      lines.push(`  ${LABEL[check.status]}  ${safeText(check.scope)}  ${safeText(check.permission)}  (${safeText(check.operation)})${detail}`);
    }
    lines.push(`  grant to ask for: ${d.report.grant.description}${d.file ? ` (written to ${d.file})` : ''}`);
    for (const line of d.report.grant.content.trimEnd().split('\n')) lines.push(`    ${safeText(line)}`);
    lines.push('');
  }
  return lines.join('\n');
}

function exitCodeOf(diagnoses: readonly SourceDiagnosis[]): number {
  if (diagnoses.some((d) => d.status === 'unreachable')) return EXIT.incomplete;
  return diagnoses.some((d) => d.status === 'missing') ? EXIT.controlFailures : EXIT.ok;
}

/**
 * `nhi-audit doctor`: for each source, who its credentials are, which read permissions the collection lacks, and
 * the least-privilege grant to ask for; with --write-policies, one grant file per source.
 */
export default async function doctor(options: DoctorOptions, globals: GlobalOptions): Promise<number> {
  const registries = await loadRegistries();
  const folder = await policyFolder(options.writePolicies);
  const loaded = await loadConfigFor(globals);
  const sources = loaded.config.sources.filter((source) => options.source === undefined || source.name === options.source);
  if (sources.length === 0) {
    throw new ExitError(EXIT.usage, `--source: the config names no source "${options.source}"; its sources are ${loaded.config.sources.map((s) => s.name).join(', ')}`);
  }
  const connectors = new Map(withPlugins(registries, loaded.plugins).connectors.map((c) => [c.id, c]));
  const context = { baseDir: loaded.baseDir, now: resolveAsOf(globals), log: commandLogger(globals) };
  const diagnoses = await Promise.all(sources.map((source) => diagnose(connectors.get(source.connector)!, source, context)));

  if (folder) {
    await mkdir(folder, { recursive: true });
    for (const d of diagnoses) {
      if (!d.report) continue;
      const file = path.join(folder, `${safeSegment(d.source)}.${d.report.grant.fileSuffix}`);
      await writeFile(file, d.report.grant.content.endsWith('\n') ? d.report.grant.content : `${d.report.grant.content}\n`);
      d.file = path.relative(process.cwd(), file) || file;
    }
  }
  const exitCode = exitCodeOf(diagnoses);
  if (options.format === 'json') {
    const sourcesOut = diagnoses.map(({ report, ...d }) => ({ ...d, ...(report ?? {}) }));
    process.stdout.write(`${stableStringify({ exitCode, sources: sourcesOut }, 2)}\n`);
  } else {
    process.stdout.write(safeLines(textOf(diagnoses)));
  }
  return exitCode;
}
