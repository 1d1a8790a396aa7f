import path from 'node:path';
import type { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { ConnectorError, type ConnectContext } from '../../src/sdk/index.js';
import type { GcpIamConfig } from './config.js';

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

export interface GcpAuth {
  client: GoogleAuth | OAuth2Client;
  /**
   * Loads the credentials once, failing with a fix when there are none (rather than once per request), and
   * returns the collector's own service account where the credentials name one.
   */
  identify(): Promise<string | undefined>;
}

/** Only the error's kind: a parser's message can quote the credentials file it failed on. */
function reasonOf(error: unknown): string {
  if (error instanceof SyntaxError) return 'the credentials file is not valid JSON';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Credentials in order of precedence: an access token from a named environment variable, a key file named
 * in the configuration, then Application Default Credentials. Only names reach logs and errors.
 */
export async function createAuth(config: GcpIamConfig, context: ConnectContext): Promise<GcpAuth> {
  const { GoogleAuth, OAuth2Client } = await import('google-auth-library');
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
    // A bare token does not say whose it is (tokeninfo lives outside rootUrl); record where it came from.
    return { client, identify: async () => `access token from ${config.accessTokenEnv} (principal not reported)` };
  }
  const keyFile = config.keyFile ? path.resolve(context.baseDir, config.keyFile) : undefined;
  const client = new GoogleAuth({ scopes: SCOPES, ...(keyFile ? { keyFile } : {}) });
  return {
    client,
    identify: async () => {
      try {
        await client.getClient();
        return (await client.getCredentials()).client_email ?? undefined;
      } catch (error) {
        throw new ConnectorError(context.source, `no usable Google credentials: ${reasonOf(error)}`, {
          hint: keyFile
            ? `check the key file ${keyFile}`
            : 'run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS, or name keyFile or accessTokenEnv in the source',
        });
      }
    },
  };
}
