import { defineConnector } from '../../src/sdk/index.js';
import { createAuth } from './auth.js';
import { GcpClient } from './client.js';
import { GcpCollector } from './collect.js';
import { GcpIamConfigSchema } from './config.js';
import { snapshotsFromRaw } from './from-raw.js';
import { CONNECTOR_ID, normalizeProject } from './normalize.js';
import { projectUsageFromRaw, withProjectUsage } from './recommender.js';

export default defineConnector({
  id: CONNECTOR_ID,
  title: 'Google Cloud IAM: service accounts, their keys, project role bindings and last use',
  kinds: ['service-account'],
  config: GcpIamConfigSchema,
  async connect(config, context) {
    const auth = await createAuth(config, context);
    return GcpClient.open(config, auth.client, await auth.identify(), context);
  },
  async *collect(client, context) {
    if (client.principal) context.collector(client.principal);
    yield* new GcpCollector(client, context).collect();
  },
  listScopes: (client, context) => new GcpCollector(client, context).scopes(),
  doctor: async (config, context) => (await import('./doctor.js')).diagnose(config, context),
  async fromRaw(raw, context) {
    const snapshots = await snapshotsFromRaw(raw, context.source);
    const identities = await Promise.all(snapshots.map(async (s) => withProjectUsage(normalizeProject(s), await projectUsageFromRaw(raw, s.projectId))));
    return identities.flat();
  },
});
