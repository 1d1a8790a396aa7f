import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { evaluate } from '../engine/evaluate.js';
import { activeControls } from '../engine/pipeline.js';
import { diffPacks } from '../evidence/diff.js';
import type { RunRecord } from '../evidence/pack.js';
import { readPack, resultSetOf, type PackData } from '../evidence/read-pack.js';
import { loadReportText, reportChanges, reportModel, reportSample } from '../evidence/report.js';
import type { SampleSelection } from '../evidence/sample.js';
import { ExitError, EXIT } from '../sdk/index.js';
import { writers } from '../writers/index.js';
import { renderReportPdf, type ReportSample } from '../writers/pdf.js';
import { registries, type GlobalOptions } from './context.js';

/** The sample addenda beside a pack (`<pack>.samples/<id>/manifest.json`). */
async function samplesOf(packDir: string): Promise<ReportSample[]> {
  const root = `${packDir}.samples`;
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const samples: ReportSample[] = [];
  for (const entry of entries.filter((e) => e.isDirectory() && !e.name.endsWith('.partial')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const manifest = JSON.parse(await readFile(path.join(root, entry.name, 'manifest.json'), 'utf8')) as { sample: SampleSelection };
    samples.push(reportSample(entry.name, manifest.sample));
  }
  return samples;
}

async function previousOf(pack: PackData): Promise<PackData | undefined> {
  const previous = pack.manifest.previous;
  if (!previous) return undefined;
  const outputRoot = path.dirname(path.dirname(path.resolve(pack.dir)));
  return readPack(path.join(outputRoot, previous.path)).catch(() => undefined);
}

/** Re-renders report.pdf and summary.md of a sealed pack into a new folder; the pack is never written to. */
export default async function report(packDir: string, options: { out?: string }, _globals: GlobalOptions): Promise<number> {
  const pack = await readPack(packDir);
  const out = path.resolve(options.out ?? `report-${pack.manifest.runId}`);
  if (out === path.resolve(packDir) || out.startsWith(`${path.resolve(packDir)}${path.sep}`)) {
    throw new ExitError(EXIT.usage, `--out: ${out} is inside the sealed pack; choose a folder outside it`);
  }
  if ((await readdir(out).catch(() => [])).length > 0) throw new ExitError(EXIT.usage, `--out: ${out} is not empty; choose a new folder`);

  const config = pack.config as unknown as Config;
  const evaluation = evaluate(pack.identities, activeControls({ file: 'config.json', baseDir: packDir, config }, registries), {
    now: new Date(pack.manifest.asOf),
    waivers: pack.waivers,
    includeHumans: config.evaluate.includeHumans,
  });
  const results = resultSetOf(pack, evaluation.waivers);
  const manifest = pack.manifest as typeof pack.manifest & Pick<RunRecord, 'operator'> & { toolCommit: string | null };
  const record = {
    runId: manifest.runId,
    cycle: manifest.cycle,
    asOf: manifest.asOf,
    finishedAt: manifest.finishedAt,
    operator: manifest.operator,
    ...(manifest.toolCommit ? { toolCommit: manifest.toolCommit } : {}),
  };
  const previous = await previousOf(pack);
  const changes = previous
    ? reportChanges(
        diffPacks(
          { runId: previous.manifest.runId, cycle: previous.manifest.cycle.id, asOf: previous.manifest.asOf, identities: previous.identities, findings: previous.findings },
          { runId: manifest.runId, cycle: manifest.cycle.id, asOf: manifest.asOf, identities: pack.identities, findings: pack.findings },
        ),
      )
    : undefined;
  const pdf = await renderReportPdf(
    reportModel(results, evaluation, record, pack.manifest.signing.keyId, await loadReportText(), { ...(changes ? { changes } : {}), samples: await samplesOf(packDir) }),
  );
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'report.pdf'), pdf);
  await writeFile(path.join(out, 'summary.md'), writers.md.render(results));
  process.stdout.write(`Wrote ${path.join(out, 'report.pdf')} and summary.md (the sealed pack ${packDir} is unchanged)\n`);
  return EXIT.ok;
}
