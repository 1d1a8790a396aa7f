import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SourceResult } from '../engine/collect.js';
import { enrich } from '../engine/enrich.js';
import { collectFromRaw, readRawPages, rereadChanges } from '../engine/from-raw.js';
import { collectAll, loadInputs } from '../engine/pipeline.js';
import { checkPlanConfig, collectShard, parseShard, shardUnits, unitName } from '../engine/shard.js';
import { describeOperator } from '../evidence/operator.js';
import { checkPartOutput, discardPartStaging, writePart } from '../evidence/part.js';
import { openPlan } from '../evidence/plan.js';
import { displayPath, packIdentityBatches, unverifiedSources } from '../evidence/read-pack.js';
import { ExitError, EXIT } from '../sdk/index.js';
import { inventoryCsv } from '../writers/csv.js';
import { inventoryJson } from '../writers/json.js';
import type { ResultSet } from '../writers/types.js';
import { safeLines } from '../terminal.js';
import { withPlugins } from '../config.js';
import { commandLogger, connectorPackagesFor, loadConfigFor, openPackArgument, optionalConfig, loadRegistries, resolveAsOf, signingKeyFor, sourceProgress, trustedKeys, type GlobalOptions } from './context.js';
import { checkOutputFile, writeOutput } from './output.js';
import { TOOL } from './results.js';
import { toolVersion } from '../paths.js';

interface CollectOptions {
  fromRaw?: string;
  publicKey: string[];
  format: 'json' | 'csv';
  output?: string;
  plan?: string;
  shard?: string;
  out?: string;
}

/**
 * One shard of a plan: verifies the plan, reads the shard's units and seals them as a part for `run --from-parts`.
 * A part whose reads failed is written all the same (the merge says what is incomplete) and exits 3.
 */
async function collectPart(planFile: string, options: CollectOptions, globals: GlobalOptions): Promise<number> {
  const registries = await loadRegistries();
  if (!options.shard || !options.out) throw new ExitError(EXIT.usage, '--plan: give --shard i/N and --out <folder> with it');
  const shard = parseShard(options.shard);
  const out = path.resolve(options.out);
  await checkPartOutput(out);
  const loaded = await loadConfigFor(globals);
  const key = await signingKeyFor(loaded, process.env);
  const opened = await openPlan(planFile, [key.publicKey, ...(await trustedKeys(options.publicKey, loaded))]);
  checkPlanConfig(opened, planFile, loaded);
  const units = shardUnits(opened.plan, shard.index, shard.count);
  const staging = path.join(path.dirname(out), `.${path.basename(out)}.partial`);
  await discardPartStaging(staging);
  await mkdir(staging, { recursive: true });
  try {
    const startedAt = new Date();
    const results = await collectShard(loaded, registries, opened.plan, units, {
      log: commandLogger(globals),
      env: process.env,
      rawDir: path.join(staging, 'raw'),
      onSource: sourceProgress(),
    });
    await writePart(staging, out, await readFile(planFile), results, {
      planDigest: opened.digest,
      shard,
      units,
      asOf: opened.plan.asOf,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      operator: describeOperator(process.env),
      tool: { name: TOOL.name, version: toolVersion() },
    }, key);
    process.stderr.write(`Part ${displayPath(out)}: shard ${shard.index}/${shard.count}, ${units.length} unit${units.length === 1 ? '' : 's'}: ${units.map(unitName).join(', ') || 'none'}\n`);
    return results.some((r) => r.completeness.verdict === 'incomplete') ? EXIT.incomplete : EXIT.ok;
  } catch (error) {
    await discardPartStaging(staging);
    throw error;
  }
}

/**
 * Re-reads a pack's raw pages with today's normalizers and says how the result differs from the sealed inventory.
 * A source a connector package read is re-read by that package as the config names it today.
 */
