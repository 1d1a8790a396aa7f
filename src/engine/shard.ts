import { setMaxListeners } from 'node:events';
import path from 'node:path';
import { withPlugins, type LoadedConfig, type Registries } from '../config.js';
import type { Cycle } from '../evidence/cycle.js';
import type { SigningKey } from '../evidence/keys.js';
import type { Operator } from '../evidence/operator.js';
import { json } from '../evidence/pack.js';
import type { OpenedPart, PlannedUnit } from '../evidence/part.js';
import type { OpenedPlan, Plan, PlannedSource } from '../evidence/plan.js';
import { sha256 } from '../evidence/seal.js';
import {
  discardingRecorder,
  ExitError,
  EXIT,
  type CollectContext,
  type Connector,
  type Identity,
  type Logger,
  type ScopeCompleteness,
  type SourceCompleteness,
} from '../sdk/index.js';
import { collectSource, compareIds, describeError, safeSegment, sourceLimits, sourceVerdict, type SourceResult } from './collect.js';

/**
 * Sharded collection (DESIGN.md §7, scale-out): `plan` freezes every source's scopes; shard i of N reads the units
 * at positions i-1, i-1+N, i-1+2N, ... of the plan's order (sources by name, each source's scopes in code-point
 * order, a source planned whole as one unit), so every unit has exactly one shard and the assignment needs no
 * coordination; `run --from-parts` checks that each unit arrived exactly once and seals one pack.
 */

/** sha256 of the effective configuration, written as a pack's config.json: what plan, shards and merge compare. */
export function configDigest(loaded: LoadedConfig): string {
  return sha256(json(loaded.config));
}

/** `--shard i/N`, i from 1 to N. */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count || !Number.isSafeInteger(count)) {
    throw new ExitError(EXIT.usage, `--shard: "${text}" is not i/N with 1 ≤ i ≤ N (shard 1/3 is the first of three; a Kubernetes Indexed Job passes $((JOB_COMPLETION_INDEX + 1))/N)`);
  }
  return { index, count };
}

export const unitName = (unit: PlannedUnit): string => (unit.scope === null ? `${unit.source} (whole source)` : `${unit.source}/${unit.scope}`);

/** Every unit of the plan in its stable order. */
export function planUnits(plan: Plan): PlannedUnit[] {
  return plan.sources.flatMap((s): PlannedUnit[] => (s.scopes === null ? [{ source: s.source, scope: null }] : s.scopes.map((scope) => ({ source: s.source, scope }))));
}

/** The shard (1-based) a unit at `position` in the plan's order belongs to: round-robin. */
export const shardOfPosition = (position: number, count: number): number => (position % count) + 1;

export function shardUnits(plan: Plan, index: number, count: number): PlannedUnit[] {
  return planUnits(plan).filter((_, position) => shardOfPosition(position, count) === index);
}

function connectorsOf(loaded: LoadedConfig, registries: Registries): Map<string, Connector> {
  return new Map(withPlugins(registries, loaded.plugins).connectors.map((c) => [c.id, c]));
}

export interface PlanOptions {
  asOf: Date;
  cycle: Cycle;
  createdAt: Date;
  operator: Operator;
  log: Logger;
  env: Readonly<Record<string, string | undefined>>;
  key: SigningKey;
  tool: { name: string; version: string };
}

