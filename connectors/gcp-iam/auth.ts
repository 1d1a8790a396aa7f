import path from 'node:path';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { ConnectorError, type ConnectContext } from '../../src/sdk/index.js';
import type { GcpIamConfig } from './config.js';

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

export interface GcpAuth {
  client: GoogleAuth | OAuth2Client;
  /** The collector's own service account, where the credentials name one. */
  principal(): Promise<string | undefined>;
}

/**
 * Credentials in order of precedence: an access token from a named environment variable, a key file named
 * in the configuration, then Application Default Credentials. Only names reach logs and errors.
 */
export function createAuth(config: GcpIamConfig, context: ConnectContext): GcpAuth {
  if (config.accessTokenEnv) {
    const token = context.env[config.accessTokenEnv];
    if (!token) {
      throw new ConnectorError(context.source, `environment variable ${config.accessTokenEnv} is not set`, {
        hint: 'set it to an OAuth 2 access token, or remove accessTokenEnv to use Application Default Credentials',
      });
    }
    const client = new OAuth2Client();
    // No expiry and no refresh token: the token is used as given and a 401 is reported, not refreshed.
    client.setCredentials({ access_token: token });
    return { client, principal: async () => undefined };
  }
  const keyFile = config.keyFile ? path.resolve(context.baseDir, config.keyFile) : undefined;
  const client = new GoogleAuth({ scopes: SCOPES, ...(keyFile ? { keyFile } : {}) });
  return {
    client,
    principal: async () => {
      try {
        return (await client.getCredentials()).client_email ?? undefined;
      } catch (error) {
        context.log.debug({ reason: error instanceof Error ? error.message : String(error) }, 'collector identity not available');
        return undefined;
      }
    },
  };
}
