import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SourceResult } from '../engine/collect.js';
import { enrich } from '../engine/enrich.js';
import { collectFromRaw } from '../engine/from-raw.js';
import { collectAll, loadInputs } from '../engine/pipeline.js';
import { readPack } from '../evidence/read-pack.js';
import { ExitError, EXIT, type Identity } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { inventoryCsv } from '../writers/csv.js';
import { inventoryJson } from '../writers/json.js';
import type { ResultSet } from '../writers/types.js';
import { withPlugins } from '../config.js';
import { commandLogger, connectorPackagesFor, loadConfigFor, registries, resolveAsOf, sourceProgress, type GlobalOptions } from './context.js';
import { TOOL } from './results.js';
import { toolVersion } from '../paths.js';

interface CollectOptions {
  fromRaw?: string;
  format: 'json' | 'csv';
  output?: string;
}

/** What a normalizer decides, without what enrichment joins on afterwards: the part a re-read must reproduce. */
function normalized(identity: Identity) {
  const { id, kind, name, status, classification, createdAt, lastUsed, credentials, privilege, trust, interactiveLogin } = identity;
  return stableStringify({ id, kind, name, status, classification, createdAt, lastUsed, credentials, privilege, trust, interactiveLogin });
}

/**
 * Re-reads a pack's raw pages with today's normalizers and says how the result differs from the sealed inventory.
 * A source a connector package read is re-read by that package as the config names it today.
 */
async function fromRaw(packDir: string, globals: GlobalOptions): Promise<{ results: SourceResult[]; asOf: Date }> {
  const pack = await readPack(packDir);
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
    results.push(await collectFromRaw(connector, packDir, source, asOf));
  }
  const sealed = new Map(pack.identities.map((i) => [i.id, normalized(i)]));
  const again = new Map(results.flatMap((r) => r.identities).map((i) => [i.id, normalized(i)]));
  const changed = [...again].filter(([id, text]) => sealed.has(id) && sealed.get(id) !== text).map(([id]) => id);
  const added = [...again.keys()].filter((id) => !sealed.has(id));
  const removed = [...sealed.keys()].filter((id) => !again.has(id));
  process.stderr.write(
    changed.length + added.length + removed.length === 0
      ? `Re-read ${again.size} identities from ${packDir}/raw: the same as the sealed inventory\n`
      : `Re-read ${again.size} identities from ${packDir}/raw: ${changed.length} changed, ${added.length} new, ${removed.length} gone against the sealed inventory\n` +
          [...changed.map((id) => `  changed ${id}`), ...added.map((id) => `  new     ${id}`), ...removed.map((id) => `  gone    ${id}`)].slice(0, 50).join('\n') +
          '\n',
  );
  return { results, asOf };
}

/** The inventory alone: collect (or re-read a pack's raw pages) and print it, without judging it. */
export default async function collect(options: CollectOptions, globals: GlobalOptions): Promise<number> {
  let results: SourceResult[];
  let asOf: Date;
  if (options.fromRaw) {
    ({ results, asOf } = await fromRaw(options.fromRaw, globals));
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
  const text = (options.format === 'csv' ? inventoryCsv : inventoryJson).render(inventory);
  if (options.output) await writeFile(options.output, text);
  else process.stdout.write(text);
  return inventory.sources.some((s) => s.verdict === 'incomplete') ? EXIT.incomplete : EXIT.ok;
}
