import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * A tenant as the sandbox serves it: Graph v1.0 objects as Microsoft documents them, with `x-` fields for what
 * Graph serves from elsewhere (an object's owners, an application's federated credentials, the sign-in reports).
 * `x-` fields are never served.
 */

const Obj = z.record(z.string(), z.unknown());
const Id = z.string().min(1);

const Credential = z.looseObject({ keyId: Id, 'x-lastSignIn': z.string().optional() });

export const DatasetSchema = z
  .object({
    tenantId: Id,
    /** Entra ID P1 or P2: without it the sign-in activity reports answer 403. */
    licensed: z.boolean().default(true),
    users: z.array(z.looseObject({ id: Id, userPrincipalName: z.string() })).default([]),
    applications: z
      .array(
        z.looseObject({
          id: Id,
          appId: Id,
          passwordCredentials: z.array(Credential).default([]),
          keyCredentials: z.array(Credential).default([]),
          'x-owners': z.array(Id).default([]),
          'x-federatedIdentityCredentials': z.array(Obj).default([]),
        }),
      )
      .default([]),
    servicePrincipals: z
      .array(
        z.looseObject({
          id: Id,
          appId: Id,
          appRoles: z.array(z.looseObject({ id: Id, value: z.string().nullable().optional() })).default([]),
          passwordCredentials: z.array(Credential).default([]),
          keyCredentials: z.array(Credential).default([]),
          'x-owners': z.array(Id).default([]),
          'x-lastSignIn': z.string().optional(),
        }),
      )
      .default([]),
    /** By permission name: the sandbox looks the app role up on the resource and fills in the assignment. */
    appRoleAssignments: z
      .array(z.object({ principalId: Id, resourceId: Id, appRole: z.string().min(1), createdDateTime: z.string().optional() }).strict())
      .default([]),
    oauth2PermissionGrants: z.array(z.looseObject({ id: Id })).default([]),
    roleDefinitions: z.array(z.looseObject({ id: Id })).default([]),
    roleAssignments: z.array(z.looseObject({ id: Id })).default([]),
  })
  .strict();
export type Dataset = z.output<typeof DatasetSchema>;

export async function loadDataset(file: string): Promise<Dataset> {
  const parsed = DatasetSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: not an entra-id sandbox dataset: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Everything under an `x-` key removed: what the sandbox serves. */
export function served(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(served);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith('x-')).map(([key, child]) => [key, served(child)]));
}

const after = (instant: unknown, now: Date) => typeof instant === 'string' && Date.parse(instant) > now.getTime();

/**
 * The tenant as it stood at `now`: registrations (with their principals), credentials, assignments and sign-ins
 * dated later are not there yet, so the demo's previous quarter reads the tenant as it was.
 */
function asOf(dataset: Dataset, now: Date): Dataset {
  const later = new Set(dataset.applications.filter((a) => after(a.createdDateTime, now)).map((a) => a.appId));
  const credentials = <T extends { startDateTime?: unknown; 'x-lastSignIn'?: string }>(list: T[]) =>
    list.filter((c) => !after(c.startDateTime, now)).map((c) => (after(c['x-lastSignIn'], now) ? { ...c, 'x-lastSignIn': undefined } : c));
  const dated = <T extends { passwordCredentials: Array<{ startDateTime?: unknown; 'x-lastSignIn'?: string }>; keyCredentials: Array<{ startDateTime?: unknown; 'x-lastSignIn'?: string }> }>(o: T) => ({
    ...o,
    passwordCredentials: credentials(o.passwordCredentials),
    keyCredentials: credentials(o.keyCredentials),
  });
  return {
    ...dataset,
    applications: dataset.applications.filter((a) => !later.has(a.appId)).map(dated),
    servicePrincipals: dataset.servicePrincipals
      .filter((sp) => !later.has(sp.appId))
      .map((sp) => ({ ...dated(sp), ...(after(sp['x-lastSignIn'], now) ? { 'x-lastSignIn': undefined } : {}) })),
    appRoleAssignments: dataset.appRoleAssignments.filter((a) => !after(a.createdDateTime, now)),
  } as Dataset;
}