async function fromRaw(packDir: string, options: CollectOptions, globals: GlobalOptions): Promise<{ results: SourceResult[]; asOf: Date }> {
  const registries = await loadRegistries();
  const keys = await trustedKeys(options.publicKey, await optionalConfig(globals));
  // The first source's raw pages are read while the pack's digests and signature are checked on threads (a second
  // at 100 000 identities); they are mapped to identities only once the check has passed.
  const reading = new AbortController();
  const early = unverifiedSources(packDir).then(([first]) => (first === undefined ? undefined : { source: first, raw: readRawPages(path.resolve(packDir), first, reading.signal) }));
  early.then((begun) => begun?.raw.catch(() => undefined), () => undefined);
  const pack = await openPackArgument(packDir, keys, []).catch((error: unknown) => {
    reading.abort();
    throw error;
  });
  const shown = displayPath(pack.dir);
  // The sealed inventory's thread starts reading now, while the raw pages are mapped again, and is walked in step
  // with the re-read population afterwards.
  const sealed = begunNow(() => packIdentityBatches(pack.dir, undefined, SEALED_AHEAD));
  try {
    const asOf = new Date(pack.manifest.asOf);
    const packages = await connectorPackagesFor(globals);
    const connectors = new Map(withPlugins(registries, packages).connectors.map((c) => [c.id, c]));
    const results: SourceResult[] = [];
    for (const source of pack.manifest.sources) {
      const connector = connectors.get(source.connector);
      if (!connector) {
        throw new ExitError(
          EXIT.usage,
          `${shown}: source ${source.source} used connector ${source.connector}, which this version does not have; if a connector package read it, name the package in the config (-c) under plugins:`,
        );
      }
      const begun = await early.catch(() => undefined);
      results.push(await collectFromRaw(connector, pack.dir, source, asOf, ...(begun?.source === source.source ? [() => begun.raw] : [])));
    }
    const again = results.flatMap((r) => r.identities);
    const { changed, added, removed } = await rereadChanges(again, sealed.walk);
    process.stderr.write(safeLines(
      changed.length + added.length + removed.length === 0
        ? `Re-read ${again.length} identities from ${shown}/raw: the same as the sealed inventory\n`
        : `Re-read ${again.length} identities from ${shown}/raw: ${changed.length} changed, ${added.length} new, ${removed.length} gone against the sealed inventory\n` +
            [...changed.map((id) => `  changed ${id}`), ...added.map((id) => `  new     ${id}`), ...removed.map((id) => `  gone    ${id}`)].slice(0, 50).join('\n') +
            '\n',
    ));
    return { results, asOf };
  } finally {
    reading.abort();
    await sealed.close();
  }
}

/**
 * Batches of the sealed inventory its thread may read ahead while the raw pages are mapped again: 100 000
 * identities' texts (about 170 MB), so at that size the thread has read it all by the time the walk begins, and at
 * any size no more is queued.
 */
const SEALED_AHEAD = 200;

/** A walk begun at once (its first batch asked for, so a reading thread starts), handed to the first caller of `walk`; later callers start their own. */
function begunNow<T>(start: () => AsyncGenerator<T>): { walk: () => AsyncIterable<T>; close: () => Promise<void> } {
  const first = start();
  const head = first.next();
  head.catch(() => undefined);
  let taken = false;
  return {
    walk: () => {
      if (taken) return start();
      taken = true;
      return (async function* () {
        try {
          const { done, value } = await head;
          if (done) return;
          yield value;
          yield* first;
        } finally {
          await first.return(undefined);
        }
      })();
    },
    close: async () => {
      await first.return(undefined);
    },
  };
}

/** The inventory alone: collect (or re-read a pack's raw pages) and print it, without judging it. */
export default async function collect(options: CollectOptions, globals: GlobalOptions): Promise<number> {
  const registries = await loadRegistries();
  if (options.plan) return collectPart(options.plan, options, globals);
  if (options.shard || options.out) throw new ExitError(EXIT.usage, '--shard and --out go with --plan <plan.json> (from `nhi-audit plan`)');
  await checkOutputFile(options.output);
  let results: SourceResult[];
  let asOf: Date;
  if (options.fromRaw) {
    ({ results, asOf } = await fromRaw(options.fromRaw, options, globals));
  } else {
    const loaded = await loadConfigFor(globals);
    const inputs = await loadInputs(loaded, registries);
    asOf = resolveAsOf(globals);
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'nhi-audit-collect-'));
    try {
      results = await collectAll(loaded, registries, { now: asOf, log: commandLogger(globals), env: process.env, rawDir: path.join(scratch, 'raw'), onSource: sourceProgress() });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    results = results.map((r) => ({ ...r, identities: enrich(r.identities, inputs.enrich) }));
  }
  const inventory: ResultSet = {
    tool: { name: TOOL.name, version: toolVersion(), informationUri: TOOL.informationUri },
    asOf: asOf.toISOString(),
    controls: [],
    identities: results.flatMap((r) => r.identities),
    findings: [],
    sources: results.map((r) => r.completeness),
  };
  await writeOutput(options.format === 'csv' ? inventoryCsv : inventoryJson, inventory, {}, options.output);
  return inventory.sources.some((s) => s.verdict === 'incomplete') ? EXIT.incomplete : EXIT.ok;
}
