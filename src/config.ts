import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseYaml } from './parse.js';
import {
  ConfigError,
  type Connector,
  type Control,
  formatPath,
  PagingSchema,
  type Problem,
  type Severity,
  SeveritySchema,
  TimeoutsSchema,
} from './sdk/index.js';

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable, not its value');
const SourceName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes (it names a folder in the pack)');

const TagKeys = (keys: string[], description: string) => z.array(z.string().min(1)).default(keys).describe(`${description}, first match wins`);

const EnrichSchema = z
  .object({
    ownerTagKeys: TagKeys(['owner', 'Owner', 'nhi-audit:owner'], 'tags that name an owner'),
    environmentTagKeys: TagKeys(['environment', 'Environment', 'env'], 'tags that name the environment'),
    vendorTagKeys: TagKeys(['vendor', 'Vendor', 'nhi-audit:vendor'], 'tags that name the outside party an identity belongs to'),
    expiryTagKeys: TagKeys(
      ['expires-at', 'expires', 'nhi-audit:expires-at'],
      "tags that give the identity's own end (a date, meaning the end of that day UTC, or an instant)",
    ),
    breakGlassTagKeys: TagKeys(['break-glass', 'breakglass', 'emergency', 'nhi-audit:break-glass'], 'tags that mark an emergency identity (any value but false/no/0/off)'),
    approvalTagKeys: TagKeys(['approval', 'change-ticket', 'nhi-audit:approval'], 'tags that name the change ticket, looked up in the approvals register'),
    owners: z.string().min(1).optional().describe('owners registry (CSV with columns identity,owner, or a YAML list of them; identity may be a glob)'),
    hrRoster: z.string().min(1).optional().describe('HR roster (CSV with columns person,status,terminated_at; status active or terminated)'),
    approvals: z
      .string()
      .min(1)
      .optional()
      .describe('approvals register (CSV with columns identity,ticket,requester,approver,approved_at; identity may be a glob or empty when a tag names the ticket)'),
    privilegedAccess: z
      .string()
      .min(1)
      .optional()
      .describe('privileged-access list (CSV with columns identity,approver,ticket,recertified_at; identity may be a glob)'),
    systems: z
      .string()
      .min(1)
      .optional()
      .describe('systems registry (YAML: the financial systems with their SOX flag, owner and selectors, and the segregation-of-duties rules)'),
  })
  .strict();

const SigningSchema = z
  .object({
    privateKeyFile: z.string().min(1).optional().describe('Ed25519 private key (PEM) from `nhi-audit keys generate`'),
    privateKeyEnv: EnvName.optional().describe('environment variable holding the PEM private key'),
  })
  .strict();

/** Which identities are judged, by the systems they reach: `sox` for the key systems, or names from the registry. */
export const SystemsScope = z.union([z.literal('sox'), z.array(z.string().min(1)).min(1)]);
export type SystemsScope = z.infer<typeof SystemsScope>;

/** The conventional sample size by how often a control runs (audit-domain.md §2.1); firms set their own table. */
export const DEFAULT_SAMPLE_SIZES: Record<string, number> = { annual: 1, quarterly: 2, monthly: 5, weekly: 15, daily: 40, 'multiple-daily': 60 };

/** Settings beside the sources; sources and controls are checked against their own schemas afterwards. */
const BaseSchema = z
  .object({
    $schema: z.string().optional(),
    organization: z.string().min(1).optional().describe('organization name shown on reports'),
    output: z.string().min(1).default('./evidence').describe('folder that packs are written to, by cycle'),
    plugins: z
      .array(z.string().min(1))
      .optional()
      .describe('connector packages to load: npm package names (installed beside the config) or paths to package folders; sources then name their connector ids'),
    sources: z.array(z.looseObject({ name: SourceName, connector: z.string().min(1) })).min(1, 'name at least one source'),
    enrich: EnrichSchema.prefault({}),
    waivers: z.string().min(1).optional().describe('waivers file (YAML list of control, identity, reason, ticket, approver, expires)'),
    controls: z.record(z.string(), z.unknown()).default({}).describe('per control: "off", or options and an optional severity'),
    evaluate: z
      .object({
        includeHumans: z.boolean().default(false).describe('also judge identities classified as people'),
        systems: SystemsScope.optional().describe('judge only identities reaching these systems: sox (every SOX key system) or a list of names from the systems registry'),
      })
      .strict()
      .default({ includeHumans: false }),
    signing: SigningSchema.optional(),
    fiscalYearStartMonth: z.number().int().min(1).max(12).default(1).describe('first month of the fiscal year; cycles are FYyyyy-Qn when it is not January'),
    sampling: z
      .object({
        frequency: z.enum(['annual', 'quarterly', 'monthly', 'weekly', 'daily', 'multiple-daily']).default('quarterly').describe('how often the sampled control operates'),
        sizes: z
          .record(z.string(), z.number().int().positive())
          .default(DEFAULT_SAMPLE_SIZES)
          .describe('sample size by control frequency (your firm\'s table; recorded in every sample)'),
      })
      .strict()
      .default({ frequency: 'quarterly', sizes: DEFAULT_SAMPLE_SIZES }),
    recertification: z
      .object({
        graceDays: z
          .number()
          .int()
          .nonnegative()
          .default(30)
          .describe('days after the end of the campaign\'s cycle that `recert close` still accepts decisions'),
      })
      .strict()
      .default({ graceDays: 30 }),
    verification: z
      .object({
        publicKeys: z
          .array(z.string().min(1))
          .default([])
          .describe('Ed25519 public keys (PEM files) that packs read back (the previous pack, diff, report, ...) may be signed with; list old keys here after a rotation'),
      })
      .strict()
      .optional(),
    timestamp: z
      .object({ tsaUrl: z.url().describe('RFC 3161 time-stamping authority; the manifest digest is stamped and kept as manifest.tsr') })
      .strict()
      .optional(),
    retentionYears: z.number().int().min(1).max(100).default(7).describe('how long the pack must be kept (SEC Rule 2-06: seven years)'),
  })
  .strict();

