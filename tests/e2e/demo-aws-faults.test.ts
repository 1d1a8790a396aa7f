import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, packsIn, tempDir } from './cli.js';

/** A demo run builds three sources and a PDF: on a busy machine that is slow, which is not what these tests time. */
const DEMO_TIMEOUT_MS = 180_000;

/** `nhi-audit demo --fault` against the AWS sandbox: the done-when checks of issue 9 that are AWS's. */
async function demoWith(fault: string) {
  const cwd = await tempDir('demo-fault');
  const result = await cli(['demo', '--fault', fault], { cwd });
  const [pack] = await packsIn(path.join(cwd, 'evidence-demo'));
  const manifest = JSON.parse(await readFile(path.join(pack!, 'manifest.json'), 'utf8'));
  const aws = manifest.sources.find((s: { source: string }) => s.source === 'aws');
  return { cwd, result, pack: pack!, manifest, aws };
}

describe.concurrent('nhi-audit demo --fault on aws-iam', () => {
  it('a GAAD marker that repeats stops every account’s listing: exit 3, each account incomplete naming the operation', async () => {
    const { cwd, result, pack, manifest, aws } = await demoWith('aws-iam:GetAccountAuthorizationDetails:repeat-cursor');
    expect(result.code).toBe(3);
    expect(manifest.verdict).toBe('incomplete');
    expect(manifest.incompleteSources).toContain('aws');
    for (const account of ['111111111111', '222222222222', '333333333333']) {
      const scope = aws.scopes.find((s: { scope: string }) => s.scope === account);
      expect(scope).toMatchObject({ verdict: 'incomplete', identities: 0, errors: [{ operation: 'GetAccountAuthorizationDetails', code: 'repeated-cursor' }] });
      // The listing stopped at the repeat: two pages, not hundreds.
      expect(scope.operations.find((o: { operation: string }) => o.operation === 'GetAccountAuthorizationDetails').pages).toBe(2);
    }
    expect(result.stdout).toMatch(/INCOMPLETE: source aws \(aws-iam\): 111111111111: GetAccountAuthorizationDetails/);
    expect((await cli(['verify', pack, '--public-key', 'evidence-demo/nhi-audit.pub'], { cwd })).code).toBe(0);
  }, DEMO_TIMEOUT_MS);

  it('ListAccounts answered {} is not an organization with the caller alone: exit 3, the organization scope incomplete', async () => {
    const { result, aws } = await demoWith('aws-iam:ListAccounts:empty-object');
    expect(result.code).toBe(3);
    const organization = aws.scopes.find((s: { scope: string }) => s.scope === 'organization');
    expect(organization).toMatchObject({ verdict: 'incomplete', errors: [{ operation: 'ListAccounts', code: 'InvalidResponse' }] });
    // Retried before giving up (the demo's retry.maxAttempts), as an answer a proxy garbled once would be.
    expect(organization.errors[0].message).toBe('ListAccounts: the response is not what the operation returns: Accounts: expected array (after 8 attempts)');
  }, DEMO_TIMEOUT_MS);

  it('a fault that is not in the vocabulary is a usage error', async () => {
    const cwd = await tempDir('demo-fault');
    const result = await cli(['demo', '--fault', 'aws-iam:ListAccounts:gremlins'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown fault kind "gremlins"');
  });
});

describe('nhi-audit demo on a machine whose temporary folder is unusable', () => {
  it('stops with exit 2 naming the sandbox and TMPDIR, rather than an internal error or a hang', async () => {
    const cwd = await tempDir('demo-tmpdir');
    const result = await cli(['demo'], { cwd, env: { TMPDIR: path.join(cwd, 'no-such-folder') } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the entra-id sandbox could not start: ENOENT.*no-such-folder.*TMPDIR/);
    expect(result.stderr).not.toContain('internal error');
  }, DEMO_TIMEOUT_MS);
});
