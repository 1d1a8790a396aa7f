import { ConnectorError, defineConnector, withRetries } from '../../src/sdk/index.js';
import { createAuth } from './auth.js';
import { EntraCollector } from './collect.js';
import { EntraIdConfigSchema } from './config.js';
import { diagnose } from './doctor.js';
import { snapshotFromRaw } from './from-raw.js';
import { CONNECTOR_ID, normalizeTenant } from './normalize.js';
import { GraphTransport } from './transport.js';

export default defineConnector({
  id: CONNECTOR_ID,
  title: 'Microsoft Entra ID: applications, service principals and managed identities, their credentials, Graph permissions, directory roles and last sign-in',
  kinds: ['service-account', 'app'],
  config: EntraIdConfigSchema,
  async connect(config, context) {
    const auth = await createAuth(config, context);
    const transport = await GraphTransport.open({
      graphBaseUrl: config.graphBaseUrl,
      credential: auth.credential,
      retry: { attempts: config.retry.maxAttempts, baseDelayMs: config.retry.baseDelayMs, maxDelayMs: config.retry.maxDelayMs },
      timeouts: context.timeouts,
      paging: context.paging,
      ...(auth.ca ? { ca: auth.ca } : {}),
    });
    try {
      // One token up front: a wrong secret or tenant fails here, once, rather than on every request.
      const { maxAttempts: attempts, baseDelayMs, maxDelayMs } = config.retry;
      await withRetries(() => transport.token(AbortSignal.timeout(context.timeouts.requestMs)), { attempts, baseDelayMs, maxDelayMs });
    } catch (error) {
      throw new ConnectorError(context.source, `cannot sign in to tenant ${config.tenantId} as ${auth.collector}: ${(error as Error).message}`, {
        cause: error,
        hint: `check the credential settings and that ${config.authorityHost} is reachable`,
      });
    }
    return { transport, config, collector: auth.collector };
  },
  async *collect({ transport, config, collector }, context) {
    context.collector(collector);
    yield* new EntraCollector(transport, config, context, collector).collect();
  },
  // One tenant a source: a plan hands it to one shard whole.
  listScopes: async ({ config }) => ({ scopes: [config.tenantId] }),
  doctor: diagnose,
  async fromRaw(raw, context) {
    const snapshot = await snapshotFromRaw(raw, context.source, context.now);
    return snapshot ? normalizeTenant(snapshot) : [];
  },
});
