import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TokenCredential, TokenCredentialOptions } from '@azure/identity';
import { ConnectorError, type ConnectContext } from '../../src/sdk/index.js';
import type { EntraIdConfig } from './config.js';

export interface EntraAuth {
  credential: TokenCredential;
  /** Extra certificate authorities the authority and Graph are trusted through (PEM). */
  ca: string | undefined;
  /** Who the collector is, as the manifest records it. */
  collector: string;
}

function readFile(source: string, file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConnectorError(source, `${setting}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      hint: `check the path in ${setting}; relative paths resolve against the config file's folder`,
    });
  }
}

/**
 * The collector's credential through @azure/identity. An authority other than Microsoft's own clouds (a sandbox,
 * a private endpoint) cannot be checked by instance discovery against Microsoft, so discovery is off for it and
 * MSAL trusts the host as configured.
 */
export async function createAuth(config: EntraIdConfig, context: ConnectContext): Promise<EntraAuth> {
  // Loaded here, not with the connector: it is the heaviest library any connector loads.
  const { AzureAuthorityHosts, ClientCertificateCredential, ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential, WorkloadIdentityCredential } = await import('@azure/identity');
  const resolve = (file: string) => path.resolve(context.baseDir, file);
  const ca = config.caFile ? readFile(context.source, resolve(config.caFile), 'caFile') : undefined;
  const microsoft = (Object.values(AzureAuthorityHosts) as string[]).includes(config.authorityHost.replace(/\/+$/, ''));
  const options: TokenCredentialOptions & { disableInstanceDiscovery: boolean } = {
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: !microsoft,
    ...(ca ? { tlsOptions: { ca } } : {}),
  };
  const { credential: settings } = config;
  const tenantId = config.tenantId;
  switch (settings.type) {
    case 'client-secret': {
      const secret = context.env[settings.clientSecretEnv];
      if (!secret) {
        throw new ConnectorError(context.source, `environment variable ${settings.clientSecretEnv} is not set`, {
          hint: "set it to the collector application's client secret, or use a certificate or workload identity instead",
        });
      }
      return { credential: new ClientSecretCredential(tenantId, settings.clientId, secret, options), ca, collector: `application ${settings.clientId}` };
    }
    case 'certificate': {
      const certificatePath = resolve(settings.certificateFile);
      readFile(context.source, certificatePath, 'credential.certificateFile');
      return {
        credential: new ClientCertificateCredential(tenantId, settings.clientId, { certificatePath }, options),
        ca,
        collector: `application ${settings.clientId}`,
      };
    }
    case 'workload-identity': {
      const tokenFilePath = settings.tokenFile ? resolve(settings.tokenFile) : context.env.AZURE_FEDERATED_TOKEN_FILE;
      if (!tokenFilePath) {
        throw new ConnectorError(context.source, 'no federated token file: credential.tokenFile is not set and neither is AZURE_FEDERATED_TOKEN_FILE', {
          hint: 'name the file the CI platform or Kubernetes writes the workload identity token to',
        });
      }
      return {
        credential: new WorkloadIdentityCredential({ ...options, tenantId, clientId: settings.clientId, tokenFilePath }),
        ca,
        collector: `application ${settings.clientId} (workload identity federation)`,
      };
    }
    case 'managed-identity':
      return {
        credential: settings.clientId ? new ManagedIdentityCredential({ ...options, clientId: settings.clientId }) : new ManagedIdentityCredential(options),
        ca,
        collector: settings.clientId ? `managed identity ${settings.clientId}` : 'system-assigned managed identity',
      };
    case 'default':
      return { credential: new DefaultAzureCredential({ ...options, tenantId }), ca, collector: 'DefaultAzureCredential (principal not reported)' };
  }
}
