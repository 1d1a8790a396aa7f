import {
  PRIVILEGE_ORDER,
  type ConditionalPrivilege,
  type Grant,
  type Privilege,
  type PrivilegeFlag,
  type PrivilegeLevel,
  type PrivilegeLimit,
} from '../../src/sdk/index.js';
import type { ActionCatalog, ActionSet, CatalogService } from './catalog.js';
import { intersectScopes, scopeAllows, unionScopes, type ServiceScope } from './conditions.js';
import { CREDENTIAL_CREATION_ACTIONS, ESCALATION_METHODS, NOT_IAM_WRITES } from './escalation.js';
import { PolicyCompiler, type CompiledPolicy, type PolicyDocument, type PolicyPart } from './policy.js';

/**
 * Effective permissions of one principal, in AWS's evaluation order: what its identity policies allow, less
 * every explicit Deny, within its permissions boundary and its organization's service control policies.
 *
 * An Allow counts in the `certain` view only when its conditions hold at the as-of date, and in the `possible`
 * view also when they depend on the request; the level and flags are the certain ones, and what `possible` adds
 * is kept as conditional privilege. A Deny counts when its conditions hold: one that depends on the request
 * (a region, a network, MFA) still leaves the privilege to requests outside it, so it is listed among the
 * limits with its conditions (the `strict` view) rather than subtracted.
 */

type Mode = 'certain' | 'possible' | 'strict';

/** Actions allowed on every resource and on at least one, and where iam:PassRole may send a role. */
interface View {
  all: ActionSet;
  some: ActionSet;
  passRoleTo?: ServiceScope | undefined;
}

export interface NamedPolicy {
  name: string;
  ref?: string;
  /** Undefined when the document could not be read: its grant is `unknown`, a cap from it is not applied. */
  document: PolicyDocument | undefined;
}

export interface GrantInput extends NamedPolicy {
  via: Grant['via'];
}

export interface PrincipalPolicies {
  grants: GrantInput[];
  boundary?: NamedPolicy;
  /** The service control policies attached at each level above the account (root, OUs, the account). */
  serviceControlPolicies?: NamedPolicy[][];
}

interface Summary {
  level: PrivilegeLevel;
  flags: PrivilegeFlag[];
  methods: string[];
  evidence: string[];
}

interface Evaluation {
  certain: Summary;
  possible: Summary;
  conditions: string[];
  reach: Privilege['reach'];
  limits: (Omit<PrivilegeLimit, 'name' | 'ref'> & { source: number })[];
}

const MAX_EVIDENCE = 20;
const MAX_EXAMPLES = 5;
const MAX_CONDITIONS = 10;

function counts(part: PolicyPart, mode: Mode): boolean {
  if (part.outcome.kind === 'always') return true;
  return part.effect === 'Allow' ? mode === 'possible' : mode === 'strict';
}

function higher(a: PrivilegeLevel, b: PrivilegeLevel): boolean {
  return PRIVILEGE_ORDER.indexOf(a) > PRIVILEGE_ORDER.indexOf(b);
}

export class PrivilegeEvaluator {
  readonly compiler: PolicyCompiler;
  private readonly writeLike: ActionSet;
  private readonly permissionsManagement: ActionSet;
  private readonly iamPermissionsManagement: ActionSet;
  private readonly iamWrites: ActionSet;
  private readonly credentialCreation: ActionSet;
  private readonly passRole: number | undefined;
  private readonly servicesWithWrites: CatalogService[];
  private readonly methods: { name: string; actions: number[]; passRoleTo?: string }[];
  private readonly views = new Map<string, View>();
  private readonly grants = new Map<number, Omit<Grant, 'via' | 'name' | 'ref'>>();
  private readonly evaluations = new Map<string, Evaluation>();
  private readonly summaries = new Map<string, Summary>();