/** Graph's collections, computed once from a dataset as it stood at `now`. */
export class Tenant {
  readonly users: Map<string, Record<string, unknown>>;
  readonly servicePrincipals: Map<string, Dataset['servicePrincipals'][number]>;
  readonly applications: Map<string, Dataset['applications'][number]>;
  readonly assignments: Array<Record<string, unknown>>;
  readonly dataset: Dataset;

  constructor(dataset: Dataset, now: Date) {
    this.dataset = asOf(dataset, now);
    dataset = this.dataset;
    this.users = new Map(dataset.users.map((u) => [u.id, u]));
    this.servicePrincipals = new Map(dataset.servicePrincipals.map((sp) => [sp.id, sp]));
    this.applications = new Map(dataset.applications.map((a) => [a.id, a]));
    this.assignments = dataset.appRoleAssignments.map((a, index) => {
      const resource = this.servicePrincipals.get(a.resourceId);
      const role = resource?.appRoles.find((r) => r.value === a.appRole);
      if (!resource || !role) throw new Error(`appRoleAssignments[${index}]: no service principal ${a.resourceId} defining the app role ${a.appRole}`);
      const principal = this.servicePrincipals.get(a.principalId);
      return {
        id: `${a.principalId.slice(0, 8)}${a.resourceId.slice(0, 8)}${String(index).padStart(4, '0')}`,
        appRoleId: role.id,
        principalId: a.principalId,
        principalType: principal ? 'ServicePrincipal' : 'User',
        principalDisplayName: principal?.displayName ?? null,
        resourceId: a.resourceId,
        resourceDisplayName: resource.displayName ?? null,
        createdDateTime: a.createdDateTime ?? null,
      };
    });
  }

  /** An owner as `GET .../owners` lists it: a user or a service principal, typed. */
  owner(id: string): Record<string, unknown> {
    const user = this.users.get(id);
    if (user) return { '@odata.type': '#microsoft.graph.user', ...user };
    const sp = this.servicePrincipals.get(id);
    if (sp) return { '@odata.type': '#microsoft.graph.servicePrincipal', id: sp.id, appId: sp.appId, displayName: sp.displayName ?? null };
    throw new Error(`owner ${id} is neither a user nor a service principal of the dataset`);
  }

  /** The beta service principal sign-in activity report. */
  servicePrincipalActivity(): Array<Record<string, unknown>> {
    return [...this.servicePrincipals.values()]
      .filter((sp) => sp['x-lastSignIn'])
      .map((sp) => ({
        id: Buffer.from(sp.appId).toString('base64url'),
        appId: sp.appId,
        lastSignInActivity: { lastSignInDateTime: sp['x-lastSignIn'], lastSignInRequestId: null },
      }));
  }

  /** The beta application credential sign-in activity report. */
  credentialActivity(): Array<Record<string, unknown>> {
    const rows: Array<Record<string, unknown>> = [];
    const add = (origin: 'application' | 'servicePrincipal', owner: { id: string; appId: string }, credential: z.infer<typeof Credential>, keyType: string) => {
      if (!credential['x-lastSignIn']) return;
      rows.push({
        id: Buffer.from(`${owner.id}:${credential.keyId}`).toString('base64url'),
        appId: owner.appId,
        appObjectId: owner.id,
        keyId: credential.keyId,
        keyType,
        keyUsage: 'verify',
        credentialOrigin: origin,
        expirationDateTime: credential.endDateTime ?? null,
        signInActivity: { lastSignInDateTime: credential['x-lastSignIn'], lastSignInRequestId: null },
      });
    };
    for (const app of this.applications.values()) {
      for (const c of app.passwordCredentials) add('application', app, c, 'clientSecret');
      for (const c of app.keyCredentials) add('application', app, c, 'certificate');
    }
    for (const sp of this.servicePrincipals.values()) {
      for (const c of sp.passwordCredentials) add('servicePrincipal', sp, c, 'clientSecret');
      for (const c of sp.keyCredentials) add('servicePrincipal', sp, c, 'certificate');
    }
    return rows;
  }
}
