import { ConnectorError, type ConnectContext, type DoctorReport, type PermissionCheck } from '../../src/sdk/index.js';
import { createClient, refusalStatus, type GitHubClient } from './client.js';
import type { CollectionKind, GitHubConfig } from './config.js';
import { OPERATIONS, REPOSITORY_INVENTORY, type ItemOf, type Operation } from './operations.js';

/** The REST reads each kind makes (collect.ts), whose `permission` the App or token must hold. */
const KIND_OPERATIONS: Record<CollectionKind, readonly Operation[]> = {
  'app-installations': [OPERATIONS.listAppInstallations],
  'deploy-keys': [OPERATIONS.listDeployKeys],
  'pat-grants': [OPERATIONS.listPatGrants],
  'credential-authorizations': [OPERATIONS.listSamlAuthorizations],
  'actions-secrets': [OPERATIONS.listOrgActionsSecrets, OPERATIONS.listOrgActionsSecretRepos, OPERATIONS.listRepoActionsSecrets, OPERATIONS.listEnvironmentSecrets, OPERATIONS.listEnvironments],
  'dependabot-secrets': [OPERATIONS.listOrgDependabotSecrets, OPERATIONS.listOrgDependabotSecretRepos, OPERATIONS.listRepoDependabotSecrets],
  'codespaces-secrets': [OPERATIONS.listOrgCodespacesSecrets, OPERATIONS.listOrgCodespacesSecretRepos, OPERATIONS.listRepoCodespacesSecrets],
  webhooks: [OPERATIONS.listOrgWebhooks, OPERATIONS.listRepoWebhooks],
  runners: [OPERATIONS.listOrgRunnerGroups, OPERATIONS.listOrgRunners, OPERATIONS.listRepoRunners],
};
/** Kinds read per repository: they need the repository inventory (metadata) and the owners' custom properties. */
const REPOSITORY_KINDS: readonly CollectionKind[] = ['deploy-keys', 'actions-secrets', 'dependabot-secrets', 'codespaces-secrets', 'webhooks', 'runners'];
/** Every installation holds it; the repository inventory (GraphQL) reads with it. */
const METADATA = 'metadata=read';

/** The operations the configured kinds make, and for each permission the first operation that needs it. */
export function requiredPermissions(kinds: readonly CollectionKind[]): Map<string, Operation> {
  const operations = kinds.flatMap((kind) => KIND_OPERATIONS[kind]);
  if (kinds.some((kind) => REPOSITORY_KINDS.includes(kind))) operations.push(OPERATIONS.listRepoPropertyValues);
  const needed = new Map<string, Operation>();
  for (const operation of operations) if (operation.permission && !needed.has(operation.permission)) needed.set(operation.permission, operation);
  return needed;
}

/** The App manifest's `default_permissions`: what to give the App (a fine-grained token takes the same, read-only). */
function manifestFragment(permissions: Iterable<string>): string {
  const entries = [...new Set([METADATA, ...permissions])].map((permission) => permission.split('=') as [string, string]).sort(([a], [b]) => (a < b ? -1 : 1));
  return `${JSON.stringify({ default_permissions: Object.fromEntries(entries) }, null, 2)}\n`;
}

/** A write or admin grant includes read, as GitHub counts it. */
function holds(permissions: Record<string, string>, needed: string): boolean {
  const [name, access] = needed.split('=') as [string, string];
  const held = permissions[name];
  return held === access || held === 'write' || held === 'admin';
}

function unreachable(source: string, what: string, error: unknown): ConnectorError {
  return new ConnectorError(source, `${what}: ${(error as Error).message}`, {
    cause: error,
    hint: 'check baseUrl, the network and the credentials (the App id, its private key and the installation id, or the token)',
  });
}

