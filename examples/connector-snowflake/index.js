// @ts-check
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { defineConnector } from 'nhi-audit/sdk';
import { KeyPairAuth } from './auth.js';
import { SnowflakeClient } from './client.js';
import { collectAccount, identitiesFromRaw } from './collect.js';
import { SnowflakeConfigSchema } from './config.js';
import { CONNECTOR_ID } from './normalize.js';

/**
 * Snowflake as an nhi-audit connector package: service users and their key pairs, last sign-in, and the role grants
 * (ACCOUNTADMIN, SECURITYADMIN, SYSADMIN and the custom roles that inherit them), read through the SQL API v2 with
 * key-pair authentication. Built on the public SDK only.
 */
export default defineConnector({
  id: CONNECTOR_ID,
  title: 'Snowflake users: service users, their key pairs, last sign-in and role grants (SQL API v2)',
  kinds: ['service-account'],
  config: SnowflakeConfigSchema,
  sdkVersion: 1,
  async connect(config, context) {
    let pem;
    if (config.privateKeyEnv) {
      pem = context.env[config.privateKeyEnv];
      if (!pem) throw new Error(`${config.privateKeyEnv} is not set; export the PEM private key of ${config.user} in it`);
    } else {
      const file = path.resolve(context.baseDir, /** @type {string} */ (config.privateKeyFile));
      pem = await readFile(file, 'utf8').catch(() => {
        throw new Error(`cannot read privateKeyFile ${file}`);
      });
    }
    let auth;
    try {
      auth = new KeyPairAuth(config.account, config.user, pem);
    } catch {
      throw new Error(`the private key of ${config.user} is not an unencrypted PKCS#8 PEM RSA key (openssl genrsa 2048 | openssl pkcs8 -topk8 -nocrypt)`);
    }
    return new SnowflakeClient(config, auth, context);
  },
  collect: (client, context) => collectAccount(client, context),
  fromRaw: (raw, context) => identitiesFromRaw(raw, context),
  sandbox: () => import('./sandbox/index.js'),
});