  constructor(
    readonly catalog: ActionCatalog,
    readonly now: Date,
  ) {
    this.compiler = new PolicyCompiler(catalog, now);
    const iam = catalog.select((action) => action.service === 'iam');
    this.writeLike = catalog.withLevel('Write').union(catalog.withLevel('Permissions management')).union(catalog.withLevel('Tagging'));
    this.permissionsManagement = catalog.withLevel('Permissions management');
    this.iamPermissionsManagement = this.permissionsManagement.intersect(iam);
    this.iamWrites = this.writeLike.intersect(iam).minus(this.actions(NOT_IAM_WRITES));
    this.credentialCreation = this.actions(CREDENTIAL_CREATION_ACTIONS);
    this.passRole = catalog.index('iam:PassRole');
    this.servicesWithWrites = catalog.services.filter((service) => this.writeLike.anyIn(service.start, service.end));
    this.methods = ESCALATION_METHODS.flatMap((method) => {
      const actions = method.actions.map((action) => catalog.index(action));
      // A method whose action the catalog no longer lists cannot be performed.
      if (actions.some((index) => index === undefined)) return [];
      return [{ name: method.name, actions: actions as number[], ...(method.passRoleTo ? { passRoleTo: method.passRoleTo } : {}) }];
    });
  }

  private actions(names: readonly string[]): ActionSet {
    return names.reduce((set, name) => set.union(this.catalog.expand(name)), this.catalog.empty());
  }

  private empty(): View {
    return { all: this.catalog.empty(), some: this.catalog.empty() };
  }

  private allowed(policy: CompiledPolicy, mode: Mode): View {
    const view = this.empty();
    this.allowInto(view, policy, mode);
    return view;
  }

  /** Adds what a policy allows to `view`, which the caller owns. */
  private allowInto(view: View, policy: CompiledPolicy, mode: Mode): void {
    for (const part of policy.parts) {
      if (part.effect !== 'Allow' || !counts(part, mode)) continue;
      view.some.orWith(part.actions);
      if (part.resources === 'named') continue;
      view.all.orWith(part.actions);
      view.passRoleTo = unionScopes(view.passRoleTo, part.passRoleTo);
    }
  }

  /** Takes a policy's denies out of `view`, which the caller owns. A Deny on every resource removes an action everywhere; one with NotResource still leaves the named ones. */
  private denyInto(view: View, policy: CompiledPolicy, mode: Mode): void {
    for (const part of policy.parts) {
      if (part.effect !== 'Deny' || !counts(part, mode) || part.resources === 'named') continue;
      view.all.andNotWith(part.actions);
      if (part.resources === 'all') view.some.andNotWith(part.actions);
    }
  }

  private copy(view: View): View {
    return { all: this.catalog.empty().orWith(view.all), some: this.catalog.empty().orWith(view.some), passRoleTo: view.passRoleTo };
  }

  /** Whether a policy denies, in `mode`, anything of `view`. */
  private deniesAny(policy: CompiledPolicy, mode: Mode, view: View): boolean {
    return policy.parts.some((part) => part.effect === 'Deny' && counts(part, mode) && part.resources !== 'named' && part.actions.intersects(view.some));
  }

  private hasDeny(policy: CompiledPolicy): boolean {
    return policy.parts.some((part) => part.effect === 'Deny');
  }

  private isAdmin(all: ActionSet): boolean {
    if (!all.covers(this.iamPermissionsManagement)) return false;
    const writes = all.intersect(this.writeLike);
    return this.servicesWithWrites.every((service) => writes.anyIn(service.start, service.end));
  }

  /** A few of the actions in `set` for evidence, IAM's first: they are the ones a reviewer looks for. */
  private examples(set: ActionSet): string[] {
    const iam = this.catalog.service('iam');
    const names: string[] = [];
    const add = (index: number) => names.length < MAX_EXAMPLES && !names.includes(this.catalog.name(index)) && names.push(this.catalog.name(index));
    if (iam) for (let index = iam.start; index < iam.end; index++) if (set.has(index)) add(index);
    for (const index of set.indices()) if (names.length < MAX_EXAMPLES) add(index);
    return names;
  }

  /**
   * Principals with different policies often end with the same permissions: their summary is computed once, keyed
   * by 64-bit digests of both sets (a collision would need two of some 10^19 possible digests to meet).
   */
  private summarize(view: View): Summary {
    const key = `${view.all.digest()}:${view.some.digest()}:${view.passRoleTo === undefined ? '' : String(view.passRoleTo)}`;
    let summary = this.summaries.get(key);
    if (!summary) {
      summary = this.summarizeView(view);
      this.summaries.set(key, summary);
    }
    return summary;
  }

