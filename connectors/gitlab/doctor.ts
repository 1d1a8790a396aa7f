import { stringify } from 'yaml';
import { ConnectorError, type ConnectContext, type DoctorReport, type PermissionCheck } from '../../src/sdk/index.js';
import { createClient, refusalStatus, type GitLabClient } from './client.js';
import type { CollectionKind, GitLabConfig } from './config.js';
import { OPERATIONS, type ItemOf, type Operation } from './operations.js';

/** The group-level listing of each kind that has one: its role requirement is the group's for every project below. */
const GROUP_OPERATIONS: Partial<Record<CollectionKind, Operation>> = {
  'access-tokens': OPERATIONS.groupAccessTokens,
  'ci-variables': OPERATIONS.groupVariables,
  'deploy-tokens': OPERATIONS.groupDeployTokens,
  runners: OPERATIONS.groupRunners,
  'service-accounts': OPERATIONS.groupServiceAccounts,
};
/** What `admin: true` adds: the instance's variables, and (with service accounts) its service accounts and their tokens. */
const ADMIN_OPERATIONS = [OPERATIONS.instanceVariables, OPERATIONS.instanceServiceAccounts];
/** The scope every read needs. */
const SCOPE = 'read_api';

function roleOf(operation: Operation): 'Owner' | 'Maintainer' {
  return /\bOwner\b/.test(operation.needs) ? 'Owner' : 'Maintainer';
}

/** The role the token's user needs in each group: Owner when a configured kind needs it there, else Maintainer. */
export function requiredRole(kinds: readonly CollectionKind[]): 'Owner' | 'Maintainer' {
  return kinds.some((kind) => GROUP_OPERATIONS[kind] && roleOf(GROUP_OPERATIONS[kind]!) === 'Owner') ? 'Owner' : 'Maintainer';
}

function grantFile(config: GitLabConfig, source: string): string {
  const header = [
    `# What nhi-audit's source "${source}" needs: an access token with these scopes (personal, group or service`,
    '# account token; OAuth: the same scopes), whose user holds these roles in each group (inherited by its projects).',
  ];
  const role = requiredRole(config.kinds);
  const grant = { scopes: [SCOPE], roles: Object.fromEntries(config.groups.map((group) => [group, role])), administrator: config.admin };
  return `${header.join('\n')}\n${stringify(grant)}`;
}

/** The first page of one listing: granted, missing when GitLab refuses it (401, 403, 404), unknown otherwise. */
async function probe(client: GitLabClient, scope: string, permission: string, operation: Operation, parameters: Record<string, unknown>, signal: AbortSignal): Promise<PermissionCheck> {
  try {
    if (operation.list) {
      for await (const _page of client.pages(operation, parameters, signal)) break;
    } else {
      await client.request(operation, parameters, signal);
    }
    return { scope, permission, operation: operation.id, status: 'granted' };
  } catch (error) {
    const refused = refusalStatus(error) !== undefined;
    return { scope, permission, operation: operation.id, status: refused ? 'missing' : 'unknown', detail: (error as Error).message };
  }
}

/** `nhi-audit doctor` for gitlab: the token's user, its reach into each group, the roles the kinds need, and the administrator's reads. */
export async function diagnose(config: GitLabConfig, context: ConnectContext): Promise<DoctorReport> {
  const signal = AbortSignal.timeout(context.timeouts.sourceMs);
  const client = await createClient(config, context);
  const user = (await client.request(OPERATIONS.currentUser, {}, signal).catch((error: unknown) => {
    throw new ConnectorError(context.source, `the token was not accepted (${OPERATIONS.currentUser.id}): ${(error as Error).message}`, {
      cause: error,
      hint: `check host, the network and the token in ${config.tokenEnv ?? config.oauthTokenEnv}`,
    });
  })).body as ItemOf<typeof OPERATIONS.currentUser>;
  const checks: PermissionCheck[] = [];
  for (const group of config.groups) {
    checks.push(await probe(client, group, `${SCOPE} and membership of ${group}`, OPERATIONS.showGroup, { group }, signal));
    for (const kind of config.kinds) {
      const operation = GROUP_OPERATIONS[kind];
      if (operation) checks.push(await probe(client, group, `${roleOf(operation)} in ${group}`, operation, { group }, signal));
    }
  }
  if (config.admin) {
    for (const operation of ADMIN_OPERATIONS) {
      if (operation === OPERATIONS.instanceServiceAccounts && !config.kinds.includes('service-accounts')) continue;
      checks.push(await probe(client, 'instance', 'administrator', operation, {}, signal));
    }
  }
  return {
    principals: [{ scope: config.host, identity: `user:${user.username}${user.is_admin ? ' (administrator)' : ''}` }],
    checks,
    grant: {
      description: `the token's scopes and its user's role in each group${config.admin ? ', and an administrator' : ''}`,
      fileSuffix: 'gitlab-token.yaml',
      content: grantFile(config, context.source),
    },
  };
}