/** Asks a source's connector for its scopes; the pages it reads to find them are not kept (the shards read again). */
async function planSource(connector: Connector, settings: LoadedConfig['config']['sources'][number], loaded: LoadedConfig, options: PlanOptions): Promise<PlannedSource> {
  const planned = { source: settings.name, connector: connector.id };
  if (!connector.listScopes) return { ...planned, scopes: null, shared: [] };
  const { timeouts, paging, fields } = sourceLimits(settings);
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const deadline = setTimeout(() => controller.abort(new Error(`listing the scopes passed the source's deadline (timeouts.sourceMs ${timeouts.sourceMs} ms)`)), timeouts.sourceMs);
  const context: CollectContext = {
    source: settings.name,
    log: options.log.child({ source: settings.name, connector: connector.id }),
    env: options.env,
    baseDir: loaded.baseDir,
    now: options.asOf,
    timeouts,
    paging,
    signal: controller.signal,
    scope: discardingRecorder,
    collector: () => undefined,
    reference: () => undefined,
  };
  try {
    const client = await connector.connect(connector.config.parse(fields), context);
    const listed = await connector.listScopes(client, context);
    // Nothing to hand out is still something to read: one shard reads the source whole and says what it found.
    if (!listed || listed.scopes.length === 0) return { ...planned, scopes: null, shared: [] };
    const sorted = (names: readonly string[]) => [...new Set(names)].sort(compareIds);
    const shared = sorted(listed.shared ?? []);
    return { ...planned, scopes: sorted(listed.scopes).filter((s) => !shared.includes(s)), shared };
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    throw new ExitError(
      EXIT.incomplete,
      `No plan written: source ${settings.name} could not list its scopes: ${describeError(error).message}${hint ? ` (${hint})` : ''}`,
    );
  } finally {
    clearTimeout(deadline);
    controller.abort(new Error('the scopes are listed'));
  }
}

/** Every source's scopes, listed or discovered, frozen in a stable order. */
export async function makePlan(loaded: LoadedConfig, registries: Registries, options: PlanOptions): Promise<Plan> {
  const connectors = connectorsOf(loaded, registries);
  const settings = [...loaded.config.sources].sort((a, b) => compareIds(a.name, b.name));
  const sources = await Promise.all(settings.map((source) => planSource(connectors.get(source.connector)!, source, loaded, options)));
  return {
    kind: 'collection-plan',
    tool: options.tool,
    configDigest: configDigest(loaded),
    asOf: options.asOf.toISOString(),
    cycle: options.cycle,
    createdAt: options.createdAt.toISOString(),
    operator: options.operator,
    signing: { algorithm: 'Ed25519', keyId: options.key.keyId },
    sources,
  };
}

/** The config in hand must be the one the plan froze: the shard reads, and the merge judges, with the same. */
export function checkPlanConfig(plan: OpenedPlan, planFile: string, loaded: LoadedConfig): void {
  if (plan.plan.configDigest !== configDigest(loaded)) {
    throw new ExitError(
      EXIT.usage,
      `${planFile}: configDigest: the plan was made from another configuration than ${loaded.file}; use the config the plan was made with, or make a new plan`,
    );
  }
}

export interface ShardOptions {
  log: Logger;
  env: Readonly<Record<string, string | undefined>>;
  rawDir: string;
  clock?: () => Date;
  onSource?: (result: SourceResult) => void;
}

/** Reads one shard's units: each source that has any, limited to its planned scopes when it was planned by scope. */
export async function collectShard(loaded: LoadedConfig, registries: Registries, plan: Plan, units: readonly PlannedUnit[], options: ShardOptions): Promise<SourceResult[]> {
  const connectors = connectorsOf(loaded, registries);
  const bySource = new Map<string, string[] | null>();
  for (const unit of units) bySource.set(unit.source, unit.scope === null ? null : [...(bySource.get(unit.source) ?? []), unit.scope]);
  return Promise.all(
    plan.sources
      .filter((planned) => bySource.has(planned.source))
      .map(async (planned) => {
        const settings = loaded.config.sources.find((s) => s.name === planned.source)!;
        const onlyScopes = bySource.get(planned.source);
        const result = await collectSource(connectors.get(planned.connector)!, settings, {
          now: new Date(plan.asOf),
          log: options.log,
          env: options.env,
          baseDir: loaded.baseDir,
          rawDir: options.rawDir,
          ...(options.clock ? { clock: options.clock } : {}),
          ...(onlyScopes ? { onlyScopes } : {}),
        });
        options.onSource?.(result);
        return result;
      }),
  );
}

/** How the merged pack's manifest names a part. */
export interface PartReference {
  shard: string;
  /** The name of the folder it was read from. */
  folder: string;
  attestationDigest: string;
  operator: OpenedPart['manifest']['operator'];
  startedAt: string;
  finishedAt: string;
  units: number;
}

export interface MergedParts {
  plan: OpenedPlan;
  results: SourceResult[];
  /** Which files of which part go into the pack's raw/. */
  copies: { part: OpenedPart; files: string[] }[];
  parts: PartReference[];
}

