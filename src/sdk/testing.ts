import { DEFAULT_PAGING, DEFAULT_TIMEOUTS } from './collection.js';
import type { Connector, Reconciliation, ScopeRecorder, UsageData } from './connector.js';
import { IdentitySchema, type Identity } from './inventory.js';
import { silentLogger, type Logger } from './log.js';

/** What one scope's recorder was told during a test run. */
export interface ScopeRun {
  scope: string;
  collector?: string;
  pages: { operation: string; parameters: Record<string, unknown>; body: unknown; records: number }[];
  reconciliations: Reconciliation[];
  errors: { operation: string; message: string; recovered: boolean }[];
  unreadable: { kind: string; reason: string }[];
  usage?: UsageData;
}

export interface ConnectorRun {
  identities: Identity[];
  scopes: ScopeRun[];
  /** Identities the contract refused, and the error the connector ended with: empty when the run was clean. */
  problems: string[];
}

export interface RunConnectorOptions {
  now: Date;
  /** The source's name in the identities (default `test`). */
  source?: string;
  env?: Readonly<Record<string, string | undefined>>;
  baseDir?: string;
  log?: Logger;
}

/**
 * Runs a connector once outside the engine, for a connector package's own tests: its settings are parsed with its
 * schema, every identity it yields is checked against the contract, and what it records is kept in memory.
 * (The CLI runs connectors through the engine, which also writes the raw pages and judges completeness.)
 */
export async function runConnector(connector: Connector, settings: Record<string, unknown>, options: RunConnectorOptions): Promise<ConnectorRun> {
  const source = options.source ?? 'test';
  const scopes = new Map<string, ScopeRun>();
  const scope = (name: string): ScopeRecorder => {
    let run = scopes.get(name);
    if (!run) {
      run = { scope: name, pages: [], reconciliations: [], errors: [], unreadable: [] };
      scopes.set(name, run);
    }
    const kept = run;
    return {
      scope: name,
      collector: (identity) => (kept.collector = identity),
      page: async (operation, parameters, body, counts) => {
        kept.pages.push({ operation, parameters, body, records: counts.records });
        return `raw/${source}/${name}/${operation}.jsonl:${kept.pages.filter((p) => p.operation === operation).length}`;
      },
      error: (operation, error, errorOptions) =>
        kept.errors.push({ operation, message: error instanceof Error ? error.message : String(error), recovered: errorOptions?.recovered ?? false }),
      reconcile: (name, expected, observed, note) =>
        kept.reconciliations.push({ name, expected, observed, matches: expected === observed, ...(note ? { note } : {}) }),
      unreadable: (kind, reason) => kept.unreadable.push({ kind, reason }),
      usage: (data) => (kept.usage = data),
    };
  };
  const context = {
    source,
    log: options.log ?? silentLogger,
    env: options.env ?? {},
    baseDir: options.baseDir ?? '.',
    now: options.now,
    timeouts: DEFAULT_TIMEOUTS,
    paging: DEFAULT_PAGING,
    signal: new AbortController().signal,
    scope,
    collector: () => undefined,
    reference: () => undefined,
  };
  const identities: Identity[] = [];
  const problems: string[] = [];
  try {
    const client = await connector.connect(connector.config.parse(settings), context);
    for await (const candidate of connector.collect(client, context)) {
      const parsed = IdentitySchema.safeParse(candidate);
      if (!parsed.success) {
        problems.push(`identity ${String((candidate as { id?: unknown })?.id)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      } else if (parsed.data.connector !== connector.id || parsed.data.source !== source) {
        problems.push(`identity ${parsed.data.id} names connector ${parsed.data.connector} and source ${parsed.data.source}, not ${connector.id} and ${source}`);
      } else {
        identities.push(parsed.data);
      }
    }
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  return { identities, scopes: [...scopes.values()], problems };
}
