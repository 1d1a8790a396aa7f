import { z } from 'zod';

/**
 * What each Google API answer must hold before the normalizer reads it: the fields it uses, with their types, as
 * Google's discovery documents describe them. proto3 JSON leaves empty lists out, so a list field may be absent;
 * a record without the name or id that identifies it is never valid. Other fields pass through untouched.
 */

const Instant = z.iso.datetime({ offset: true });
const nextPageToken = z.string().optional();

export const ServiceAccountsPage = z.looseObject({
  accounts: z
    .array(
      z.looseObject({
        email: z.string().min(1),
        uniqueId: z.string().min(1),
        displayName: z.string().optional(),
        description: z.string().optional(),
        disabled: z.boolean().optional(),
      }),
    )
    .optional(),
  nextPageToken,
});

export const KeysResponse = z.looseObject({
  keys: z
    .array(
      z.looseObject({
        name: z.string().regex(/\/keys\/[^/]+$/),
        keyType: z.enum(['KEY_TYPE_UNSPECIFIED', 'USER_MANAGED', 'SYSTEM_MANAGED']),
        validAfterTime: Instant.optional(),
        validBeforeTime: Instant.optional(),
        disabled: z.boolean().optional(),
      }),
    )
    .optional(),
});

/** Google returns a policy's etag with every read, an empty policy included: `{}` is not a policy. */
export const Policy = z.looseObject({
  etag: z.string().min(1),
  version: z.number().int().optional(),
  bindings: z
    .array(
      z.looseObject({
        role: z.string().min(1),
        members: z.array(z.string()),
        condition: z.looseObject({ expression: z.string(), title: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});

/** A project's chain from itself up to its organization: never empty, since the project is its own first ancestor. */
export const Ancestry = z.looseObject({
  ancestor: z
    .array(z.looseObject({ resourceId: z.looseObject({ type: z.enum(['project', 'folder', 'organization']), id: z.string().min(1) }) }))
    .min(1),
});

/** A custom role: its name, and the permissions it grants unless deleted or disabled. */
export const Role = z.looseObject({
  name: z.string().regex(/^(projects|organizations)\/[^/]+\/roles\/[^/]+$/),
  includedPermissions: z.array(z.string().min(1)).optional(),
  stage: z.string().optional(),
  deleted: z.boolean().optional(),
  etag: z.string().min(1),
});

export const ProjectsPage = z.looseObject({
  projects: z.array(z.looseObject({ projectId: z.string().min(1), name: z.string().regex(/^projects\/\d+$/), state: z.string().optional() })).optional(),
  nextPageToken,
});

export const FoldersPage = z.looseObject({
  folders: z.array(z.looseObject({ name: z.string().regex(/^folders\/\d+$/), state: z.string().optional() })).optional(),
  nextPageToken,
});

export const ActivitiesPage = z.looseObject({
  activities: z
    .array(
      z.looseObject({
        fullResourceName: z.string().min(1),
        activity: z.looseObject({ lastAuthenticatedTime: Instant }),
        observationPeriod: z.looseObject({ startTime: Instant.optional(), endTime: Instant.optional() }).optional(),
      }),
    )
    .optional(),
  nextPageToken,
});

export const SearchResultsPage = z.looseObject({
  results: z
    .array(
      z.looseObject({
        name: z.string().min(1),
        assetType: z.string().min(1),
        project: z.string().optional(),
        state: z.string().optional(),
        createTime: Instant.optional(),
        additionalAttributes: z.looseObject({ email: z.string().optional() }).optional(),
      }),
    )
    .optional(),
  nextPageToken,
});
