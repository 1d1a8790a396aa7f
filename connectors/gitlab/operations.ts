import type { z } from 'zod';
import {
  AccessTokenSchema,
  CurrentUserSchema,
  DeployKeySchema,
  DeployTokenSchema,
  GroupSchema,
  PersonalAccessTokenSchema,
  ProjectSchema,
  RunnerSchema,
  ServiceAccountSchema,
  TriggerSchema,
  VariableSchema,
} from './responses.js';

/**
 * The GitLab REST v4 calls the connector makes, named in the manifest by their path (`groups/access-tokens` for
 * `GET /groups/:id/access_tokens`). `client` names the @gitbeaker/rest method that requests the same path where the
 * library has one (a test checks both ask for the same URL); the sandbox routes the same table.
 */
export interface Operation<Schema extends z.ZodType = z.ZodType> {
  id: string;
  /** Path below /api/v4 with `{name}` parameters, each an id or a URL-encoded full path. */
  path: string;
  /** What the connector reads from the body, or from each item of a list. */
  schema: Schema;
  /** Whether the answer is a paged list (the body is an array). */
  list: boolean;
  /** Query parameters every request of the operation carries (filters that shape the population). */
  query?: Record<string, string>;
  /** Fields that hold a secret value: removed from the body before it is kept or read. */
  secrets?: readonly string[];
  /** The field that names each item, which the `drop-field` fault removes. */
  names: string;
  /** The @gitbeaker/rest resource method of the same request, when the library has one. */
  client?: string;
  /** The role or scope GitLab requires, said where a refusal makes a kind unreadable. */
  needs: string;
}

export type ItemOf<O extends Operation> = z.output<O['schema']>;

function op<Schema extends z.ZodType>(operation: Operation<Schema>): Operation<Schema> {
  return operation;
}

