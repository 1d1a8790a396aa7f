import type { Approval, Identity, Owner } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { GlobIndex } from './glob.js';
import type { ApprovalRow, HrRosterRow, OwnerRow, PrivilegedAccessRow } from './inputs.js';
import { SystemsIndex, type SystemsRegistry } from './systems.js';

/** A registry file's rows and its file name, which becomes the `source` of what it contributes. */
export interface Registry<Row> {
  file: string;
  rows: readonly Row[];
}

export interface EnrichInputs {
  ownerTagKeys: readonly string[];
  environmentTagKeys: readonly string[];
  /** Tags naming the outside party an identity belongs to. */
  vendorTagKeys: readonly string[];
  /** Tags giving the identity's own end (`Identity.expiresAt`): a date (the end of that day, UTC) or an instant. */
  expiryTagKeys: readonly string[];
  /** Tags marking an emergency identity; any value but false/no/0/off marks it. */
  breakGlassTagKeys: readonly string[];
  /** Tags naming the change ticket that approved the identity, looked up in the approvals register. */
  approvalTagKeys: readonly string[];
  /** Rows of the owners registry; the first row whose identity (id or glob) matches wins. */
  owners?: Registry<OwnerRow>;
  /** People by id (case-insensitive), giving each owner a status. */
  hrRoster?: Registry<HrRosterRow>;
  /** Change tickets; an identity takes the earliest approval that names it or the ticket its tag names. */
  approvals?: Registry<ApprovalRow>;
  /** Approved administrator identities; the first row whose identity (id or glob) matches wins. */
  privilegedAccess?: Registry<PrivilegedAccessRow>;
  /** Financial systems and their selectors: each identity is given the systems it reaches and why. */
  systems?: { file: string; registry: SystemsRegistry };
}

const NOT_MARKED = new Set(['false', 'no', '0', 'off']);

function firstTag(tags: Record<string, string>, keys: readonly string[]): [string, string] | undefined {
  for (const key of keys) {
    const value = tags[key]?.trim();
    if (value) return [key, value];
  }
  return undefined;
}

