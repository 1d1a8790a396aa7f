import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { AwsSandbox } from '../../connectors/aws-iam/sandbox/index.js';
import { cli, ROOT, tempDir } from './cli.js';

export const DEMO_AWS = path.join(ROOT, 'fixtures/demo-org/aws-iam');

/** A working folder with a signing key and a config that points the aws-iam connector at a sandbox. */
export async function workspace(sandbox: AwsSandbox, extra = ''): Promise<{ cwd: string; env: Record<string, string> }> {
  const cwd = await tempDir('run');
  const keys = await cli(['keys', 'generate', '--out', 'keys'], { cwd });
  expect(keys.code).toBe(0);
  await writeFile(
    path.join(cwd, 'nhi-audit.yaml'),
    [
      'organization: Corvid Systems, Inc.',
      'output: ./evidence',
      'sources:',
      '  - name: aws',
      '    connector: aws-iam',
      `    endpoint: ${sandbox.url}`,
      '    credentials: { accessKeyIdEnv: AUDIT_AWS_KEY_ID, secretAccessKeyEnv: AUDIT_AWS_SECRET }',
      '    organizations: { discover: true }',
      '    assumeRole: { roleName: NhiAuditReadOnly, externalIdEnv: AUDIT_EXTERNAL_ID }',
      '    minIntervalMs: 0',
      '    credentialReport: { pollIntervalMs: 1 }',
      '    retry: { baseDelayMs: 1, maxDelayMs: 5 }',
      'signing: { privateKeyFile: keys/nhi-audit.key }',
      extra,
    ].join('\n'),
  );
  const env = {
    AUDIT_AWS_KEY_ID: sandbox.baseCredentials.accessKeyId,
    AUDIT_AWS_SECRET: sandbox.baseCredentials.secretAccessKey,
    AUDIT_EXTERNAL_ID: 'corvid-nhi-audit-7f3c',
  };
  return { cwd, env };
}

