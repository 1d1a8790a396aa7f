import { z } from 'zod';

/*
 * What the connector reads from each GitLab REST v4 response, checked before anything uses it (issue 9): the
 * fields the normalizers and the collection's decisions read, typed and required or nullable as GitLab's API
 * documentation gives them. Every other field passes through untouched, so the pack keeps the body as received
 * (less the secret values `stripSecrets` removes first).
 */

/** Timestamps are kept as strings; `instant()` reads them, and an unparseable one becomes `null` there. */
const Timestamp = z.string();

export const CurrentUserSchema = z.looseObject({
  id: z.number().int(),
  username: z.string().min(1),
  /** Shown to administrators only. */
  is_admin: z.boolean().optional(),
});

export const GroupSchema = z.looseObject({
  id: z.number().int(),
  full_path: z.string().min(1),
  web_url: z.string().optional(),
});

export const ProjectSchema = z.looseObject({
  id: z.number().int(),
  path_with_namespace: z.string().min(1),
  archived: z.boolean().optional(),
  web_url: z.string().optional(),
});

/** A group or project access token: a personal access token of the group's or project's bot user. */
export const AccessTokenSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  revoked: z.boolean(),
  active: z.boolean(),
  created_at: Timestamp,
  scopes: z.array(z.string()),
  user_id: z.number().int(),
  last_used_at: Timestamp.nullable(),
  expires_at: Timestamp.nullable(),
  access_level: z.number().int().optional(),
  description: z.string().nullable().optional(),
});

export const DeployTokenSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  username: z.string(),
  expires_at: Timestamp.nullable(),
  scopes: z.array(z.string()),
  revoked: z.boolean(),
  expired: z.boolean(),
});

export const DeployKeySchema = z.looseObject({
  id: z.number().int(),
  title: z.string(),
  key: z.string(),
  created_at: Timestamp,
  expires_at: Timestamp.nullable().optional(),
  can_push: z.boolean(),
  fingerprint_sha256: z.string().optional(),
});

/** A CI/CD variable; its `value` is removed before the page is kept and never read. */
export const VariableSchema = z.looseObject({
  key: z.string().min(1),
  variable_type: z.enum(['env_var', 'file']),
  protected: z.boolean(),
  masked: z.boolean(),
  hidden: z.boolean().optional(),
  raw: z.boolean().optional(),
  /** Group and project variables only. */
  environment_scope: z.string().optional(),
  description: z.string().nullable().optional(),
});

const UserRefSchema = z.looseObject({ id: z.number().int(), username: z.string().min(1) });

/** A pipeline trigger token; its `token` is removed before the page is kept and never read. */
export const TriggerSchema = z.looseObject({
  id: z.number().int(),
  description: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp.nullable().optional(),
  last_used: Timestamp.nullable(),
  owner: UserRefSchema.nullable(),
  expires_at: Timestamp.nullable().optional(),
});

export const RunnerSchema = z.looseObject({
  id: z.number().int(),
  description: z.string().nullable(),
  runner_type: z.enum(['instance_type', 'group_type', 'project_type']),
  paused: z.boolean(),
  is_shared: z.boolean(),
  status: z.string(),
  name: z.string().nullable().optional(),
  created_at: Timestamp.optional(),
  contacted_at: Timestamp.nullable().optional(),
});

export const ServiceAccountSchema = z.looseObject({
  id: z.number().int(),
  username: z.string().min(1),
  name: z.string(),
});

/** A personal access token as the personal access tokens API lists it. */
export const PersonalAccessTokenSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  revoked: z.boolean(),
  active: z.boolean(),
  created_at: Timestamp,
  scopes: z.array(z.string()),
  user_id: z.number().int(),
  last_used_at: Timestamp.nullable(),
  expires_at: Timestamp.nullable(),
  description: z.string().nullable().optional(),
});

export type RawCurrentUser = z.output<typeof CurrentUserSchema>;
export type RawGroup = z.output<typeof GroupSchema>;
export type RawProject = z.output<typeof ProjectSchema>;
export type RawAccessToken = z.output<typeof AccessTokenSchema>;
export type RawDeployToken = z.output<typeof DeployTokenSchema>;
export type RawDeployKey = z.output<typeof DeployKeySchema>;
export type RawVariable = z.output<typeof VariableSchema>;
export type RawTrigger = z.output<typeof TriggerSchema>;
export type RawRunner = z.output<typeof RunnerSchema>;
export type RawServiceAccount = z.output<typeof ServiceAccountSchema>;
export type RawPersonalAccessToken = z.output<typeof PersonalAccessTokenSchema>;