/** What every source takes beside its connector's own fields: the collection contract's limits. */
const SourceLimitsSchema = z.object({ timeouts: TimeoutsSchema.prefault({}), paging: PagingSchema.prefault({}) });

export interface SourceConfig {
  name: string;
  connector: string;
  [field: string]: unknown;
}

export interface ControlConfig {
  enabled: boolean;
  severity?: Severity;
  options: Record<string, unknown>;
  /** Stricter options for identities reaching a system, by system name: merged over `options`. */
  systems?: Record<string, Record<string, unknown>>;
}

export type Config = Omit<z.output<typeof BaseSchema>, 'sources' | 'controls'> & {
  sources: SourceConfig[];
  controls: Record<string, ControlConfig>;
};

export interface LoadedConfig {
  file: string;
  /** The file as read, sealed into the pack's inputs/. */
  text: string;
  /** Folder relative paths in the config resolve against. */
  baseDir: string;
  config: Config;
  /** The connector packages the config loaded (`plugins:`, or a package or path as a source's connector). */
  plugins?: readonly LoadedPlugin[];
}

export interface Registries {
  connectors: readonly Connector[];
  controls: readonly Control[];
}

/** What the manifest records about a connector package: which code read a source. */
export interface ConnectorPackage {
  /** The connector id it provides, as the sources and identity ids name it. */
  id: string;
  /** As the config names it: a package name or a path. */
  spec: string;
  name: string;
  version: string;
  sdkVersion: number;
  /** sha256 over its installed files (`sha256sum` lines of every file but node_modules/ and .git/, sorted). */
  digest: string;
  files: number;
}

export interface LoadedPlugin {
  connector: Connector;
  package: ConnectorPackage;
}

/**
 * Loads the connector packages a parsed config names and points the sources that name one by package or path at
 * its connector id (src/plugins does it; the config stays free of file and module loading).
 */
export type ConnectorPackageLoader = (raw: unknown, where: { file: string; baseDir: string }, builtins: readonly Connector[]) => Promise<LoadedPlugin[]>;

/** The registries with a config's connector packages beside the built-in connectors. */
export function withPlugins(registries: Registries, plugins: readonly LoadedPlugin[] | undefined): Registries {
  return plugins?.length ? { ...registries, connectors: [...registries.connectors, ...plugins.map((p) => p.connector)] } : registries;
}

function issuesOf(error: z.ZodError, prefix: readonly PropertyKey[] = []): Problem[] {
  return error.issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: issue.message }));
}

function controlOptionsSchema(control: Control) {
  const options = control.options as unknown as z.ZodObject;
  return options.extend({
    severity: SeveritySchema.optional(),
    systems: z
      .record(z.string().min(1), options.partial())
      .optional()
      .describe('stricter options for identities reaching a system of the systems registry, by system name (a failure under them fails the identity)'),
  });
}

