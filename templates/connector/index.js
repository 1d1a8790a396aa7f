// @ts-check
import { defineConnector } from 'nhi-audit/sdk';
import { ApiClient } from './client.js';
import { ConfigSchema } from './config.js';
import { CONNECTOR_ID, normalizeAccount } from './normalize.js';

/**
 * The connector nhi-audit loads: name this package in `plugins:` (or as a source's `connector:`) and its sources
 * read the system's service accounts through the API below.
 */
export default defineConnector({
  id: CONNECTOR_ID,
  title: '__CONNECTOR_TITLE__',
  kinds: ['service-account'],
  config: ConfigSchema,
  // The nhi-audit SDK major version this connector was written against; nhi-audit refuses it under another.
  sdkVersion: 1,
  async connect(config, context) {
    const token = context.env[config.tokenEnv];
    if (!token) throw new Error(`${config.tokenEnv} is not set; export the API token in it`);
    return new ApiClient(config, token, context);
  },
  async *collect(client, context) {
    const scope = context.scope(client.scope);
    let listed = 0;
    for await (const { items, rawRef } of client.serviceAccounts(scope)) {
      for (const item of items) {
        listed += 1;
        yield normalizeAccount(item, { source: context.source, scope: client.scope, rawRef });
      }
    }
    // The API's own count, read apart from the listing: a listing cut short cannot pass as complete.
    scope.reconcile('service accounts (GET /v1/service-accounts/count)', await client.count(scope), listed);
  },
  sandbox: () => import('./sandbox/index.js'),
});
