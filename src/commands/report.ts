import type { KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { diffStreamedPacks } from '../evidence/diff.js';
import type { Evaluation } from '../engine/evaluate.js';
import type { RunRecord } from '../evidence/pack.js';
import { z } from 'zod';
import type { Config } from '../config.js';
import { inputsFrom } from '../engine/pipeline.js';
import { displayPath, forEachJsonItem, openLinkedPack, streamedSide, readSealedInputs, resultSetOf, type PackData, type PackHead } from '../evidence/read-pack.js';
import { loadReportText, reportChanges, reportModel, reportSample } from '../evidence/report.js';
import type { SampleSelection } from '../evidence/sample.js';
import { verifyPack } from '../evidence/verify.js';
import { ExitError, EXIT, FindingSchema, WaiverSchema } from '../sdk/index.js';
import { writers } from '../writers/index.js';
import { sortResultSet, sortWaivers } from '../writers/sorted.js';
import { SummaryFold } from '../writers/summary.js';
import type { ResultSet } from '../writers/types.js';
import { renderReportPdf, type ReportSample } from '../writers/pdf.js';
import { controls } from '../controls/index.js';
import { openPackArgument, optionalConfig, trustedKeys, type GlobalOptions } from './context.js';
import { reperformPack } from './reperform.js';
import { systemsInScope } from './results.js';

/**
 * The sample addenda beside a pack (`<pack>.samples/<id>/`), each verified and bound to this pack by its
 * attestation digest: a report never shows a sample as signed that is not.
 */
async function samplesOf(pack: PackHead, keys: readonly KeyObject[]): Promise<ReportSample[]> {
  const root = `${pack.dir}.samples`;
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const samples: ReportSample[] = [];
  for (const entry of entries.filter((e) => e.isDirectory() && !e.name.endsWith('.partial')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const dir = path.join(root, entry.name);
    const verification = await verifyPack(dir, keys);
    const manifest = verification.manifest as { kind?: string; pack?: { attestationDigest?: string } } | undefined;
    const problems = [...verification.problems];
    if (verification.ok && (manifest?.kind !== 'sample-addendum' || manifest.pack?.attestationDigest !== pack.attestationDigest)) {
      problems.push('it is not a sample addendum drawn from this pack (its pack attestation digest differs)');
    }
    if (problems.length > 0) {
      throw new ExitError(EXIT.controlFailures, `${displayPath(dir)}: the sample addendum does not verify, so no report is written:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    }
    const { sample } = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { sample: SampleSelection };
    samples.push(reportSample(entry.name, sample));
  }
  return samples;
}

const SealedAccount = z.object({
  population: z.object({ evaluated: z.number().int(), excluded: z.array(z.object({ reason: z.string(), identities: z.number().int() }).strict()) }),
  waivers: z.array(z.object({ ...WaiverSchema.shape, state: z.enum(['applied', 'expired', 'unused']), inForce: z.boolean(), findings: z.number().int() }).strict()),
});

/**
 * What the run sealed of its evaluation besides the findings: each waiver's use (findings.json's summary) and the
 * population evaluated (the manifest). A report re-renders what the pack holds, so nothing is evaluated again;
 * undefined for a pack too old to hold them, which is re-performed instead.
 */
function sealedAccount(pack: PackHead, around: Record<string, unknown>) {
  const sealed = SealedAccount.safeParse({
    population: (pack.manifest as { population?: unknown }).population,
    waivers: (around.summary as { waivers?: unknown } | undefined)?.waivers,
  });
  if (!sealed.success) return undefined;
  const { population, waivers } = sealed.data;
  return {
    evaluated: population.evaluated,
    excluded: population.excluded,
    waivers: waivers.map(({ state, inForce: _inForce, findings, ...waiver }) => ({ waiver, state, findings })),
  };
}

/** A pack too old to hold that account is evaluated again for it. */
async function reperformedAccount(pack: PackData<'identities'>) {
  const { evaluation } = await reperformPack(pack);
  for (const _finding of evaluation.findings);
  return evaluation.account();
}

/**
 * The pack's results as its writers render them: findings.json is folded as it streams past into the summary of
 * every finding, and only the findings the summary lists are held.
 */
async function sealedResults(pack: PackData<'identities'>): Promise<{ results: ResultSet; evaluation: Omit<Evaluation, 'findings'> }> {
  const { systems } = inputsFrom(pack.config as unknown as Config, await readSealedInputs(pack), controls.map((c) => c.meta.id));
  const { findings: _none, ...base } = { ...resultSetOf({ ...pack, findings: [] }, undefined), ...(systems ? { systems: systemsInScope(systems.systems) } : {}) };
  let fold!: SummaryFold;
  const around = await forEachJsonItem(pack.dir, 'findings.json', 'findings', FindingSchema, () => ((fold = new SummaryFold(base, true)), { item: (f) => fold.add(f) }), 'around');
  const evaluation = sealedAccount(pack, around) ?? (await reperformedAccount(pack));
  const waivers = sortWaivers(evaluation.waivers);
  return { results: sortResultSet({ ...base, findings: fold.listed, waivers, summary: fold.summary(waivers) }), evaluation };
}

/** Re-renders report.pdf and summary.md of a verified pack into a new folder; the pack is never written to. */
export default async function report(packDir: string, options: { out?: string; publicKey: string[] }, globals: GlobalOptions): Promise<number> {
  const keys = await trustedKeys(options.publicKey, await optionalConfig(globals));
  const head = await openPackArgument(packDir, keys, ['identities']);
  // The default folder is named from the path the user gave, never from the pack's content.
  const out = path.resolve(options.out ?? `report-${path.basename(head.dir)}`);
  if (out === head.dir || out.startsWith(`${head.dir}${path.sep}`)) {
    throw new ExitError(EXIT.usage, `--out: ${out} is inside the sealed pack; choose a folder outside it`);
  }
  if ((await readdir(out).catch(() => [])).length > 0) throw new ExitError(EXIT.usage, `--out: ${out} is not empty; choose a new folder`);

  const pack = head;
  const { results, evaluation } = await sealedResults(pack);
  const manifest = pack.manifest as typeof pack.manifest & Pick<RunRecord, 'operator'> & { toolCommit: string | null };
  const record = {
    runId: manifest.runId,
    cycle: manifest.cycle,
    asOf: manifest.asOf,
    finishedAt: manifest.finishedAt,
    operator: manifest.operator,
    ...(manifest.toolCommit ? { toolCommit: manifest.toolCommit } : {}),
  };
  // Changes are measured against the complete pack the run compared itself with, verified and checked to be that pack.
  const baseline = manifest.baseline ? await openLinkedPack(pack, manifest.baseline, keys, []) : undefined;
  const changes = baseline
    ? reportChanges(
        await diffStreamedPacks(streamedSide(baseline), streamedSide(pack), { stillOpen: 'counted' }),
      )
    : undefined;
  const pdf = await renderReportPdf(
    reportModel(results, evaluation, record, pack.manifest.signing.keyId, await loadReportText(), { ...(changes ? { changes } : {}), samples: await samplesOf(pack, keys) }),
  );
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'report.pdf'), pdf);
  await writeFile(path.join(out, 'summary.md'), writers.md.render(results));
  const checked = pack.verification.signatureChecked ? `signed by key ${pack.verification.keyId}` : 'signature not checked';
  process.stdout.write(`Wrote ${displayPath(path.join(out, 'report.pdf'))} and summary.md from ${displayPath(pack.dir)} (verified: every digest matches, ${checked}; the pack is unchanged)\n`);
  return EXIT.ok;
}