export const OPERATIONS = {
  currentUser: op({ id: 'user', path: 'user', schema: CurrentUserSchema, list: false, names: 'username', client: 'Users.showCurrentUser', needs: 'read_api or read_user' }),
  showGroup: op({ id: 'groups', path: 'groups/{group}', schema: GroupSchema, list: false, names: 'full_path', client: 'Groups.show', needs: 'read_api and membership of the group' }),
  descendantGroups: op({
    id: 'groups/descendant-groups',
    path: 'groups/{group}/descendant_groups',
    schema: GroupSchema,
    list: true,
    names: 'full_path',
    client: 'Groups.allDescendantGroups',
    needs: 'read_api',
  }),
  groupProjects: op({
    id: 'groups/projects',
    path: 'groups/{group}/projects',
    schema: ProjectSchema,
    list: true,
    query: { include_subgroups: 'true', with_shared: 'false' },
    names: 'path_with_namespace',
    client: 'Groups.allProjects',
    needs: 'read_api',
  }),
  groupAccessTokens: op({
    id: 'groups/access-tokens',
    path: 'groups/{group}/access_tokens',
    schema: AccessTokenSchema,
    list: true,
    names: 'id',
    client: 'GroupAccessTokens.all',
    needs: 'the Owner role in the group',
  }),
  projectAccessTokens: op({
    id: 'projects/access-tokens',
    path: 'projects/{project}/access_tokens',
    schema: AccessTokenSchema,
    list: true,
    names: 'id',
    client: 'ProjectAccessTokens.all',
    needs: 'the Maintainer role in the project',
  }),
  groupDeployTokens: op({
    id: 'groups/deploy-tokens',
    path: 'groups/{group}/deploy_tokens',
    schema: DeployTokenSchema,
    list: true,
    names: 'id',
    client: 'DeployTokens.all',
    needs: 'the Maintainer role in the group',
  }),
  projectDeployTokens: op({
    id: 'projects/deploy-tokens',
    path: 'projects/{project}/deploy_tokens',
    schema: DeployTokenSchema,
    list: true,
    names: 'id',
    client: 'DeployTokens.all',
    needs: 'the Maintainer role in the project',
  }),
  projectDeployKeys: op({
    id: 'projects/deploy-keys',
    path: 'projects/{project}/deploy_keys',
    schema: DeployKeySchema,
    list: true,
    names: 'id',
    client: 'DeployKeys.all',
    needs: 'the Maintainer role in the project',
  }),
  groupVariables: op({
    id: 'groups/variables',
    path: 'groups/{group}/variables',
    schema: VariableSchema,
    list: true,
    secrets: ['value'],
    names: 'key',
    client: 'GroupVariables.all',
    needs: 'the Owner role in the group',
  }),
  projectVariables: op({
    id: 'projects/variables',
    path: 'projects/{project}/variables',
    schema: VariableSchema,
    list: true,
    secrets: ['value'],
    names: 'key',
    client: 'ProjectVariables.all',
    needs: 'the Maintainer role in the project',
  }),
  instanceVariables: op({
    id: 'admin/ci/variables',
    path: 'admin/ci/variables',
    schema: VariableSchema,
    list: true,
    secrets: ['value'],
    names: 'key',
    client: 'InstanceLevelCICDVariables.all',
    needs: 'an administrator token',
  }),
  projectTriggers: op({
    id: 'projects/triggers',
    path: 'projects/{project}/triggers',
    schema: TriggerSchema,
    list: true,
    secrets: ['token'],
    names: 'id',
    client: 'PipelineTriggerTokens.all',
    needs: 'the Maintainer role in the project',
  }),
  groupRunners: op({
    id: 'groups/runners',
    path: 'groups/{group}/runners',
    schema: RunnerSchema,
    list: true,
    query: { type: 'group_type' },
    names: 'id',
    client: 'Runners.all',
    needs: 'the Maintainer role in the group',
  }),
  projectRunners: op({
    id: 'projects/runners',
    path: 'projects/{project}/runners',
    schema: RunnerSchema,
    list: true,
    query: { type: 'project_type' },
    names: 'id',
    client: 'Runners.all',
    needs: 'the Maintainer role in the project',
  }),
  groupServiceAccounts: op({
    id: 'groups/service-accounts',
    path: 'groups/{group}/service_accounts',
    schema: ServiceAccountSchema,
    list: true,
    names: 'username',
    needs: 'the Owner role in a top-level group (GitLab Premium or Ultimate)',
  }),
  groupServiceAccountTokens: op({
    id: 'groups/service-accounts/personal-access-tokens',
    path: 'groups/{group}/service_accounts/{user}/personal_access_tokens',
    schema: PersonalAccessTokenSchema,
    list: true,
    names: 'id',
    needs: 'the Owner role in a top-level group (GitLab Premium or Ultimate)',
  }),
  instanceServiceAccounts: op({
    id: 'service-accounts',
    path: 'service_accounts',
    schema: ServiceAccountSchema,
    list: true,
    names: 'username',
    needs: 'an administrator token (GitLab Premium or Ultimate)',
  }),
  personalAccessTokens: op({
    id: 'personal-access-tokens',
    path: 'personal_access_tokens',
    schema: PersonalAccessTokenSchema,
    list: true,
    names: 'id',
    client: 'PersonalAccessTokens.all',
    needs: 'an administrator token',
  }),
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;

/** The request path of an operation with its parameters filled in, each encoded as one path segment. */
export function operationPath(operation: Operation, parameters: Record<string, unknown>): string {
  return operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = parameters[name];
    if (value === undefined) throw new Error(`${operation.id}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
}

/** A body with the operation's secret fields removed from it (or from each item of a list). */
export function withoutSecrets(operation: Operation, body: unknown): unknown {
  if (!operation.secrets) return body;
  const strip = (item: unknown) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return item;
    const copy = { ...(item as Record<string, unknown>) };
    for (const field of operation.secrets!) delete copy[field];
    return copy;
  };
  return Array.isArray(body) ? body.map(strip) : strip(body);
}
