import { defineConnector } from '../../src/sdk/index.js';
import { createAuth } from './auth.js';
import { GcpClient } from './client.js';
import { GcpCollector } from './collect.js';
import { GcpIamConfigSchema } from './config.js';
import { CONNECTOR_ID } from './normalize.js';

export default defineConnector({
  id: CONNECTOR_ID,
  title: 'Google Cloud IAM: service accounts, their keys, project role bindings and last use',
  kinds: ['service-account'],
  config: GcpIamConfigSchema,
  async connect(config, context) {
    return new GcpClient(config, createAuth(config, context));
  },
  async *collect(client, context) {
    const principal = await client.auth.principal();
    if (principal) context.collector(principal);
    yield* new GcpCollector(client, context, principal).collect();
  },
});
