import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsIamConfigSchema } from '../../../connectors/aws-iam/config.js';
import connector from '../../../connectors/aws-iam/index.js';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../../connectors/aws-iam/sandbox/index.js';
import { unrecordedContext } from '../../helpers/collect-context.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const now = new Date('2026-11-20T00:00:00Z');

describe('an organization read account by account', () => {
  let sandbox: AwsSandbox;
  beforeAll(async () => {
    sandbox = await startAwsSandbox(await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam')), { now, credentialReportPolls: 0 });
  });
  afterAll(() => sandbox.close());

  it('yields an account\'s identities once it is read, before the accounts after it are read, and all of them in the end', async () => {
    const context = unrecordedContext({ source: 'aws', env: { K: sandbox.baseCredentials.accessKeyId, S: sandbox.baseCredentials.secretAccessKey, X: 'corvid-nhi-audit-7f3c' }, baseDir: ROOT, now });
    const config = AwsIamConfigSchema.parse({
      endpoint: sandbox.url,
      credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' },
      organizations: { discover: true },
      assumeRole: { roleName: 'NhiAuditReadOnly', externalIdEnv: 'X' },
      credentialReport: { pollIntervalMs: 1 },
      minIntervalMs: 0,
      concurrency: 1,
    });
    const client = await connector.connect(config, context);
    const readBefore = (account: string) => sandbox.calls.some((c) => c.account === account && c.operation === 'GetAccountAuthorizationDetails');
    const accounts = new Set<string>();
    let lastReadAtFirst: boolean | undefined;
    let scopesInOrder: string[] = [];
    for await (const identity of connector.collect(client, context)) {
      if (lastReadAtFirst === undefined) lastReadAtFirst = readBefore('333333333333');
      if (scopesInOrder.at(-1) !== identity.scope) scopesInOrder = [...scopesInOrder, identity.scope];
      accounts.add(identity.scope);
    }
    expect(lastReadAtFirst).toBe(false);
    expect([...accounts].sort()).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(scopesInOrder).toEqual(['111111111111', '222222222222', '333333333333']);
  });
});
