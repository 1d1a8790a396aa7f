import pLimit from 'p-limit';
import { defineConnector, type CollectContext, type Identity } from '../../src/sdk/index.js';
import { AwsIamClient, operationOf, type AccountTarget } from './client.js';
import { AwsIamConfigSchema } from './config.js';
import { loadExport, readExport } from './export.js';
import { snapshotsFromRaw } from './from-raw.js';
import { normalizeAccount, type AccountSnapshot } from './normalize.js';

const CONNECTOR_ID = 'aws-iam';

/** The accounts to read: configured ones, discovered ones, and the caller's own when nothing else is named. */
async function targets(client: AwsIamClient, context: CollectContext): Promise<AccountTarget[]> {
  const { config } = client;
  const caller = await client.callerIdentity();
  context.collector(caller.arn);
  const externalId = client.externalId();
  const roleArn = (accountId: string) => `arn:aws:iam::${accountId}:role/${config.assumeRole.roleName}`;

  const explicit = new Map(config.accounts.map((a) => [a.id, a.roleArn]));
  const ids = new Set(explicit.keys());
  if (config.organizations?.discover) {
    const organization = context.scope('organization');
    try {
      const discovered = await client.organizationAccounts(organization, caller.account);
      for (const id of discovered) if (!config.organizations.exclude.includes(id)) ids.add(id);
    } catch (error) {
      organization.error(operationOf(error) ?? 'ListAccounts', error, {
        hint: 'discovery needs organizations:ListAccounts from the management account or a delegated administrator',
      });
    }
  }
  if (ids.size === 0) ids.add(caller.account);

  return [...ids].sort().map((accountId) => ({
    accountId,
    via:
      accountId === caller.account && !explicit.get(accountId)
        ? { kind: 'caller' as const }
        : { kind: 'assume-role' as const, roleArn: explicit.get(accountId) ?? roleArn(accountId), ...(externalId ? { externalId } : {}) },
  }));
}

async function readAccounts(client: AwsIamClient, context: CollectContext): Promise<AccountSnapshot[]> {
  const { config } = client;
  if (config.exports) {
    const exports = config.exports;
    context.collector('AWS CLI exports read offline');
    const snapshots = await Promise.all(exports.map((files) => readExport(context.baseDir, files, (id) => context.scope(id))));
    return snapshots.filter((s): s is AccountSnapshot => s !== undefined);
  }
  const limit = pLimit(config.concurrency);
  const snapshots = await Promise.all(
    (await targets(client, context)).map((target) =>
      limit(async () => {
        const recorder = context.scope(target.accountId);
        try {
          return await client.readAccount(target, recorder);
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
    ),
  );
  return snapshots.filter((s): s is AccountSnapshot => s !== undefined);
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
    return new AwsIamClient(config, context);
  },
  async *collect(client, context): AsyncIterable<Identity> {
    client.abortOn(context.signal);
    for (const snapshot of await readAccounts(client, context)) {
      yield* normalizeAccount(snapshot, { connector: CONNECTOR_ID, source: context.source, now: context.now });
    }
  },
  async fromRaw(raw, context) {
    return (await snapshotsFromRaw(raw)).flatMap((snapshot) => normalizeAccount(snapshot, { connector: CONNECTOR_ID, source: context.source, now: context.now }));
  },
});