/** An App: its identity and its installation's permissions object, read with the App's JWT; then one call with the installation's token. */
async function diagnoseApp(client: GitHubClient, config: GitHubConfig, context: ConnectContext, signal: AbortSignal): Promise<Pick<DoctorReport, 'principals' | 'checks'>> {
  const app = config.app!;
  const self = (await client.request(OPERATIONS.getAuthenticatedApp, {}, signal).catch((error: unknown) => {
    throw unreachable(context.source, `the GitHub App ${app.appId} could not authenticate`, error);
  })).value as ItemOf<typeof OPERATIONS.getAuthenticatedApp>;
  const principals = [{ scope: config.org, identity: `app:${self.slug} (${self.name}, id ${self.id}) installation ${app.installationId}` }];
  const installation = await client.request(OPERATIONS.getInstallation, { installation_id: app.installationId }, signal).catch((error: unknown) => {
    if (refusalStatus(error) === 404) return undefined;
    throw unreachable(context.source, `installation ${app.installationId}`, error);
  });
  const installed = installation && (installation.body as { account?: { login?: string } }).account?.login;
  const checks: PermissionCheck[] = [
    {
      scope: config.org,
      permission: `installation on ${config.org}`,
      operation: OPERATIONS.getInstallation.id,
      ...(installed?.toLowerCase() === config.org.toLowerCase()
        ? { status: 'granted' as const }
        : { status: 'missing' as const, detail: installed ? `installation ${app.installationId} is on ${installed}` : `the App has no installation ${app.installationId}` }),
    },
  ];
  const held = (installation?.value as ItemOf<typeof OPERATIONS.getInstallation> | undefined)?.permissions ?? {};
  for (const permission of new Set([METADATA, ...requiredPermissions(config.kinds).keys()])) {
    const granted = holds(held, permission);
    checks.push({
      scope: config.org,
      permission,
      operation: OPERATIONS.getInstallation.id,
      status: granted ? 'granted' : 'missing',
      ...(granted ? {} : { detail: `the installation holds ${permission.split('=')[0]}=${held[permission.split('=')[0]!] ?? 'none'}` }),
    });
  }
  // The installation's own token, as the collection uses it: minted, then one read of the organization.
  if (installed) {
    await client.request(OPERATIONS.getOrg, { org: config.org }, signal).catch((error: unknown) => {
      throw unreachable(context.source, `reading ${config.org} with the installation's token`, error);
    });
  }
  return { principals, checks };
}

/** A token: its user, then the first page (one item) of each organization-level listing the configured kinds make. */
async function diagnoseToken(client: GitHubClient, config: GitHubConfig, context: ConnectContext, signal: AbortSignal): Promise<Pick<DoctorReport, 'principals' | 'checks'>> {
  const user = (await client.request(OPERATIONS.getAuthenticatedUser, {}, signal).catch((error: unknown) => {
    throw unreachable(context.source, `the token in ${config.tokenEnv} was not accepted`, error);
  })).value as ItemOf<typeof OPERATIONS.getAuthenticatedUser>;
  const principals = [{ scope: config.org, identity: `user:${user.login}` }];
  const checks: PermissionCheck[] = [];
  for (const [permission, operation] of requiredPermissions(config.kinds)) {
    if (!operation.route.includes('/orgs/{org}/') || operation.route.includes('{secret_name}')) continue;
    try {
      for await (const _page of client.pages(operation, { org: config.org, per_page: 1 }, signal)) break;
      checks.push({ scope: config.org, permission, operation: operation.id, status: 'granted' });
    } catch (error) {
      const refused = refusalStatus(error) !== undefined;
      checks.push({ scope: config.org, permission, operation: operation.id, status: refused ? 'missing' : 'unknown', detail: (error as Error).message });
    }
  }
  return { principals, checks };
}

/** `nhi-audit doctor` for github. */
export async function diagnose(config: GitHubConfig, context: ConnectContext): Promise<DoctorReport> {
  const signal = AbortSignal.timeout(context.timeouts.sourceMs);
  const client = await createClient(config, context);
  const found = config.app ? await diagnoseApp(client, config, context, signal) : await diagnoseToken(client, config, context, signal);
  const repositories = config.kinds.some((kind) => REPOSITORY_KINDS.includes(kind));
  return {
    ...found,
    grant: {
      description: `GitHub App permissions as an App manifest fragment (default_permissions)${repositories ? `, with access to all repositories of ${config.org}` : ''}; a fine-grained token needs the same, read-only (${REPOSITORY_INVENTORY.id} reads with metadata)`,
      fileSuffix: 'github-app-permissions.json',
      content: manifestFragment(requiredPermissions(config.kinds).keys()),
    },
  };
}