/** A tag's date or instant as an instant; a bare date ends at the close of that day. Unreadable values give none. */
function tagInstant(value: string): string | undefined {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59.999Z` : value;
  const time = Date.parse(text);
  return /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(time) ? new Date(time).toISOString() : undefined;
}

/** The registries indexed once per run: a scan per identity is quadratic in a large population. */
interface Indexes {
  owners: GlobIndex<OwnerRow>;
  people: Map<string, HrRosterRow>;
  approvals: GlobIndex<ApprovalRow>;
  approvalTickets: Map<string, number[]>;
  privileged: GlobIndex<PrivilegedAccessRow>;
  systems?: SystemsIndex;
}

function indexInputs(inputs: EnrichInputs): Indexes {
  const people = new Map<string, HrRosterRow>();
  for (const row of inputs.hrRoster?.rows ?? []) if (!people.has(row.person.toLowerCase())) people.set(row.person.toLowerCase(), row);
  const approvalTickets = new Map<string, number[]>();
  (inputs.approvals?.rows ?? []).forEach((row, index) => approvalTickets.set(row.ticket, [...(approvalTickets.get(row.ticket) ?? []), index]));
  return {
    owners: new GlobIndex(inputs.owners?.rows ?? [], (r) => r.identity),
    people,
    approvals: new GlobIndex(inputs.approvals?.rows ?? [], (r) => r.identity),
    approvalTickets,
    privileged: new GlobIndex(inputs.privilegedAccess?.rows ?? [], (r) => r.identity),
    ...(inputs.systems ? { systems: new SystemsIndex(inputs.systems.registry) } : {}),
  };
}

function ownerOf(identity: Identity, inputs: EnrichInputs, indexes: Indexes): Owner | undefined {
  const tag = firstTag(identity.tags, inputs.ownerTagKeys);
  const row = indexes.owners.first(identity.id);
  const owner: Owner | undefined = tag
    ? { id: tag[1], source: `tag:${tag[0]}`, status: identity.owner?.status ?? 'unknown' }
    : row && inputs.owners
      ? { id: row.owner, source: `registry:${inputs.owners.file}`, status: 'unknown' }
      : identity.owner;
  if (!owner) return undefined;
  const person = indexes.people.get(owner.id.toLowerCase());
  if (!person) return owner;
  const { terminatedAt: _previous, ...rest } = owner;
  return { ...rest, status: person.status, ...(person.terminatedAt ? { terminatedAt: person.terminatedAt } : {}) };
}

function approvalOf(identity: Identity, inputs: EnrichInputs, indexes: Indexes): Approval | undefined {
  const ticket = firstTag(identity.tags, inputs.approvalTagKeys)?.[1];
  const matching = new Set([...indexes.approvals.matches(identity.id), ...(ticket !== undefined ? (indexes.approvalTickets.get(ticket) ?? []) : [])]);
  const rows = [...matching].sort((a, b) => a - b).map((index) => indexes.approvals.rows[index]!);
  // The earliest approval is the one that can have authorized the identity's creation; later tickets change it.
  const earliest = rows.reduce<ApprovalRow | undefined>((best, row) => (!best || row.approvedAt < best.approvedAt ? row : best), undefined);
  if (!earliest) return identity.approval;
  return { ticket: earliest.ticket, approver: earliest.approver, requester: earliest.requester, approvedAt: earliest.approvedAt };
}

/**
 * Joins registries and tag conventions onto identities. Pure: the same identities and inputs give the same
 * result. A tag on the identity itself wins over the registry, and what the connector found (a GitHub
 * `added_by`, a token's expiry) is kept when neither says otherwise. The HR roster sets the status of whichever
 * owner was found.
 */
export function enrich(identities: readonly Identity[], inputs: EnrichInputs): Identity[] {
  return identities.map(enricher(inputs));
}

/** `enrich` an identity at a time, the registries indexed once. */
export function enricher(inputs: EnrichInputs): (identity: Identity) => Identity {
  const indexes = indexInputs(inputs);
  return (identity) => {
    const enriched: Identity = { ...identity };
    const owner = ownerOf(identity, inputs, indexes);
    if (owner) enriched.owner = owner;
    const approval = approvalOf(identity, inputs, indexes);
    if (approval) enriched.approval = approval;

    const environment = firstTag(identity.tags, inputs.environmentTagKeys);
    if (environment && !identity.environment) enriched.environment = environment[1];
    const vendor = firstTag(identity.tags, inputs.vendorTagKeys);
    if (vendor && !identity.vendor) enriched.vendor = vendor[1];
    const expiry = firstTag(identity.tags, inputs.expiryTagKeys);
    const expiresAt = expiry ? tagInstant(expiry[1]) : undefined;
    if (expiresAt && identity.expiresAt == null) enriched.expiresAt = expiresAt;
    const breakGlass = firstTag(identity.tags, inputs.breakGlassTagKeys);
    if (breakGlass && !NOT_MARKED.has(breakGlass[1].toLowerCase())) enriched.breakGlass = true;

    const privileged = indexes.privileged.first(identity.id);
    if (privileged && inputs.privilegedAccess) {
      enriched.privilegedAccess = {
        approver: privileged.approver,
        ...(privileged.ticket ? { ticket: privileged.ticket } : {}),
        recertifiedAt: privileged.recertifiedAt,
        source: `registry:${inputs.privilegedAccess.file}`,
      };
    }
    const systems = indexes.systems?.reach(enriched);
    if (systems && systems.length > 0) enriched.systems = systems;
    return enriched;
  };
}

/**
 * What the join changed on one identity: the connector's own values of the fields it set, and the fields the
 * connector had left absent. With the sealed inputs, this lets `reperform` repeat the join from the pack.
 */
export interface EnrichmentChange {
  identityId: string;
  collected: Record<string, unknown>;
  absent: string[];
}

/** The changes `enrich` made, identity by identity (`enriched` is `enrich(collected, …)`, in the same order). */
export function enrichmentChanges(collected: readonly Identity[], enriched: readonly Identity[]): EnrichmentChange[] {
  const changes: EnrichmentChange[] = [];
  collected.forEach((before, i) => {
    const change = enrichmentChange(before, enriched[i]!);
    if (change) changes.push(change);
  });
  return changes.sort((a, b) => (a.identityId < b.identityId ? -1 : a.identityId > b.identityId ? 1 : 0));
}

/** What the join changed on one identity, if anything. */
export function enrichmentChange(before: Identity, enriched: Identity): EnrichmentChange | undefined {
  const after = enriched as unknown as Record<string, unknown>;
  const original = before as unknown as Record<string, unknown>;
  // The join copies an identity and replaces whole fields, so an unchanged field is the same value, not a copy of it.
  const fields = [...new Set([...Object.keys(original), ...Object.keys(after)])].filter(
    (field) => original[field] !== after[field] && stableStringify(original[field]) !== stableStringify(after[field]),
  );
  if (fields.length === 0) return undefined;
  return {
    identityId: before.id,
    collected: Object.fromEntries(fields.filter((f) => f in original && original[f] !== undefined).map((f) => [f, original[f]])),
    absent: fields.filter((f) => !(f in original) || original[f] === undefined).sort(),
  };
}

/** The identities as the connectors gave them, from the enriched inventory and the changes the join made. */
export function undoEnrichment(enriched: readonly Identity[], changes: readonly EnrichmentChange[]): Identity[] {
  const byId = new Map(changes.map((c) => [c.identityId, c]));
  return enriched.map((identity) => {
    const change = byId.get(identity.id);
    if (!change) return identity;
    const restored: Record<string, unknown> = { ...identity, ...change.collected };
    for (const field of change.absent) delete restored[field];
    return restored as unknown as Identity;
  });
}