  private summarizeView(view: View): Summary {
    const flags = new Set<PrivilegeFlag>();
    const evidence = new Set<string>();
    const { all, some } = view;
    let level: PrivilegeLevel = 'none';
    if (!some.isEmpty()) level = this.isAdmin(all) ? 'admin' : some.intersects(this.writeLike) ? 'write' : 'read';
    if (level === 'admin') flags.add('admin');
    // An administrator's evidence is how its policy is written (`*`); listing actions would say nothing more.
    const example = (set: ActionSet) => (level === 'admin' ? [] : this.examples(set));

    const iamWrites = all.intersect(this.iamWrites);
    if (!iamWrites.isEmpty()) {
      flags.add('iam-write');
      for (const name of example(iamWrites)) evidence.add(name);
    }
    const management = all.intersect(this.permissionsManagement);
    if (!management.isEmpty()) {
      flags.add('permissions-management');
      for (const name of example(management)) evidence.add(name);
    }
    const passRoleTo = this.passRole !== undefined && all.has(this.passRole) ? view.passRoleTo : undefined;
    if (passRoleTo === 'any') {
      flags.add('passrole-any');
      evidence.add('iam:PassRole');
    } else if (passRoleTo) {
      evidence.add(`iam:PassRole to ${passRoleTo.join(', ')}`);
    }
    const credentials = all.intersect(this.credentialCreation);
    if (!credentials.isEmpty()) {
      flags.add('credential-creation');
      for (const name of example(credentials)) evidence.add(name);
    }
    const methods = this.methods
      .filter((method) => method.actions.every((index) => all.has(index)) && (!method.passRoleTo || (passRoleTo !== undefined && scopeAllows(passRoleTo, method.passRoleTo))))
      .map((method) => method.name);
    if (methods.length > 0) {
      flags.add('privilege-escalation');
      if (level !== 'admin') for (const name of methods) evidence.add(`method:${name}`);
    }
    return { level, flags: [...flags].sort(), methods, evidence: [...evidence].sort() };
  }

  private conditional(certain: Summary, possible: Summary, conditions: string[]): ConditionalPrivilege | undefined {
    const flags = possible.flags.filter((flag) => !certain.flags.includes(flag));
    if (flags.length === 0 && !higher(possible.level, certain.level)) return undefined;
    return { level: possible.level, flags, conditions: conditions.slice(0, MAX_CONDITIONS) };
  }

  /** One policy on its own: what it allows less its own denies (the per-grant figure an auditor reads). */
  private grant(policy: CompiledPolicy): Omit<Grant, 'via' | 'name' | 'ref'> {
    let grant = this.grants.get(policy.key);
    if (!grant) {
      const view = (mode: Mode) => {
        const allowed = this.allowed(policy, mode);
        this.denyInto(allowed, policy, mode);
        return allowed;
      };
      const certain = this.summarize(view('certain'));
      const possible = this.summarize(view('possible'));
      const conditional = this.conditional(certain, possible, conditionsOf([policy]));
      grant = {
        level: certain.level,
        flags: [...new Set([...certain.flags, ...policy.shape])].sort(),
        evidence: [...new Set([...certain.evidence, ...policy.shapeEvidence, ...policy.impossible.map((reason) => `never applies: ${reason}`)])]
          .sort()
          .slice(0, MAX_EVIDENCE),
        ...(conditional ? { conditional } : {}),
      };
      this.grants.set(policy.key, grant);
    }
    return grant;
  }

  private compiled(policy: NamedPolicy): CompiledPolicy | undefined {
    return policy.document === undefined ? undefined : this.compiler.compile(policy.document);
  }

