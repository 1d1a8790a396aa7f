import { readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox, type AwsSandboxDataset } from '../../connectors/aws-iam/sandbox/index.js';
import { LISTED_PER_CONTROL } from '../../src/writers/summary.js';
import { awsWorkspace, cli, packsIn, ROOT } from './cli.js';

const AS_OF = '2026-11-20';
/** More failing findings of one control than a run holds: every one must still reach exceptions.csv and SARIF. */
const USERS = LISTED_PER_CONTROL * 2 + 13;

/** The demo organization with many more service users in its first account, none of them owned, each with an old key. */
async function crowded(): Promise<AwsSandboxDataset> {
  const dataset = await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam'));
  const [id, account] = Object.entries(dataset.accounts)[0]!;
  for (let i = 0; i < USERS; i++) {
    const name = `bulk-${String(i).padStart(4, '0')}`;
    account.authorizationDetails.UserDetailList!.push({
      Path: '/',
      UserName: name,
      UserId: `AIDABULK${String(i).padStart(12, '0')}`,
      Arn: `arn:aws:iam::${id}:user/${name}`,
      CreateDate: '2024-01-01T00:00:00Z',
      GroupList: [],
      UserPolicyList: [],
      AttachedManagedPolicies: [],
      Tags: [],
    } as never);
    (account.credentials ??= {})[name] = {
      passwordEnabled: false,
      mfaActive: false,
      accessKeys: [{ AccessKeyId: `AKIABULK${String(i).padStart(12, '0')}`, Status: 'Active', CreateDate: '2024-01-01T00:00:00Z', LastUsedDate: '2026-11-18T00:00:00Z', LastUsedService: 's3', LastUsedRegion: 'us-east-1' }],
    } as never;
  }
  return dataset;
}

describe('a run with more failing findings of one control than it holds', () => {
  let sandbox: AwsSandbox;
  let cwd: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    sandbox = await startAwsSandbox(await crowded(), { now: new Date(`${AS_OF}T00:00:00Z`), credentialReportPolls: 0 });
    ({ cwd, env } = await awsWorkspace(sandbox));
  });
  afterAll(() => sandbox.close());

  it('lists every failing and excepted finding in exceptions.csv and SARIF, and counts them all in the reports', async () => {
    await mkdir(path.join(cwd, 'out'), { recursive: true });
    const result = await cli(['run', '--as-of', AS_OF, '--fail-on', 'none', '--format', 'sarif=out/run.sarif', '--format', 'md=out/summary.md'], { cwd, env });
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code).toBe(0);
    const [pack] = await packsIn(path.join(cwd, 'evidence'));
    const findings = JSON.parse(await readFile(path.join(pack!, 'findings.json'), 'utf8')) as { findings: Array<{ controlId: string; status: string }> };
    const exceptional = findings.findings.filter((f) => f.status === 'fail' || f.status === 'excepted');
    const perControl = new Map<string, number>();
    for (const f of exceptional) if (f.status === 'fail') perControl.set(f.controlId, (perControl.get(f.controlId) ?? 0) + 1);
    const [, most] = [...perControl].sort((a, b) => b[1] - a[1])[0]!;
    expect(most).toBeGreaterThan(LISTED_PER_CONTROL);

    const exceptionRows = (await readFile(path.join(pack!, 'exceptions.csv'), 'utf8')).split('\r\n').filter(Boolean).slice(1);
    expect(exceptionRows).toHaveLength(exceptional.length);
    const sarif = JSON.parse(await readFile(path.join(cwd, 'out/run.sarif'), 'utf8')) as { runs: Array<{ results: unknown[] }> };
    expect(sarif.runs[0]!.results).toHaveLength(exceptional.length);

    const failing = findings.findings.filter((f) => f.status === 'fail').length;
    for (const summary of [await readFile(path.join(pack!, 'summary.md'), 'utf8'), await readFile(path.join(cwd, 'out/summary.md'), 'utf8')]) {
      expect(summary).toContain(`### Failing findings (${failing})`);
      expect(summary).toContain(`_…and ${failing - 50} more (every finding is in findings.csv)._`);
    }
    const oscal = await readFile(path.join(pack!, 'assessment-results.json'), 'utf8');
    expect(oscal).toContain(`${most} failing findings: `);
    expect(oscal).toContain(`, and ${most - 10} more. `);

    const verify = await cli(['verify', pack!, '--public-key', 'keys/nhi-audit.pub'], { cwd, env });
    expect(verify.code).toBe(0);
  });
});
