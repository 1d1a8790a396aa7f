import { z } from 'zod';

/** What the sandbox knows of IAM Recommender and predefined roles, in the shapes Google's APIs return. */

const Instant = z.iso.datetime({ offset: true });
const Permission = z.strictObject({ permission: z.string().min(1) });

/** A `google.iam.policy.Insight` as `insights.list` returns it; `x-createTime` hides it before that instant. */
const InsightSchema = z.looseObject({
  name: z.string().regex(/\/insightTypes\/google\.iam\.policy\.Insight\/insights\/[^/]+$/, 'expected projects/…/locations/global/insightTypes/google.iam.policy.Insight/insights/ID'),
  description: z.string(),
  content: z.looseObject({
    role: z.string().min(1),
    member: z.string().min(1),
    exercisedPermissions: z.array(Permission),
    inferredPermissions: z.array(Permission),
    currentTotalPermissionsCount: z.string().regex(/^\d+$/),
  }),
  lastRefreshTime: Instant,
  observationPeriod: z.string().regex(/^\d+s$/),
  stateInfo: z.strictObject({ state: z.enum(['ACTIVE', 'ACCEPTED', 'DISMISSED']) }),
  category: z.literal('SECURITY'),
  insightSubtype: z.string(),
  targetResources: z.array(z.string()),
  etag: z.string(),
  severity: z.enum(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']).optional(),
  'x-createTime': Instant.optional(),
});

/** A project's Recommender: its policy insights; `enabled: false` (or no `x-recommender`) answers SERVICE_DISABLED. */
export const RecommenderSchema = z.strictObject({
  enabled: z.boolean().default(true),
  insights: z.array(InsightSchema).default([]),
});

export const PredefinedRoleSchema = z.looseObject({
  name: z.string().regex(/^roles\/[A-Za-z0-9_.]+$/, 'expected roles/NAME'),
  title: z.string(),
  includedPermissions: z.array(z.string().min(1)),
  stage: z.string(),
  etag: z.string(),
});
