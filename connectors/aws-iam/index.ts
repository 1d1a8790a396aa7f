import pLimit from 'p-limit';
import { defineConnector, type CollectContext, type Identity, type ScopePlan, type ScopeRecorder } from '../../src/sdk/index.js';
import { CATALOG_PACKAGE, loadActionCatalog, type ActionCatalog } from './catalog.js';
import type { AccountTarget, AwsIamClient } from './client.js';
import { errorCode, operationOf } from './errors.js';
import { AwsIamConfigSchema } from './config.js';
import { PrivilegeEvaluator } from './effective.js';
import { loadExport, readExport } from './export.js';
import { snapshotsFromRaw } from './from-raw.js';
import { normalizeAccount, type AccountSnapshot } from './normalize.js';
import { policiesOver, type OrganizationPolicies } from './organization.js';

const CONNECTOR_ID = 'aws-iam';
/** Where discovery and the service control policies are kept. */
const ORGANIZATION_SCOPE = 'organization';

function catalogReference(catalog: ActionCatalog) {
  return { name: CATALOG_PACKAGE, version: catalog.version, purpose: 'IAM actions and their access levels: policy patterns expanded, levels and escalation judged' };
}

/** The accounts the config names or the organization holds (less those excluded), or the caller's own when none. */
function accountIds(config: AwsIamClient['config'], callerAccount: string, discovered: readonly string[]): string[] {
  const ids = new Set(config.accounts.map((a) => a.id));
  for (const id of discovered) if (!config.organizations?.exclude.includes(id)) ids.add(id);
  if (ids.size === 0) ids.add(callerAccount);
  return [...ids].sort();
}

/**
 * The accounts to read: configured ones, discovered ones, and the caller's own when nothing else is named, or the
 * planned ones of a shard; with discovery, the organization's service control policies too (a shard reads them
 * again: they judge its accounts' privilege).
 */
async function targets(client: AwsIamClient, context: CollectContext): Promise<{ accounts: AccountTarget[]; organization?: OrganizationPolicies }> {
  const { config } = client;
  const caller = await client.callerIdentity();
  context.collector(caller.arn);
  const externalId = client.externalId();
  const roleArn = (accountId: string) => `arn:aws:iam::${accountId}:role/${config.assumeRole.roleName}`;

  const explicit = new Map(config.accounts.map((a) => [a.id, a.roleArn]));
  let discovered: string[] = [];
  let policies: OrganizationPolicies | undefined;
  if (config.organizations?.discover) {
    const organization = context.scope(ORGANIZATION_SCOPE);
    try {
      discovered = await client.organizationAccounts(organization, caller.account);
      policies = await readServiceControlPolicies(client, organization);
    } catch (error) {
      organization.error(operationOf(error) ?? 'ListAccounts', error, {
        hint: 'discovery needs organizations:ListAccounts from the management account or a delegated administrator',
      });
    }
  }
  // A shard reads the accounts the plan froze, even one the organization no longer lists: the merge says so.
  const ids = context.onlyScopes ? [...context.onlyScopes].sort() : accountIds(config, caller.account, discovered);
  const accounts = ids.map((accountId) => ({
    accountId,
    via:
      accountId === caller.account && !explicit.get(accountId)
        ? { kind: 'caller' as const }
        : { kind: 'assume-role' as const, roleArn: explicit.get(accountId) ?? roleArn(accountId), ...(externalId ? { externalId } : {}) },
  }));
  return { accounts, ...(policies ? { organization: policies } : {}) };
}

/** The accounts a plan freezes; a failed discovery fails the plan rather than leaving accounts out. */
async function listAccounts(client: AwsIamClient, context: CollectContext): Promise<ScopePlan | undefined> {
  const { config } = client;
  if (config.exports) return undefined;
  const caller = await client.callerIdentity();
  const discover = config.organizations?.discover === true;
  const discovered = discover ? await client.organizationAccounts(context.scope(ORGANIZATION_SCOPE), caller.account) : [];
  return { scopes: accountIds(config, caller.account, discovered), ...(discover ? { shared: [ORGANIZATION_SCOPE] } : {}) };
}

/**
 * SCPs only narrow privilege, so an organization that does not let the collector read them (AccessDenied) is
 * judged on identity policies and boundaries alone: the error is kept in the manifest without making the population
 * incomplete, and the identities do not list service-control-policies among what they were evaluated against. Any
 * other failure leaves the organization incomplete, naming the operation, like every other read.
 */
