import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import type { AwsSandbox } from '../../../connectors/aws-iam/sandbox/index.js';

export interface FakeCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * The real SDK clients pointed at a sandbox. Retries follow the SDK's standard mode (which errors are
 * retried, up to `maxAttempts`) with a 5 ms back-off so tests stay fast.
 */
export function sandboxClients(
  sandbox: AwsSandbox,
  credentials: FakeCredentials = sandbox.baseCredentials,
  maxAttempts = 3,
  requestHandler: { requestTimeout?: number; throwOnRequestTimeout?: boolean } = {},
) {
  const config = {
    region: 'us-east-1',
    endpoint: sandbox.url,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
    retryStrategy: new ConfiguredRetryStrategy(maxAttempts, 5),
    requestHandler,
  };
  return { iam: new IAMClient(config), sts: new STSClient(config), organizations: new OrganizationsClient(config) };
}

/** The error a promise rejects with, to assert on its `name` and `$metadata`. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number; requestId?: string } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number; attempts?: number; requestId?: string } };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export const FIXTURE_DIR = new URL('../../../fixtures/aws-iam/sandbox-org/', import.meta.url).pathname;
export const CLOUDSPLAINING_EXPORT = new URL('../../../fixtures/external/cloudsplaining/example-authz-details.json', import.meta.url).pathname;