  /** The privilege of one principal from its policies. */
  privilege(input: PrincipalPolicies): Privilege {
    const grants = input.grants.map((policy) => ({ policy, compiled: this.compiled(policy) }));
    const boundary = input.boundary && this.compiled(input.boundary);
    const scps = input.serviceControlPolicies?.map((level) => level.flatMap((policy) => {
      const compiled = this.compiled(policy);
      return compiled ? [{ policy, compiled }] : [];
    }));

    const key = [
      grants.map((g) => g.compiled?.key ?? '?').join(','),
      boundary?.key ?? '',
      scps?.map((level) => level.map((s) => s.compiled.key).join(',')).join('/') ?? '-',
    ].join('|');
    let evaluation = this.evaluations.get(key);
    if (!evaluation) {
      evaluation = this.evaluate(grants.map((g) => g.compiled), boundary, scps?.map((level) => level.map((s) => s.compiled)));
      this.evaluations.set(key, evaluation);
    }

    const grantList: Grant[] = grants.map(({ policy, compiled }) => ({
      via: policy.via,
      name: policy.name,
      ...(policy.ref ? { ref: policy.ref } : {}),
      ...(compiled ? this.grant(compiled) : { level: 'unknown' as const, flags: [], evidence: ['policy document not available'] }),
    }));
    const scpList = scps?.flat() ?? [];
    const sourceOf = (source: number): { name: string; ref?: string } => {
      if (source < grants.length) return grants[source]!.policy;
      if (source === grants.length) return input.boundary!;
      const index = source - grants.length - 1;
      if (index < scpList.length) return scpList[index]!.policy;
      const allowLists = [...new Set(scpList.filter((s) => s.compiled.parts.some((p) => p.effect === 'Allow')).map((s) => s.policy.name))];
      return { name: `allow lists: ${allowLists.join(', ')}` };
    };
    const limits: PrivilegeLimit[] = evaluation.limits.map(({ source, ...limit }) => {
      const { name, ref } = sourceOf(source);
      return { ...limit, name, ...(ref ? { ref } : {}) };
    });

    const { certain } = evaluation;
    const unknownGrant = grantList.some((grant) => grant.level === 'unknown');
    const shapes = grants.flatMap((g) => g.compiled?.shape ?? []);
    const conditional = this.conditional(certain, evaluation.possible, evaluation.conditions);
    return {
      level: unknownGrant && certain.level !== 'admin' ? 'unknown' : certain.level,
      grants: grantList,
      flags: [...new Set([...certain.flags, ...shapes])].sort(),
      ...(evaluation.reach ? { reach: evaluation.reach } : {}),
      ...(conditional ? { conditional } : {}),
      ...(limits.length > 0 ? { limits } : {}),
      ...(certain.methods.length > 0 ? { escalationMethods: certain.methods } : {}),
      evaluated: ['identity-policies', ...(boundary ? ['permissions-boundary'] : []), ...(scps ? ['service-control-policies'] : [])],
    };
  }

  private effective(mode: Mode, grants: (CompiledPolicy | undefined)[], boundary: CompiledPolicy | undefined, scps: CompiledPolicy[][] | undefined): View {
    const known = grants.filter((g): g is CompiledPolicy => g !== undefined);
    const view = this.empty();
    for (const policy of known) this.allowInto(view, policy, mode);
    for (const policy of known) this.denyInto(view, policy, mode);
    const { all, some } = view;
    let { passRoleTo } = view;
    for (const cap of [boundary && this.boundaryCap(boundary, mode), scps && this.organizationCap(scps, mode)]) {
      if (!cap) continue;
      all.andWith(cap.all);
      some.andWith(cap.some);
      passRoleTo = intersectScopes(passRoleTo, cap.passRoleTo);
    }
    return { all, some, passRoleTo };
  }

  /** What a permissions boundary lets through: its allows less its own denies. */
  private boundaryCap(boundary: CompiledPolicy, mode: Mode): View {
    const key = `b${boundary.key}${mode}`;
    let cap = this.views.get(key);
    if (!cap) {
      cap = this.withoutDenies(this.allowed(boundary, mode), [boundary], mode);
      this.views.set(key, cap);
    }
    return cap;
  }

  /** What an account's SCPs let through: every level from the root down must allow; any Deny removes. */
  private organizationCap(scps: CompiledPolicy[][], mode: Mode): View {
    const key = `s${scps.map((level) => level.map((policy) => policy.key).join(',')).join('/')}${mode}`;
    let cap = this.views.get(key);
    if (!cap) {
      // A level with no readable policy caps nothing.
      cap = scps
        .filter((level) => level.length > 0)
        .reduce<View>((view, level) => intersectView(view, level.reduce((acc, policy) => unionView(acc, this.allowed(policy, mode)), this.empty())), {
          all: this.catalog.all,
          some: this.catalog.all,
          passRoleTo: 'any',
        });
      cap = this.withoutDenies(cap, scps.flat(), mode);
      this.views.set(key, cap);
    }
    return cap;
  }

  private withoutDenies(view: View, policies: CompiledPolicy[], mode: Mode): View {
    const out = this.copy(view);
    for (const policy of policies) this.denyInto(out, policy, mode);
    return out;
  }