async function readServiceControlPolicies(client: AwsIamClient, organization: ScopeRecorder): Promise<OrganizationPolicies | undefined> {
  try {
    return await client.serviceControlPolicies(organization);
  } catch (error) {
    const denied = errorCode(error) === 'AccessDeniedException';
    organization.error(operationOf(error) ?? 'ListPolicies', error, {
      recovered: denied,
      hint: denied
        ? 'reading service control policies needs organizations:ListPolicies, DescribePolicy and ListTargetsForPolicy; privilege is judged without them'
        : "the organization's service control policies could not be read whole",
    });
    return undefined;
  }
}

/**
 * Each account's read, started now (`concurrency` at a time), in the order of the accounts: the caller takes each
 * when it needs it, so an account is normalized, and its snapshot let go, as soon as it and those before it are read.
 * A failed account is recorded and reads as undefined.
 */
async function readAccounts(client: AwsIamClient, context: CollectContext): Promise<Array<Promise<AccountSnapshot | undefined>>> {
  const { config } = client;
  if (config.exports) {
    const exports = config.exports;
    context.collector('AWS CLI exports read offline');
    return exports.map((files) => readExport(context.baseDir, files, (id) => context.scope(id)));
  }
  const limit = pLimit(config.concurrency);
  const { accounts, organization } = await targets(client, context);
  return accounts.map((target) =>
    limit(async () => {
      const recorder = context.scope(target.accountId);
      try {
        const snapshot = await client.readAccount(target, recorder);
        const policies = organization && policiesOver(organization, target.accountId);
        return policies ? { ...snapshot, serviceControlPolicies: policies } : snapshot;
      } catch (error) {
        const operation = operationOf(error) ?? 'GetAccountAuthorizationDetails';
        const hint =
          operation === 'AssumeRole' && target.via.kind === 'assume-role'
            ? `check that ${target.via.roleArn} exists, trusts the collector and accepts its external id`
            : operation === 'GetAccountAuthorizationDetails'
              ? 'the collector needs iam:GetAccountAuthorizationDetails'
              : undefined;
        recorder.error(operation, error, hint ? { hint } : {});
        return undefined;
      }
    }),
  );
}

export default defineConnector({
  id: CONNECTOR_ID,
  title: 'AWS IAM users, roles and access keys',
  kinds: ['service-account', 'role'],
  config: AwsIamConfigSchema,
  async checkInputs(config, context) {
    for (const files of config.exports ?? []) await loadExport(context.baseDir, files);
  },
  async connect(config, context) {
    // The AWS SDK's clients are loaded by the commands that call AWS, not by every command that loads the registry.
    const { AwsIamClient } = await import('./client.js');
    return new AwsIamClient(config, context);
  },
  async *collect(client, context): AsyncIterable<Identity> {
    client.abortOn(context.signal);
    // The catalog is parsed while the accounts are read; a failure surfaces where it is awaited.
    const loading = loadActionCatalog();
    loading.catch(() => undefined);
    const reads: Array<Promise<AccountSnapshot | undefined> | undefined> = await readAccounts(client, context);
    // A read that fails while an earlier one is awaited is taken up in its turn, not reported as unhandled.
    for (const read of reads) read?.catch(() => undefined);
    try {
      const catalog = await loading;
      context.reference(catalogReference(catalog));
      const privileges = new PrivilegeEvaluator(catalog, context.now);
      // Account by account as each is read, not once all are: a large organization's snapshots are never all held
      // (80 accounts of 12 500 identities each held 2 GB), and normalizing overlaps the reads still in flight.
      for (let i = 0; i < reads.length; i++) {
        const snapshot = await reads[i];
        reads[i] = undefined;
        if (snapshot) yield* normalizeAccount(snapshot, { connector: CONNECTOR_ID, source: context.source, now: context.now, privileges });
      }
    } finally {
      // However the collection ends, no read goes on writing raw pages after it.
      await Promise.allSettled(reads);
    }
  },
  async listScopes(client, context) {
    client.abortOn(context.signal);
    return listAccounts(client, context);
  },
  async fromRaw(raw, context) {
    const privileges = new PrivilegeEvaluator(await loadActionCatalog(), context.now);
    const identities: Identity[] = [];
    for await (const snapshot of snapshotsFromRaw(raw)) {
      for (const identity of normalizeAccount(snapshot, { connector: CONNECTOR_ID, source: context.source, now: context.now, privileges })) identities.push(identity);
    }
    return identities;
  },
  doctor: async (config, context) => (await import('./doctor.js')).diagnose(config, context),
  inputFiles(config) {
    return (config.exports ?? []).flatMap((files) => [files.authorizationDetails, ...(files.credentialReport ? [files.credentialReport] : [])]);
  },
});