/** Checks the parsed file against the base schema, each source against its connector, each control's options. */
export function validateConfig(raw: unknown, registries: Registries): { config?: Config; problems: Problem[] } {
  const base = BaseSchema.safeParse(raw);
  if (!base.success) return { problems: issuesOf(base.error) };
  const problems: Problem[] = [];
  const connectors = new Map(registries.connectors.map((c) => [c.id, c]));
  const controls = new Map(registries.controls.map((c) => [c.meta.id, c]));

  const names = new Set<string>();
  const sources: SourceConfig[] = [];
  base.data.sources.forEach((source, i) => {
    const { name, connector: connectorId, timeouts, paging, ...fields } = source;
    if (names.has(name)) problems.push({ path: `sources[${i}].name`, message: `"${name}" is used by another source; names must be unique` });
    names.add(name);
    const connector = connectors.get(connectorId);
    if (!connector) {
      problems.push({ path: `sources[${i}].connector`, message: `unknown connector "${connectorId}"; known: ${[...connectors.keys()].join(', ')}; or name a connector package by its installed npm name or by a path starting with ./` });
      return;
    }
    const parsed = connector.config.safeParse(fields);
    const limits = SourceLimitsSchema.safeParse({ timeouts, paging });
    if (!parsed.success) problems.push(...issuesOf(parsed.error, ['sources', i]));
    if (!limits.success) problems.push(...issuesOf(limits.error, ['sources', i]));
    if (parsed.success && limits.success) sources.push({ name, connector: connectorId, ...parsed.data, ...limits.data });
  });

  const controlConfigs: Record<string, ControlConfig> = {};
  for (const [id, value] of Object.entries(base.data.controls)) {
    const control = controls.get(id);
    if (!control) {
      problems.push({ path: `controls.${id}`, message: `unknown control; \`nhi-audit controls list\` shows the ${controls.size} controls` });
      continue;
    }
    if (value === 'off') {
      controlConfigs[id] = { enabled: false, options: {} };
      continue;
    }
    const parsed = controlOptionsSchema(control).safeParse(value ?? {});
    if (!parsed.success) {
      problems.push(...issuesOf(parsed.error, ['controls', id]));
      continue;
    }
    const { severity, systems, ...options } = parsed.data as { severity?: Severity; systems?: Record<string, Record<string, unknown>> } & Record<string, unknown>;
    // The overrides are kept as written: each is merged over the control's options, then the whole is parsed.
    const overrides = systems ? (value as { systems: Record<string, Record<string, unknown>> }).systems : undefined;
    controlConfigs[id] = { enabled: true, ...(severity ? { severity } : {}), options, ...(overrides ? { systems: overrides } : {}) };
  }

  if (problems.length > 0) return { problems };
  return { config: { ...base.data, sources, controls: controlConfigs }, problems };
}

/** Loads and validates a config file; every problem is reported at once as `file: path: message`. */
export async function loadConfig(file: string, registries: Registries, loadPackages?: ConnectorPackageLoader): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(file, [{ path: '', message: 'cannot read the file; create one with `nhi-audit init` or name another with --config' }]);
  }
  const parsed = parseYaml(text);
  if (parsed.problems.length > 0) throw new ConfigError(file, parsed.problems);
  const baseDir = path.dirname(path.resolve(file));
  const plugins = loadPackages ? await loadPackages(parsed.value, { file, baseDir }, registries.connectors) : [];
  const { config, problems } = validateConfig(parsed.value, withPlugins(registries, plugins));
  if (!config) throw new ConfigError(file, problems);
  return { file, text, baseDir, config, ...(plugins.length > 0 ? { plugins } : {}) };
}

/** The JSON Schema of nhi-audit.yaml, from the same zod schemas that validate it. */
export function configJsonSchema(registries: Registries): unknown {
  const sourceSchemas = registries.connectors.map((connector) =>
    connector.config.extend({ name: SourceName, connector: z.literal(connector.id), ...SourceLimitsSchema.shape }).describe(connector.title),
  );
  const controlSchemas = Object.fromEntries(
    registries.controls.map((control) => [
      control.meta.id,
      z.union([z.literal('off'), controlOptionsSchema(control)]).optional().describe(control.meta.title),
    ]),
  );
  // Connector ids are kebab-case: nothing in them needs escaping in a pattern.
  const builtIn = registries.connectors.map((c) => c.id);
  const packageSource = z
    .looseObject({
      name: SourceName,
      connector: z.string().regex(new RegExp(`^(?!(?:${builtIn.join('|')})$).+`)).describe('a connector package: its id (listed under plugins), npm package name, or path'),
    })
    .describe('A source read by a connector package: its own settings are checked when the package loads');
  const knownSource = sourceSchemas.length === 1 ? sourceSchemas[0]! : z.discriminatedUnion('connector', sourceSchemas as never);
  const schema = BaseSchema.extend({
    sources: z.array(z.union([knownSource, packageSource])).min(1),
    controls: z.object(controlSchemas).strict().optional(),
  });
  return z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
}
