import { z } from 'zod';
import { parseYaml } from '../parse.js';
import { ConfigError, formatPath, grantLabel, type Identity, type Problem, type SodRule, SodRuleSchema, type SystemReach } from '../sdk/index.js';
import { globToRegExp } from './glob.js';

const Patterns = (what: string) => z.array(z.string().min(1, 'a pattern cannot be empty')).min(1, `list at least one ${what}, or leave the field out`).optional();

const SelectSchema = z
  .object({
    accounts: Patterns('AWS account id').describe('AWS account ids (globs)'),
    projects: Patterns('GCP project id').describe('Google Cloud project ids (globs)'),
    organizations: Patterns('organization').describe('GitHub or GitLab organizations and groups, Entra tenants, Snowflake accounts, SAP clients (globs)'),
    identities: Patterns('identity id or glob').describe('identity ids or globs, such as file:PRD-100:*'),
    tags: z.record(z.string().min(1), z.string().min(1)).optional().describe('tag key → value (a glob): every tag named must match'),
    resources: Patterns('resource pattern').describe("globs over what a grant names: its policy, role or permission, its reference (a policy ARN, a binding's resource) and its evidence (the actions)"),
    repositories: Patterns('repository').describe('repositories as owner/name (GitHub) or group/project paths (GitLab), globs'),
    trust: Patterns('trust target').describe('who may use the identity: trust principals and OIDC subjects, such as repo:corvid-systems/erp-*'),
  })
  .strict()
  .refine((select) => Object.values(select).some((v) => v !== undefined), {
    message: 'select the identities that reach the system: name at least one of accounts, projects, organizations, identities, tags, resources, repositories, trust',
  });
type Select = z.infer<typeof SelectSchema>;

const SystemSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'a name of letters, digits, spaces, dots, dashes and underscores, such as ERP'),
    description: z.string().optional(),
    sox: z.boolean({ message: 'say whether it is a SOX key system: sox: true or sox: false' }),
    owner: z.string().min(1, 'name the accountable owner (a person or team)'),
    select: SelectSchema,
  })
  .strict();
export type SystemDefinition = z.infer<typeof SystemSchema>;

const SystemsFileSchema = z
  .object({
    systems: z.array(SystemSchema).min(1, 'list at least one system'),
    segregationOfDuties: z.array(SodRuleSchema).default([]),
  })
  .strict();

/** The systems registry: financial applications and processes, and the duties one identity must not combine. */
export interface SystemsRegistry {
  systems: SystemDefinition[];
  segregationOfDuties: SodRule[];
}

function problemsOf(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** Parses and checks a systems registry (YAML); every problem is reported at once as `file: path: message`. */
export function parseSystems(file: string, text: string): SystemsRegistry {
  const parsed = parseYaml(text);
  if (parsed.problems.length > 0) throw new ConfigError(file, parsed.problems);
  const result = SystemsFileSchema.safeParse(parsed.value ?? {});
  if (!result.success) throw new ConfigError(file, problemsOf(result.error));
  const registry = result.data;
  const problems: Problem[] = [];
  const names = new Set<string>();
  registry.systems.forEach((system, i) => {
    if (names.has(system.name)) problems.push({ path: `systems[${i}].name`, message: `"${system.name}" names another system too; names must be unique` });
    names.add(system.name);
  });
  registry.segregationOfDuties.forEach((rule, i) =>
    rule.sides.forEach((side, s) =>
      (side.systems ?? []).forEach((name, n) => {
        if (!names.has(name)) problems.push({ path: `segregationOfDuties[${i}].sides[${s}].systems[${n}]`, message: `unknown system "${name}"; the registry lists ${[...names].join(', ')}` });
      }),
    ),
  );
  if (problems.length > 0) throw new ConfigError(file, problems);
  return registry;
}

/** The records a registry holds, for the manifest's row count. */
export const systemsRows = (registry: SystemsRegistry) => registry.systems.length + registry.segregationOfDuties.length;

/** A glob list compiled once: the first pattern that matches a value, or none. */
class GlobList {
  private readonly compiled: Array<{ glob: string; regex: RegExp }>;
  constructor(globs: readonly string[] = []) {
    this.compiled = globs.map((glob) => ({ glob, regex: globToRegExp(glob) }));
  }
  first(value: string): string | undefined {
    return this.compiled.find((p) => p.regex.test(value))?.glob;
  }
}

/** Where a GitHub or GitLab identity belongs: `owner/name` or the project's path, from the connectors' tags. */
function repositoryOf(identity: Identity): string | undefined {
  const github = identity.tags['github.repository'];
  if (github) return github.includes('/') ? github : `${identity.scope}/${github}`;
  return identity.tags['gitlab.project'];
}

/** One system's selectors compiled, giving the reasons an identity reaches it. */
class SystemMatcher {
  private readonly scopes: Array<[label: string, patterns: GlobList]>;
  private readonly identities: GlobList;
  private readonly tags: Array<[key: string, regex: RegExp]>;
  private readonly resources: GlobList;
  private readonly repositories: GlobList;
  private readonly trust: GlobList;

  constructor(readonly system: SystemDefinition) {
    const select: Select = system.select;
    this.scopes = [
      ['account', new GlobList(select.accounts)],
      ['project', new GlobList(select.projects)],
      ['organization', new GlobList(select.organizations)],
    ];
    this.identities = new GlobList(select.identities);
    this.tags = Object.entries(select.tags ?? {}).map(([key, value]) => [key, globToRegExp(value)]);
    this.resources = new GlobList(select.resources);
    this.repositories = new GlobList(select.repositories);
    this.trust = new GlobList(select.trust);
  }

  reasons(identity: Identity): string[] {
    const reasons: string[] = [];
    for (const [label, patterns] of this.scopes) if (patterns.first(identity.scope)) reasons.push(`${label} ${identity.scope}`);
    if (this.identities.first(identity.id)) reasons.push(`identity ${this.identities.first(identity.id)}`);
    if (this.tags.length > 0 && this.tags.every(([key, regex]) => identity.tags[key] !== undefined && regex.test(identity.tags[key]))) {
      reasons.push(`tag ${this.tags.map(([key]) => `${key}=${identity.tags[key]}`).join(', ')}`);
    }
    for (const grant of identity.privilege.grants) {
      const hit = [grant.name, grant.ref ?? '', ...grant.evidence].find((value) => value && this.resources.first(value));
      if (hit !== undefined) reasons.push(`grant ${grantLabel(grant)}${hit === grant.name || hit === grant.ref ? '' : `: ${hit}`}`);
    }
    const repository = repositoryOf(identity);
    if (repository && this.repositories.first(repository)) reasons.push(`repository ${repository}`);
    for (const principal of identity.trust ?? []) {
      const hit = [principal.value, ...(principal.subjects ?? [])].find((value) => this.trust.first(value));
      if (hit !== undefined) reasons.push(`trusted ${hit}`);
    }
    return reasons;
  }
}

/** The registry's systems with their selectors compiled once per run (a scan per identity per glob is slow at scale). */
export class SystemsIndex {
  private readonly matchers: SystemMatcher[];
  constructor(registry: SystemsRegistry) {
    this.matchers = registry.systems.map((system) => new SystemMatcher(system));
  }

  /** The systems an identity reaches, in registry order, each with why. */
  reach(identity: Identity): SystemReach[] {
    return this.matchers.flatMap((m) => {
      const reasons = m.reasons(identity);
      return reasons.length > 0 ? [{ name: m.system.name, sox: m.system.sox, reasons }] : [];
    });
  }
}