  private evaluate(grants: (CompiledPolicy | undefined)[], boundary: CompiledPolicy | undefined, scps: CompiledPolicy[][] | undefined): Evaluation {
    const certainView = this.effective('certain', grants, boundary, scps);
    const certain = this.summarize(certainView);
    const involved = [...grants.filter((g): g is CompiledPolicy => g !== undefined), ...(boundary ? [boundary] : []), ...(scps?.flat() ?? [])];
    const undecided = involved.some((policy) => policy.parts.some((part) => part.effect === 'Allow' && part.outcome.kind === 'unknown'));
    const possible = undecided ? this.summarize(this.effective('possible', grants, boundary, scps)) : certain;
    const reach: Privilege['reach'] = certainView.some.isEmpty() ? 'none' : certainView.all.isEmpty() ? 'selected' : 'all';
    return { certain, possible, conditions: conditionsOf(involved), reach, limits: this.limits(grants, boundary, scps) };
  }

  /**
   * What each deny, boundary and SCP takes away from everything the grants might allow, counting only
   * denies that surely apply: the evidence that a limit, and which one, saves a principal.
   */
  private limits(grants: (CompiledPolicy | undefined)[], boundary: CompiledPolicy | undefined, scps: CompiledPolicy[][] | undefined): Evaluation['limits'] {
    const scpList = scps?.flat() ?? [];
    if (!boundary && scpList.length === 0 && !grants.some((g) => g && this.hasDeny(g))) return [];
    const base = this.empty();
    for (const policy of grants) if (policy) this.allowInto(base, policy, 'possible');
    const limits: Evaluation['limits'] = [];
    const record = (kind: PrivilegeLimit['kind'], source: number, before: Summary, view: View, conditions?: string[]): Summary => {
      const after = this.summarize(view);
      const removes = before.flags.filter((flag) => !after.flags.includes(flag));
      if (removes.length > 0 || higher(before.level, after.level)) {
        limits.push({ kind, source, level: after.level, removes, ...(conditions ? { conditions: conditions.slice(0, MAX_CONDITIONS) } : {}) });
      }
      return after;
    };
    const denying = (kind: PrivilegeLimit['kind'], source: number, policy: CompiledPolicy, from: View) => {
      if (!this.deniesAny(policy, 'strict', from)) return;
      const after = record(kind, source, this.summarize(from), this.withoutDenies(from, [policy], 'certain'));
      const undecided = policy.parts.some((part) => part.effect === 'Deny' && part.outcome.kind === 'unknown');
      if (undecided) record(kind, source, after, this.withoutDenies(from, [policy], 'strict'), conditionsOf([policy], 'Deny'));
    };
    grants.forEach((policy, index) => {
      if (policy && this.hasDeny(policy)) denying('deny', index, policy, base);
    });
    if (boundary) record('permissions-boundary', grants.length, this.summarize(base), intersectView(base, this.withoutDenies(this.allowed(boundary, 'possible'), [boundary], 'certain')));
    scpList.forEach((policy, index) => {
      if (this.hasDeny(policy)) denying('service-control-policy', grants.length + 1 + index, policy, base);
    });
    if (scps) {
      const capped = scps
        .filter((level) => level.length > 0)
        .reduce((view, level) => intersectView(view, level.reduce((acc, policy) => unionView(acc, this.allowed(policy, 'possible')), this.empty())), base);
      if (!capped.all.equals(base.all) || !capped.some.equals(base.some)) record('service-control-policy', grants.length + 1 + scpList.length, this.summarize(base), capped);
    }
    return limits;
  }
}

function unionView(a: View, b: View): View {
  return { all: a.all.union(b.all), some: a.some.union(b.some), passRoleTo: unionScopes(a.passRoleTo, b.passRoleTo) };
}

function intersectView(a: View, b: View): View {
  return { all: a.all.intersect(b.all), some: a.some.intersect(b.some), passRoleTo: intersectScopes(a.passRoleTo, b.passRoleTo) };
}

/** The undecided conditions of the given policies' statements of one effect, as written. */
function conditionsOf(policies: CompiledPolicy[], effect: PolicyPart['effect'] = 'Allow'): string[] {
  const conditions = new Set<string>();
  for (const policy of policies) {
    for (const part of policy.parts) {
      if (part.effect === effect && part.outcome.kind === 'unknown') for (const condition of part.outcome.conditions) conditions.add(condition);
    }
  }
  return [...conditions].sort();
}
