import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SourceResult } from '../engine/collect.js';
import { enrich } from '../engine/enrich.js';
import { collectFromRaw } from '../engine/from-raw.js';
import { jsonEqual } from '../engine/reperform.js';
import { collectAll, loadInputs } from '../engine/pipeline.js';
import { checkPlanConfig, collectShard, parseShard, shardUnits, unitName } from '../engine/shard.js';
import { describeOperator } from '../evidence/operator.js';
import { checkPartOutput, discardPartStaging, writePart } from '../evidence/part.js';
import { openPlan } from '../evidence/plan.js';
import { displayPath, readPackLists } from '../evidence/read-pack.js';
import { ExitError, EXIT, type Identity } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
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

/** What a normalizer decides, without what enrichment joins on afterwards: the part a re-read must reproduce. */
function normalized(identity: Identity) {
  const { id, kind, name, status, classification, createdAt, lastUsed, credentials, privilege, trust, interactiveLogin } = identity;
  return { id, kind, name, status, classification, createdAt, lastUsed, credentials, privilege, trust, interactiveLogin };
}

/** The same canonical JSON, compared without writing it out unless the values differ. */
function sameNormalized(sealed: Identity, again: Identity): boolean {
  const [left, right] = [normalized(sealed), normalized(again)];
  return jsonEqual(left, right) || stableStringify(left) === stableStringify(right);
}

/**
 * Re-reads a pack's raw pages with today's normalizers and says how the result differs from the sealed inventory.
 * A source a connector package read is re-read by that package as the config names it today.
 */
async function fromRaw(packDir: string, options: CollectOptions, globals: GlobalOptions): Promise<{ results: SourceResult[]; asOf: Date }> {
  const registries = await loadRegistries();
  const pack = await openPackArgument(packDir, await trustedKeys(options.publicKey, await optionalConfig(globals)), []);
  packDir = displayPath(pack.dir);
  // The sealed inventory is read (on a thread of its own when large) while the raw pages are mapped again; a
  // failure to read it is thrown where it is awaited, below.
  const sealedIdentities = readPackLists(pack, ['identities']);
  sealedIdentities.catch(() => undefined);
  const asOf = new Date(pack.manifest.asOf);
  const packages = await connectorPackagesFor(globals);
  const connectors = new Map(withPlugins(registries, packages).connectors.map((c) => [c.id, c]));
  const results: SourceResult[] = [];
  for (const source of pack.manifest.sources) {
    const connector = connectors.get(source.connector);
    if (!connector) {
      throw new ExitError(
        EXIT.usage,
        `${packDir}: source ${source.source} used connector ${source.connector}, which this version does not have; if a connector package read it, name the package in the config (-c) under plugins:`,
      );
    }
    results.push(await collectFromRaw(connector, pack.dir, source, asOf));
  }
  const sealed = new Map((await sealedIdentities).identities.map((i) => [i.id, i]));
  const again = new Map(results.flatMap((r) => r.identities).map((i) => [i.id, i]));
  const changed = [...again].filter(([id, identity]) => sealed.has(id) && !sameNormalized(sealed.get(id)!, identity)).map(([id]) => id);
  const added = [...again.keys()].filter((id) => !sealed.has(id));
  const removed = [...sealed.keys()].filter((id) => !again.has(id));
  process.stderr.write(safeLines(
    changed.length + added.length + removed.length === 0
      ? `Re-read ${again.size} identities from ${packDir}/raw: the same as the sealed inventory\n`
      : `Re-read ${again.size} identities from ${packDir}/raw: ${changed.length} changed, ${added.length} new, ${removed.length} gone against the sealed inventory\n` +
          [...changed.map((id) => `  changed ${id}`), ...added.map((id) => `  new     ${id}`), ...removed.map((id) => `  gone    ${id}`)].slice(0, 50).join('\n') +
          '\n',
  ));
  return { results, asOf };
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
