import { afterEach, describe, expect, it } from 'vitest';
import connector from '../../../connectors/gcp-iam/index.js';
import type { GcpSandbox } from '../../../connectors/gcp-iam/sandbox/index.js';
import { DEFAULT_PAGING, DEFAULT_TIMEOUTS, silentLogger, type DoctorReport } from '../../../src/sdk/index.js';
import { sandboxOn, TOKEN_ENV, TWO_PROJECTS } from './helpers.js';

let sandbox: (GcpSandbox & { token: string }) | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

function doctor(settings: Record<string, unknown>, token: string): Promise<DoctorReport> {
  const config = connector.config.parse({ retry: { maxAttempts: 1, baseDelayMs: 1 }, accessTokenEnv: TOKEN_ENV, ...settings }) as Parameters<NonNullable<typeof connector.doctor>>[0];
  return connector.doctor!(config, { source: 'gcp', log: silentLogger, env: { [TOKEN_ENV]: token }, baseDir: '.', now: new Date('2026-11-20T00:00:00Z'), timeouts: DEFAULT_TIMEOUTS, paging: DEFAULT_PAGING });
}

describe('gcp-iam doctor', () => {
  it('names the principal from tokeninfo, reads one item of each listing in each named project, and calls a disabled API missing', async () => {
    sandbox = await sandboxOn(TWO_PROJECTS, { principal: 'auditor@audit-1.iam.gserviceaccount.com' });
    const report = await doctor({ rootUrl: sandbox.rootUrl, projects: ['alpha-prod-1', 'beta-data-2'] }, sandbox.token);
    expect(report.principals).toEqual([{ scope: 'projects/alpha-prod-1', identity: 'auditor@audit-1.iam.gserviceaccount.com' }]);
    // The fixture's second project has the Policy Analyzer API off: the collection would leave last use unknown there.
    expect(report.checks.filter((check) => check.status !== 'granted').map((check) => [check.scope, check.permission, check.detail])).toEqual([
      ['beta-data-2', 'policyanalyzer.serviceAccountLastAuthenticationActivities.query', 'Policy Analyzer API has not been used in this project before or it is disabled.'],
      ['beta-data-2', 'policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query', 'Policy Analyzer API has not been used in this project before or it is disabled.'],
    ]);
    expect(new Set(report.checks.map((check) => check.scope))).toEqual(new Set(['alpha-prod-1', 'beta-data-2']));
    const listings = sandbox.calls.filter((call) => call.operation === 'iam.projects.serviceAccounts.list');
    expect(listings.map((call) => call.query.pageSize)).toEqual(['1', '1']);
    expect(report.grant.content).not.toContain('resourcemanager.projects.list');
  });

  it('reports a refused permission as missing, naming it, and a token whose owner is unknown without failing', async () => {
    sandbox = await sandboxOn(TWO_PROJECTS, { denials: [{ operation: 'cloudresourcemanager.projects.getIamPolicy', resource: 'alpha-prod-1' }] });
    const report = await doctor({ rootUrl: sandbox.rootUrl, organization: 'organizations/610000000001', projects: ['alpha-prod-1'] }, sandbox.token);
    expect(report.principals[0]!.identity).toMatch(/^an access token from GCP_TEST_ACCESS_TOKEN, whose tokeninfo could not be read/);
    expect(report.checks.filter((check) => check.status !== 'granted')).toEqual([
      {
        scope: 'alpha-prod-1',
        permission: 'resourcemanager.projects.getIamPolicy',
        operation: 'cloudresourcemanager.projects.getIamPolicy',
        status: 'missing',
        detail: expect.stringContaining('Permission denied'),
      },
    ]);
    expect(report.checks.map((check) => check.permission)).toEqual(expect.arrayContaining(['resourcemanager.projects.list', 'resourcemanager.folders.list']));
  });

  it('cannot reach a rootUrl where nothing answers', async () => {
    await expect(doctor({ rootUrl: 'http://127.0.0.1:9/', projects: ['alpha-prod-1'] }, 'any')).rejects.toThrow(/gcp: no Google API answered/);
  });
});
