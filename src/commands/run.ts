import type { KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { LoadedConfig } from '../config.js';
import type { SourceResult } from '../engine/collect.js';
import { loadInputs, runPipeline, withRecertification, type RunInputs } from '../engine/pipeline.js';
import { spillAtFrom } from '../engine/population.js';
import { checkPlanConfig, mergeParts, planUnits } from '../engine/shard.js';
import { copyPartFiles, openPart, PART_PLAN_FILE } from '../evidence/part.js';
import { cycleOf, parseCycle, type Cycle } from '../evidence/cycle.js';
import type { SigningKey } from '../evidence/keys.js';
import { describeOperator } from '../evidence/operator.js';
import { diffStreamedPacks, type StreamedPackSide } from '../evidence/diff.js';
import { FINDINGS_FILES, writeFindingsFiles } from '../evidence/findings-files.js';
import { lockOutput } from '../evidence/lock.js';
import { discardStaging, linkTo, newRunId, writePack, type PackContents, type PackLinks, type RunRecord } from '../evidence/pack.js';
import { latestCampaignInput } from '../evidence/recert-latest.js';
import { displayPath, listPacks, packFindingBriefs, packFindings, streamedSide, openPack, type PackEntry, type PackHead } from '../evidence/read-pack.js';
import { loadReportText, reportChanges, reportModel } from '../evidence/report.js';
import { toolCommit as commitOf, toolVersion } from '../paths.js';
import { renderReportPdf } from '../writers/pdf.js';
import { ExitError, EXIT, type Finding, type Logger } from '../sdk/index.js';
import { collectionCsv } from '../writers/csv.js';
import { junitStreamed } from '../writers/junit.js';
import { packWriters, writers } from '../writers/index.js';
import { isListed, withEveryListed } from '../writers/summary.js';
import type { ResultSet } from '../writers/types.js';
import { describeIncompleteness } from '../writers/describe.js';
import { commandLogger, loadConfigFor, withSystemsOption, loadRegistries, resolveAsOf, signingKeyFor, sourceProgress, trustedKeys, type GlobalOptions } from './context.js';
import { evaluationPieces, RUN_HANDED_AT_MOST, RUN_ONE_IN } from './evaluation-thread.js';
import { collectGarbage } from '../heap.js';
import { collectionSibling, emit, resolveOutputs, streamOutput, type OutputTarget, type ReportOptions } from './output.js';
import { exitCodeFor, resultBase } from './results.js';

export interface RunSettings {
  asOf: Date;
  cycle: Cycle;
  output: string;
  log: Logger;
  env: Readonly<Record<string, string | undefined>>;
  clock?: () => Date;
  onSource?: (result: SourceResult) => void;
  /** The operator accepts a pack whose as-of precedes the newest pack's. */
  backfill?: boolean;
  /** How long to wait for another run writing into the same output folder. */
  waitMs?: number;
  /** Keys older packs may be signed with besides the signing key (pinned in the config after a rotation). */
  trustedKeys?: readonly KeyObject[];
  /** What the shards of a plan collected (`run --from-parts`), with their raw pages put under the given folder. */
  collected?: (rawDir: string) => Promise<SourceResult[]>;
  /** The plan and parts a merged pack was made from, for its manifest. */
  sharding?: RunRecord['sharding'];
}

export interface SealedRun {
  dir: string;
  /** Only the findings the summary lists (failing, excepted), with the summary of them all; the pack has every one. */
  results: ResultSet;
  attestationDigest: string;
}

/** Days between two instants, for saying how far apart a cycle and an as-of date are. */
const daysBetween = (from: string, to: Date) => Math.floor((to.getTime() - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** The cycle named (or the one the as-of falls in); a cycle that has not begun by the as-of date is refused. */
export function resolveCycle(cycleId: string | undefined, asOf: Date, loaded: LoadedConfig, warn: (line: string) => void = () => undefined): Cycle {
  const fiscalStart = loaded.config.fiscalYearStartMonth;
  if (!cycleId) return cycleOf(asOf, fiscalStart);
  const cycle = parseCycle(cycleId, fiscalStart);
  if (!cycle) throw new ExitError(EXIT.usage, `--cycle: "${cycleId}" is not a cycle such as 2026-Q4 or FY2027-Q1`);
  const asOfDay = asOf.toISOString().slice(0, 10);
  if (cycle.start > asOfDay) {
    throw new ExitError(EXIT.usage, `--cycle: ${cycle.id} starts on ${cycle.start}, after the as-of date ${asOfDay}: evidence cannot be collected for a period that has not begun (check --as-of)`);
  }
  const late = daysBetween(cycle.end, asOf);
  if (late > 92) warn(`note: the as-of date ${asOfDay} is ${late} days after cycle ${cycle.id} ended (${cycle.end}); the pack shows the population as of ${asOfDay}, not as of the cycle`);
  return cycle;
}

/**
 * The packs a new one names: the chain's head (the newest sealed, whatever its cycle) and, for its changes, the
 * newest complete pack as of the same date or earlier. Both are verified before anything is collected; their
 * populations are read only when the changes are worked out, so they are not held while the run collects.
 * A new pack dated before the head is a backfill, which the operator must ask for.
 */
async function packLinks(settings: RunSettings, keys: readonly KeyObject[]): Promise<{ links: PackLinks; baseline?: PackHead; packs: PackEntry[] }> {
  const { packs, problems } = await listPacks(settings.output);
  for (const problem of problems) settings.log.warn({ output: settings.output }, `not a pack in the chain: ${problem}`);
  const head = packs.at(-1);
  if (!head) return { links: { previous: undefined, baseline: undefined, backfill: false }, packs };
  const open = async (entry: PackEntry) =>
    openPack(entry.dir, keys, []).catch((error: unknown) => {
      if (error instanceof ExitError) throw new ExitError(error.exitCode, `${error.message}\nA new pack would name it; nothing was collected.`);
      throw error;
    });
  const headPack = await open(head);
  const asOf = settings.asOf.getTime();
  const backfill = asOf < Date.parse(headPack.manifest.asOf);
  if (backfill && !settings.backfill) {
    throw new ExitError(
      EXIT.usage,
      `--as-of ${settings.asOf.toISOString()} precedes the as-of date of the newest pack ${head.relative} (${headPack.manifest.asOf}): ` +
        'a pack for an earlier date is a backfill; pass --backfill to seal it as one (the manifest records it)',
    );
  }
  const candidates = packs.filter((p) => p.manifest.verdict !== 'incomplete' && Date.parse(p.manifest.asOf) <= asOf);
  candidates.sort((a, b) => Date.parse(a.manifest.asOf) - Date.parse(b.manifest.asOf) || (a.manifest.finishedAt < b.manifest.finishedAt ? -1 : 1));
  const base = candidates.at(-1);
  const baseline = base === undefined ? undefined : base === head ? headPack : await open(base);
  return {
    links: {
      previous: linkTo(settings.output, head, headPack.attestationDigest),
      baseline: base && baseline ? linkTo(settings.output, base, baseline.attestationDigest) : undefined,
      backfill,
    },
    ...(baseline ? { baseline } : {}),
    packs,
  };
}

async function changesSince(baseline: StreamedPackSide | undefined, current: StreamedPackSide) {
  if (!baseline) return undefined;
  // The findings just written left much garbage behind; the threads that read both packs' findings come on top of
  // this heap, so it is collected first (docs/benchmarks.md).
  collectGarbage();
  // Both packs' findings are walked in step as they are read, never held.
  return reportChanges(await diffStreamedPacks(baseline, current, { stillOpen: 'counted' }));
}

/** Nothing was collected from any source: such a run seals nothing, so it never becomes the chain's head. */
function everySourceFailed(results: Pick<ResultSet, 'sources'>): boolean {
  return results.sources.every((s) => s.verdict === 'incomplete' && s.identities === 0);
}

/**
 * Collect (or take what the shards of a plan collected), enrich, evaluate, render, write and seal one pack. Shared
 * by `run`, `run --from-parts` and `demo`. The output folder is
 * locked first, so the pack it names as previous is still the newest when it is sealed.
 */
export async function sealRun(loaded: LoadedConfig, loadedInputs: RunInputs, key: SigningKey, settings: RunSettings): Promise<SealedRun> {
  const registries = await loadRegistries();
  const clock = settings.clock ?? (() => new Date());
  const spillAt = spillAtFrom(settings.env);
  const lock = await lockOutput(settings.output, { waitMs: settings.waitMs ?? 0, clock });
  try {
    const keys = [key.publicKey, ...(settings.trustedKeys ?? [])];
    const { links, baseline, packs } = await packLinks(settings, keys);
    const campaign = await latestCampaignInput(packs, keys);
    const inputs = campaign ? withRecertification(loadedInputs, campaign) : loadedInputs;
    const startedAt = clock();
    const runId = newRunId(startedAt);
    const cycleDir = path.join(settings.output, settings.cycle.id);
    const staging = path.join(cycleDir, `.${runId}.partial`);
    const text = await loadReportText();
    await mkdir(staging, { recursive: true });
    try {
      const pipeline = await runPipeline(loaded, registries, inputs, {
        now: settings.asOf,
        log: settings.log,
        env: settings.env,
        rawDir: path.join(staging, 'raw'),
        clock,
        spillAt,
        ...(settings.onSource ? { onSource: settings.onSource } : {}),
      }, settings.collected);
      const base = resultBase(pipeline, loaded, settings.asOf, settings.cycle.id);
      if (everySourceFailed(base)) {
        throw new ExitError(
          EXIT.incomplete,
          `No pack written: every source failed and nothing was collected.\n${base.sources.map((s) => `  ${s.source}: ${describeIncompleteness(s)}`).join('\n')}`,
        );
      }
      // The controls are evaluated as findings.json, findings.csv and exceptions.csv are written: only the first
      // failing and excepted findings of each control are held.
      const { results, account, digests } = await writeFindingsFiles(staging, base, pipeline.evaluation, (separator) =>
        evaluationPieces(pipeline.evaluation, { csv: { controls: base.controls, sources: base.sources }, separator, oneIn: RUN_ONE_IN, atMost: RUN_HANDED_AT_MOST }),
      );
      const toolCommit = commitOf();
      const record: RunRecord = {
        runId,
        cycle: settings.cycle,
        asOf: settings.asOf.toISOString(),
        startedAt: startedAt.toISOString(),
        finishedAt: clock().toISOString(),
        operator: describeOperator(settings.env),
        retentionYears: loaded.config.retentionYears,
        ...(toolCommit ? { toolCommit } : {}),
        ...(loaded.config.timestamp ? { tsaUrl: loaded.config.timestamp.tsaUrl } : {}),
        ...(loaded.plugins ? { plugins: loaded.plugins.map((p) => p.package) } : {}),
        ...(settings.sharding ? { sharding: settings.sharding } : {}),
      };
      const changes = await changesSince(baseline && streamedSide(baseline), {
        runId,
        cycle: settings.cycle.id,
        asOf: record.asOf,
        identities: results.identities,
        findings: () => packFindingBriefs(staging),
      });
      const rendered: PackContents['rendered'] = Object.fromEntries(
        packWriters.filter((writer) => !FINDINGS_FILES.includes(writer.fileName)).map((writer) => [writer.fileName, writer.chunks ? writer.chunks(results, { pack: '.' }) : writer.render(results, { pack: '.' })]),
      );
      rendered['report.pdf'] = await renderReportPdf(reportModel(results, account, record, key.keyId, text, changes ? { changes } : {}));
      const { dir, attestationDigest } = await writePack(
        staging,
        path.join(cycleDir, runId),
        {
          results,
          evaluation: account,
          config: loaded.config,
          waivers: inputs.waivers,
          inputs: inputs.files,
          enrichment: pipeline.enrichment,
          redactions: pipeline.redactions,
          rendered,
          written: [...digests, ...pipeline.rawDigests],
        },
        record,
        key,
        links,
        settings.log,
      );
      return { dir, results, attestationDigest };
    } catch (error) {
      await discardStaging(staging);
      throw error;
    }
  } finally {
    await lock.release();
  }
}

/**
 * The run's results for the outputs it renders, with every listed finding. A writer of every finding gets here only
 * with `--only-failed`, and the failing and excepted findings it shows are all among those.
 */
function resultsFor(targets: readonly OutputTarget[], results: ResultSet): ResultSet {
  if (!targets.some((t) => writers[t.format].everyFinding)) return results;
  const { summary: _summary, ...held } = results;
  return held;
}

/** The sealed pack's failing and excepted findings (and any other the summary lists), read back from findings.json. */
async function listedFindings(dir: string): Promise<Finding[]> {
  const listed: Finding[] = [];
  for await (const finding of packFindings(dir)) if (isListed(finding)) listed.push(finding);
  return listed;
}

/**
 * Outputs of every finding made without the findings held: findings.json and findings.csv are the bytes their
 * writers render, copied from the sealed pack; JUnit is rendered as the pack's findings stream past.
 */
const STREAMED: Partial<Record<OutputTarget['format'], (sealed: SealedRun) => Readable>> = {
  json: (sealed) => createReadStream(path.join(sealed.dir, writers.json.fileName), { highWaterMark: 1 << 20 }),
  csv: (sealed) => createReadStream(path.join(sealed.dir, writers.csv.fileName), { highWaterMark: 1 << 20 }),
  junit: (sealed) => Readable.from(junitStreamed(sealed.results, packFindings(sealed.dir))),
};

/** The run's outputs, none of which reads the findings back from the pack whole. */
async function emitRun(targets: readonly OutputTarget[], sealed: SealedRun, options: { onlyFailed?: boolean; config: string }): Promise<void> {
  const streamed = options.onlyFailed ? [] : targets.filter((t) => STREAMED[t.format] !== undefined);
  for (const target of streamed) {
    await streamOutput(STREAMED[target.format]!(sealed), target.file);
    if (target.file && target.format === 'csv') await writeFile(collectionSibling(target.file), collectionCsv.render(sealed.results));
  }
  const rendered = targets.filter((t) => !streamed.includes(t));
  if (rendered.length === 0) return;
  // The run held the first failing findings of each control; an output that lists them all reads them back.
  const listsAll = rendered.some((t) => !writers[t.format].boundedLists);
  const results = listsAll ? withEveryListed(sealed.results, await listedFindings(sealed.dir)) : sealed.results;
  await emit(resultsFor(rendered, results), rendered, { ...options, pack: sealed.dir });
}

/** `--wait SECONDS`, a whole number of seconds. */
function waitMs(text: string): number {
  const seconds = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(seconds)) throw new ExitError(EXIT.usage, `--wait: "${text}" is not a whole number of seconds`);
  return seconds * 1000;
}

/**
 * The parts of a sharded collection, verified and checked against their plan, as one collection: the pack takes the
 * plan's as-of and cycle, and its manifest names the plan and every part.
 */
async function fromParts(dirs: readonly string[], loaded: LoadedConfig, keys: readonly KeyObject[], options: { cycle?: string }, globals: GlobalOptions) {
  const parts = [];
  for (const dir of dirs) parts.push(await openPart(dir, keys));
  const merged = mergeParts(parts, toolVersion());
  checkPlanConfig(merged.plan, path.join(merged.copies[0]!.part.dir, PART_PLAN_FILE), loaded);
  const { plan } = merged.plan;
  if (options.cycle && options.cycle !== plan.cycle.id) throw new ExitError(EXIT.usage, `--cycle: ${options.cycle} is not the plan's cycle ${plan.cycle.id}; a merged pack is for the cycle its plan froze`);
  if (globals.asOf && resolveAsOf(globals).toISOString() !== plan.asOf) throw new ExitError(EXIT.usage, `--as-of: ${globals.asOf} is not the plan's as-of ${plan.asOf}; leave it out when merging parts`);
  return {
    asOf: new Date(plan.asOf),
    cycle: plan.cycle,
    collected: async (rawDir: string) => {
      for (const { part, files } of merged.copies) await copyPartFiles(part, files, path.dirname(rawDir));
      return merged.results;
    },
    sharding: {
      plan: { digest: merged.plan.digest, configDigest: plan.configDigest, createdAt: plan.createdAt, operator: plan.operator, units: planUnits(plan).length },
      parts: merged.parts,
    },
  };
}

export default async function run(
  options: ReportOptions & { cycle?: string; backfill?: boolean; wait: string; fromParts?: string[] },
  globals: GlobalOptions,
): Promise<number> {
  const registries = await loadRegistries();
  const targets = await resolveOutputs(options);
  const wait = waitMs(options.wait);
  const loaded = withSystemsOption(await loadConfigFor(globals), options.systems);
  const inputs = await loadInputs(loaded, registries);
  const key = await signingKeyFor(loaded, process.env);
  const keys = await trustedKeys([], loaded);
  const merged = options.fromParts ? await fromParts(options.fromParts, loaded, [key.publicKey, ...keys], options, globals) : undefined;
  const asOf = merged?.asOf ?? resolveAsOf(globals);
  const cycle = merged?.cycle ?? resolveCycle(options.cycle, asOf, loaded, (line) => process.stderr.write(`${line}\n`));
  const log = commandLogger(globals);
  const sealed = await sealRun(loaded, inputs, key, {
    asOf,
    cycle,
    output: path.resolve(loaded.baseDir, loaded.config.output),
    log,
    env: process.env,
    onSource: sourceProgress(),
    backfill: options.backfill === true,
    waitMs: wait,
    trustedKeys: keys,
    ...(merged ? { collected: merged.collected, sharding: merged.sharding } : {}),
  });
  await emitRun(targets, sealed, { ...(options.onlyFailed ? { onlyFailed: true } : {}), config: loaded.file });
  process.stderr.write(`Evidence pack: ${displayPath(sealed.dir)}\n`);
  return exitCodeFor(sealed.results, options.failOn);
}
