import { defineConnector } from '../../src/sdk/index.js';
import { createAuth } from './auth.js';
import { GcpClient } from './client.js';
import { GcpCollector } from './collect.js';
import { GcpIamConfigSchema } from './config.js';
import { diagnose } from './doctor.js';
import { snapshotsFromRaw } from './from-raw.js';
import { CONNECTOR_ID, normalizeProject } from './normalize.js';

export default defineConnector({
  id: CONNECTOR_ID,
  title: 'Google Cloud IAM: service accounts, their keys, project role bindings and last use',
  kinds: ['service-account'],
  config: GcpIamConfigSchema,
  async connect(config, context) {
    const auth = createAuth(config, context);
    return new GcpClient(config, auth.client, await auth.identify(), context);
  },
  async *collect(client, context) {
    if (client.principal) context.collector(client.principal);
    yield* new GcpCollector(client, context).collect();
  },
  doctor: diagnose,
  async fromRaw(raw, context) {
    return (await snapshotsFromRaw(raw, context.source)).flatMap(normalizeProject);
  },
});
