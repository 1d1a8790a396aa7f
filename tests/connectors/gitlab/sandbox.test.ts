import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, operationPath, type Operation } from '../../../connectors/gitlab/operations.js';
import type { GitLabSandbox } from '../../../connectors/gitlab/sandbox/index.js';
import { loadFixture, sandboxOver, TOKEN } from './harness.js';

/*
 * The operation table names, for each call, the @gitbeaker/rest method that makes the same request. Here the
 * library itself, unmodified, calls the sandbox: it reads what the connector reads, and every method asks for the
 * path the connector's table gives.
 */

const GROUP = 100;
const PROJECT = 200;
const ACCOUNT = 601;

/** The library call for each operation that has one, with the parameters the connector would send. */
function calls(api: InstanceType<typeof Gitlab>): Record<string, { parameters: Record<string, unknown>; call: () => Promise<unknown> }> {
  return {
    user: { parameters: {}, call: () => api.Users.showCurrentUser() },
    groups: { parameters: { group: 'acme' }, call: () => api.Groups.show('acme') },
    'groups/descendant-groups': { parameters: { group: GROUP }, call: () => api.Groups.allDescendantGroups(GROUP, {}) },
    'groups/projects': { parameters: { group: GROUP }, call: () => api.Groups.allProjects(GROUP, { includeSubgroups: true, withShared: false }) },
    'groups/access-tokens': { parameters: { group: GROUP }, call: () => api.GroupAccessTokens.all(GROUP) },
    'projects/access-tokens': { parameters: { project: PROJECT }, call: () => api.ProjectAccessTokens.all(PROJECT) },
    'groups/deploy-tokens': { parameters: { group: GROUP }, call: () => api.DeployTokens.all({ groupId: GROUP }) },
    'projects/deploy-tokens': { parameters: { project: PROJECT }, call: () => api.DeployTokens.all({ projectId: PROJECT }) },
    'projects/deploy-keys': { parameters: { project: PROJECT }, call: () => api.DeployKeys.all({ projectId: PROJECT }) },
    'groups/variables': { parameters: { group: GROUP }, call: () => api.GroupVariables.all(GROUP) },
    'projects/variables': { parameters: { project: PROJECT }, call: () => api.ProjectVariables.all(PROJECT) },
    'admin/ci/variables': { parameters: {}, call: () => api.InstanceLevelCICDVariables.all() },
    'projects/triggers': { parameters: { project: PROJECT }, call: () => api.PipelineTriggerTokens.all(PROJECT) },
    'groups/runners': { parameters: { group: GROUP }, call: () => api.Runners.all({ groupId: GROUP, type: 'group_type' }) },
    'projects/runners': { parameters: { project: PROJECT }, call: () => api.Runners.all({ projectId: PROJECT, type: 'project_type' }) },
    'personal-access-tokens': { parameters: { user_id: ACCOUNT }, call: () => api.PersonalAccessTokens.all({ userId: ACCOUNT }) },
  };
}

describe('gitlab sandbox: the unmodified @gitbeaker/rest client', () => {
  let sandbox: GitLabSandbox;
  let api: InstanceType<typeof Gitlab>;
  beforeAll(async () => {
    const dataset = await loadFixture();
    sandbox = await sandboxOver({ ...dataset, collector: { ...dataset.collector, is_admin: true } });
    api = new Gitlab({ host: sandbox.host, token: TOKEN });
  });
  afterAll(() => sandbox.close());

  it('asks, for every operation the table ties to it, for the path the connector asks for', async () => {
    const table = calls(api);
    const tied = Object.values(OPERATIONS).filter((operation: Operation) => operation.client);
    expect(Object.keys(table).sort()).toEqual(tied.map((operation) => operation.id).sort());
    for (const operation of tied) {
      const { parameters, call } = table[operation.id]!;
      sandbox.calls.length = 0;
      await call();
      const [first] = sandbox.calls;
      expect(first?.operation, operation.id).toBe(operation.id);
      expect(new URL(first!.path, sandbox.host).pathname, operation.id).toBe(`/api/v4/${operationPath(operation, parameters)}`);
    }
  });

  it('follows the sandbox\'s pages to the end, as it follows GitLab\'s', async () => {
    const variables = await api.ProjectVariables.all(PROJECT);
    expect(variables).toHaveLength(130);
    expect(new Set(variables.map((variable) => variable.key)).size).toBe(130);
  });

  it('gets GitLab\'s 401 for a wrong token and 404 for a group that does not exist', async () => {
    const wrong = new Gitlab({ host: sandbox.host, token: 'glpat-wrong' });
    await expect(wrong.Users.showCurrentUser()).rejects.toThrow('401 Unauthorized');
    await expect(api.Groups.show('no-such-group')).rejects.toThrow('404 Group Not Found');
  });
});