const rawFolder = (source: string, scope: string) => `raw/${safeSegment(source)}/${safeSegment(scope)}/`;

function missingScope(scope: string, message: string): ScopeCompleteness {
  return { scope, verdict: 'incomplete', operations: [], identities: 0, reconciliations: [], errors: [{ operation: 'collect --plan', code: 'MissingPart', message }], unreadable: [] };
}

/**
 * Checks that the parts follow one plan and hold each of its units exactly once, then puts their sources back
 * together. A unit no part holds leaves its scope (or its whole source) incomplete; a unit two parts hold is an
 * input error. A scope several parts read (a shared one) is kept once, and only as complete if they all read the same.
 */
export function mergeParts(parts: readonly OpenedPart[], toolVersion: string): MergedParts {
  const [first] = parts;
  if (!first) throw new ExitError(EXIT.usage, '--from-parts: no part given; name each folder `nhi-audit collect --plan --shard` wrote');
  for (const part of parts) {
    // Normalizers change between versions: one population is normalized by one version.
    const version = (part.manifest.tool as { version?: unknown } | undefined)?.version;
    if (version !== toolVersion) {
      throw new ExitError(EXIT.usage, `${part.dir}: manifest.json: tool.version ${String(version)} is not this nhi-audit's ${toolVersion}; collect and merge every shard with one version`);
    }
    if (part.plan.digest !== first.plan.digest) {
      throw new ExitError(
        EXIT.usage,
        `${part.dir}: manifest.json: planDigest ${part.plan.digest.slice(0, 16)}… names another plan than ${first.dir} (${first.plan.digest.slice(0, 16)}…); collect every shard from the same plan.json`,
      );
    }
  }
  const plan = first.plan.plan;
  const sorted = [...parts].sort((a, b) => a.shard.index - b.shard.index);
  const holder = new Map<string, OpenedPart>();
  const shards = new Map<string, OpenedPart>();
  for (const part of sorted) {
    const shard = `${part.shard.index}/${part.shard.count}`;
    const again = shards.get(shard);
    if (again) throw new ExitError(EXIT.usage, `${part.dir}: manifest.json: shard ${shard} is also ${again.dir}; give each shard's part once`);
    shards.set(shard, part);
    const expected = shardUnits(plan, part.shard.index, part.shard.count).map(unitName);
    if (JSON.stringify(part.manifest.units.map(unitName)) !== JSON.stringify(expected)) {
      throw new ExitError(EXIT.usage, `${part.dir}: manifest.json: units are not those of shard ${shard} of the plan; collect that shard again`);
    }
    for (const unit of part.manifest.units) {
      const other = holder.get(unitName(unit));
      if (other) {
        throw new ExitError(
          EXIT.usage,
          `${part.dir}: holds ${unitName(unit)}, which ${other.dir} (shard ${other.shard.index}/${other.shard.count}) holds too: ` +
            'parts from different shard counts overlap; merge the parts of one --shard i/N series',
        );
      }
      holder.set(unitName(unit), part);
    }
  }
  const count = first.shard.count;
  const positions = new Map(planUnits(plan).map((unit, position) => [unitName(unit), position]));
  const absent = (unit: PlannedUnit) =>
    `no part holds ${unitName(unit)}: the part of shard ${shardOfPosition(positions.get(unitName(unit))!, count)}/${count} is missing; collect it and merge again`;

  const copies = new Map<OpenedPart, string[]>(sorted.map((p) => [p, []]));
  const results = plan.sources.map((planned): SourceResult => {
    const units: PlannedUnit[] = planned.scopes === null ? [{ source: planned.source, scope: null }] : planned.scopes.map((scope) => ({ source: planned.source, scope }));
    const holders = sorted.filter((p) => units.some((u) => holder.get(unitName(u)) === p));
    const read = holders.map((part) => ({ part, completeness: part.manifest.sources.find((s) => s.source === planned.source) }));
    const completeness: SourceCompleteness = {
      source: planned.source,
      connector: planned.connector,
      verdict: 'complete',
      startedAt: read.map((r) => r.completeness?.startedAt ?? r.part.manifest.startedAt).sort()[0] ?? plan.asOf,
      finishedAt: read.map((r) => r.completeness?.finishedAt ?? r.part.manifest.finishedAt).sort().at(-1) ?? plan.asOf,
      scopes: [],
      identities: 0,
      errors: read.flatMap((r) => r.completeness?.errors ?? [`shard ${r.part.shard.index}/${r.part.shard.count} holds no record of the source`]),
    };
    const collector = read.find((r) => r.completeness?.collector)?.completeness?.collector;
    if (collector) completeness.collector = collector;
    const references = read.flatMap((r) => r.completeness?.references ?? []).filter((ref, i, all) => all.findIndex((o) => o.name === ref.name && o.version === ref.version) === i);
    if (references.length > 0) completeness.references = references;

    // Each scope once: from the one part that read it, or, read by several, from the first when all read the same pages.
    const byScope = new Map<string, { part: OpenedPart; scope: ScopeCompleteness }[]>();
    for (const { part, completeness: c } of read) for (const scope of c?.scopes ?? []) byScope.set(scope.scope, [...(byScope.get(scope.scope) ?? []), { part, scope }]);
    for (const [name, readers] of byScope) {
      const folder = rawFolder(planned.source, name);
      const pagesOf = (part: OpenedPart) => part.manifest.files.filter((f) => f.path.startsWith(folder));
      const [kept] = readers as [{ part: OpenedPart; scope: ScopeCompleteness }];
      const copied = copies.get(kept.part)!;
      for (const file of pagesOf(kept.part)) copied.push(file.path);
      const same = readers.every(({ part }) => JSON.stringify(pagesOf(part)) === JSON.stringify(pagesOf(kept.part)));
      completeness.scopes.push(
        same
          ? kept.scope
          : {
              ...kept.scope,
              verdict: 'incomplete',
              errors: [
                ...kept.scope.errors,
                {
                  operation: 'collect --plan',
                  code: 'SharedScopeDiffers',
                  message: `shards ${readers.map((r) => `${r.part.shard.index}/${count}`).join(', ')} read different pages of ${name}; the pack keeps shard ${kept.part.shard.index}/${count}'s, and the others judged their scopes on their own`,
                },
              ],
            },
      );
    }
    for (const unit of units) {
      if (unit.scope === null) {
        if (!holder.has(unitName(unit))) completeness.errors.push(absent(unit));
      } else if (!holder.has(unitName(unit))) {
        completeness.scopes.push(missingScope(unit.scope, absent(unit)));
      } else if (!byScope.has(unit.scope)) {
        completeness.scopes.push(missingScope(unit.scope, `${unitName(unit)} was planned, but shard ${holder.get(unitName(unit))!.shard.index}/${count} holds no record of reading it`));
      }
    }
    completeness.scopes.sort((a, b) => compareIds(a.scope, b.scope));
    const identities: Identity[] = holders.flatMap((p) => p.identities.filter((i) => i.source === planned.source));
    identities.sort((a, b) => compareIds(a.id, b.id));
    for (let i = 1; i < identities.length; i++) {
      if (identities[i]!.id === identities[i - 1]!.id) throw new ExitError(EXIT.usage, `--from-parts: identity ${identities[i]!.id} is in two parts; give each shard's part once`);
    }
    completeness.identities = identities.length;
    completeness.verdict = sourceVerdict(completeness.errors, completeness.scopes);
    // A page's redactions travel with the copy of it the pack keeps.
    const redactions = holders.flatMap((part) => {
      const kept = new Set(copies.get(part)!.filter((file) => file.startsWith(`raw/${safeSegment(planned.source)}/`)));
      return part.manifest.redactions.filter((r) => kept.has(r.page.replace(/:\d+$/, '')));
    });
    return { identities, completeness, redactions };
  });
  return {
    plan: first.plan,
    results,
    copies: [...copies].map(([part, files]) => ({ part, files })),
    parts: sorted.map((part) => ({
      shard: `${part.shard.index}/${part.shard.count}`,
      folder: path.basename(path.resolve(part.dir)),
      attestationDigest: part.attestationDigest,
      operator: part.manifest.operator,
      startedAt: part.manifest.startedAt,
      finishedAt: part.manifest.finishedAt,
      units: part.manifest.units.length,
    })),
  };
}
