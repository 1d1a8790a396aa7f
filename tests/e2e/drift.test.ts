import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, packsIn, ROOT, tempDir } from './cli.js';

const SAP = path.join(ROOT, 'fixtures/demo-org/file/sap-prd');
const USR02 = 'MANDT,BNAME,USTYP,CLASS,UFLAG,GLTGV,GLTGB,ERDAT,ANAME,TRDAT,LTIME,PWDCHGDATE,PWDSALTEDHASH';

function config(users: number, profiles: number): string {
  return [
    'organization: Corvid Systems, Inc.',
    'sources:',
    '  - name: sap',
    '    connector: file',
    '    preset: sap',
    '    system: SAP S/4HANA PRD, client 100',
    '    scope: PRD-100',
    `    export: { path: usr02.csv, report: SE16N USR02, producedBy: mkeller, producedAt: 2026-11-19T16:05:00Z, expectedRows: ${users} }`,
    '    related:',
    '      - { adds: entitlements, path: agr_users.csv, report: SE16N AGR_USERS, expectedRows: 10 }',
    `      - { adds: entitlements, path: ust04.csv, report: SE16N UST04, identity: BNAME, value: PROFILE, expectedRows: ${profiles} }`,
    '      - { adds: usedBy, path: tbtcp.csv, report: SE16N TBTCP, expectedRows: 4 }',
    '    rules:',
    '      - { match: Z_*, level: write }',
    // The one critical control is off, so a critical exit can only come from drift.
    'controls: { no-admin-privilege: off }',
    'enrich: { owners: owners.csv, hrRoster: hr-roster.csv }',
    'signing: { privateKeyFile: keys/nhi-audit.key }',
  ].join('\n');
}

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A local HTTP server that records every request and answers with `answer`. */
async function recorder(answer: (request: Received) => { status: number; body?: unknown }): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined };
      received.push(request);
      const { status, body } = answer(request);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

interface DriftEvent {
  kind: string;
  severity: string;
  identityId: string;
  credentialId?: string;
  message: string;
}

describe('check --baseline: drift since a sealed pack, and --notify', () => {
  let cwd: string;
  let pack: string;
  let webhook: Awaited<ReturnType<typeof recorder>>;
  let github: Awaited<ReturnType<typeof recorder>>;
  const issues: { number: number; title: string; body: string; labels: { name: string }[] }[] = [];

  beforeAll(async () => {
    cwd = await tempDir('drift');
    expect((await cli(['keys', 'generate', '--out', 'keys'], { cwd })).code).toBe(0);
    for (const file of ['agr_users.csv', 'ust04.csv', 'tbtcp.csv']) await copyFile(path.join(SAP, file), path.join(cwd, file));
    const users = (await readFile(path.join(SAP, 'usr02.csv'), 'utf8')).trimEnd().split('\n').slice(1);
    // The BlackLine interface had not logged on since June 2025 when the baseline was sealed.
    const blacklineLogon = (day: string) => users.map((line) => (line.startsWith('100,RFC_BLACKLINE,') ? line.replace(',20261119,233001,', `,${day},233001,`) : line));
    await writeFile(path.join(cwd, 'usr02.csv'), `${[USR02, ...blacklineLogon('20250601')].join('\n')}\n`);
    await writeFile(path.join(cwd, 'owners.csv'), 'identity,owner\nfile:PRD-100:SVC_BW_EXTRACT,dana.whitfield@corvid.example\n');
    await writeFile(path.join(cwd, 'hr-roster.csv'), 'person,status,terminated_at\ndana.whitfield@corvid.example,active,\n');
    await writeFile(path.join(cwd, 'nhi-audit.yaml'), config(8, 2));
    const baseline = await cli(['run', '--as-of', '2026-11-20', '--format', 'json', '--output', 'run.json'], { cwd });
    expect(baseline.stderr).toMatch(/^Evidence pack: /);
    [pack] = (await packsIn(path.join(cwd, 'evidence'))) as [string];
    const baselineFindings = JSON.parse(await readFile(path.join(cwd, 'run.json'), 'utf8')).findings as { controlId: string; identityId: string; status: string }[];
    // The premise of the used-after-judged-unused case: the baseline judged the interface's password unused.
    expect(baselineFindings.find((f) => f.controlId === 'credential-unused' && f.identityId === 'file:PRD-100:RFC_BLACKLINE')?.status).toBe('fail');

    // A week later: a new interface user, SAP_ALL given to the BW extract user, its owner gone, the idle
    // BlackLine interface logging on again.
    await writeFile(path.join(cwd, 'usr02.csv'), `${[USR02, ...blacklineLogon('20261125'), '100,RFC_COUPA,C,INTERFACE,0,20261122,00000000,20261122,MKELLER,20261126,101500,20261122,"{x-issha, 1024}FAKEHASHcoupaNOTREAL0000000000="'].join('\n')}\n`);
    await writeFile(path.join(cwd, 'ust04.csv'), 'MANDT,BNAME,PROFILE\n100,MKELLER,SAP_ALL\n100,WF-BATCH,SAP_ALL\n100,SVC_BW_EXTRACT,SAP_ALL\n');
    await writeFile(path.join(cwd, 'hr-roster.csv'), 'person,status,terminated_at\ndana.whitfield@corvid.example,terminated,2026-11-24\n');
    await writeFile(path.join(cwd, 'nhi-audit.yaml'), config(9, 3));

    webhook = await recorder(() => ({ status: 200, body: { ok: true } }));
    github = await recorder((request) => {
      const match = /^\/repos\/corvid-systems\/sox-monitoring\/issues(?:\/(\d+))?(\?.*)?$/.exec(request.url);
      if (!match || request.headers.authorization !== 'token ghp_drifttesttoken') return { status: 404, body: { message: 'Not Found' } };
      const body = request.body as { title: string; body: string; labels?: string[] };
      if (request.method === 'GET') return { status: 200, body: issues };
      if (request.method === 'POST') {
        const issue = { number: 7, title: body.title, body: body.body, labels: (body.labels ?? []).map((name) => ({ name })) };
        issues.push(issue);
        return { status: 201, body: issue };
      }
      const issue = issues.find((i) => i.number === Number(match[1]))!;
      Object.assign(issue, { title: body.title, body: body.body });
      return { status: 200, body: issue };
    });
  });

  afterAll(() => {
    webhook?.server.close();
    github?.server.close();
  });

  const check = (args: string[], env: Record<string, string> = {}) =>
    cli(['check', '--as-of', '2026-11-27', '--baseline', pack, '--public-key', 'keys/nhi-audit.pub', ...args], { cwd, env });

  it('reports each change since the baseline with a severity, most severe first', async () => {
    const result = await check(['--format', 'json', '--fail-on', 'none']);
    expect(result.code).toBe(0);
    const { drift } = JSON.parse(result.stdout) as { drift: { baseline: { runId: string }; events: DriftEvent[] } };
    expect(drift.baseline.runId).toBe(path.basename(pack));
    expect(drift.events.map((e) => [e.severity, e.kind, e.identityId])).toEqual([
      ['critical', 'new-admin', 'file:PRD-100:SVC_BW_EXTRACT'],
      ['high', 'used-after-judged-unused', 'file:PRD-100:RFC_BLACKLINE'],
      ['high', 'owner-left', 'file:PRD-100:SVC_BW_EXTRACT'],
      ['low', 'new-identity', 'file:PRD-100:RFC_COUPA'],
    ]);
    expect(drift.events[0]!.message).toBe('Became an administrator (was write) through SAP_ALL (ust04.csv, line 4)');
    expect(drift.events[1]!.message).toMatch(/judged unused as of 2026-11-20, was used on 2026-11-25$/);
    expect(drift.events[2]!.message).toBe('Owner dana.whitfield@corvid.example left on 2026-11-24: the identity is orphaned');
  });

  it('applies --fail-on to the changes: exit 1 at critical, 0 when only lower severities would count', async () => {
    const table = await check(['--fail-on', 'critical']);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain(`DRIFT: 4 changes since 2026-Q4 (${path.basename(pack)}, as of 2026-11-20T00:00:00.000Z)`);
    expect(table.stdout).toContain('[critical] new-admin: file:PRD-100:SVC_BW_EXTRACT: Became an administrator');
    // Without a baseline the same state fails no critical control.
    const without = await cli(['check', '--as-of', '2026-11-27', '--fail-on', 'critical'], { cwd });
    expect(without.code).toBe(0);
  });

  it('posts a Slack-compatible JSON summary to a webhook, its URL given or read from an environment variable', async () => {
    const fromEnv = await check(['--fail-on', 'none', '--notify', 'webhook=env:DRIFT_HOOK'], { DRIFT_HOOK: `${webhook.url}/services/T000/B000/fromenv` });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(webhook.received.map((r) => r.url)).toEqual(['/services/T000/B000/fromenv']);
    webhook.received.length = 0;
    const result = await check(['--fail-on', 'none', '--notify', `webhook=${webhook.url}/services/T000/B000/secretpart`, '--format', 'md']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('### Drift since 2026-Q4 (4)');
    expect(webhook.received).toHaveLength(1);
    const [post] = webhook.received;
    expect(post!.method).toBe('POST');
    expect(post!.url).toBe('/services/T000/B000/secretpart');
    const body = post!.body as { text: string; events: DriftEvent[]; organization: string };
    expect(body.text.split('\n')[0]).toBe('nhi-audit: 4 changes at Corvid Systems, Inc. since 2026-Q4 (as of 2026-11-27): 1 critical, 2 high, 1 low');
    expect(body.text).toContain('[high] owner-left: file:PRD-100:SVC_BW_EXTRACT');
    expect(body.events).toHaveLength(4);
  });

  it('opens one GitHub issue through Octokit, then updates it on the next run', async () => {
    const env = { GITHUB_TOKEN: 'ghp_drifttesttoken', GITHUB_API_URL: github.url };
    const first = await check(['--fail-on', 'none', '--notify', 'github-issue=corvid-systems/sox-monitoring'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ number: 7, title: 'nhi-audit drift since 2026-Q4', labels: [{ name: 'nhi-audit-drift' }] });
    expect(issues[0]!.body).toContain('- [critical] new-admin: file:PRD-100:SVC_BW_EXTRACT: Became an administrator');
    expect(github.received.find((r) => r.method === 'GET')!.url).toContain('labels=nhi-audit-drift');

    const second = await check(['--fail-on', 'none', '--notify', 'github-issue=corvid-systems/sox-monitoring'], env);
    expect(second.code).toBe(0);
    expect(issues).toHaveLength(1);
    expect(github.received.map((r) => r.method)).toEqual(['GET', 'POST', 'GET', 'PATCH']);
  });

  it('says what is wrong with a notification target, exit 2, and never prints a webhook URL\'s secret path', async () => {
    const refused = await recorder(() => ({ status: 403 }));
    try {
      const result = await check(['--fail-on', 'none', '--notify', `webhook=${refused.url}/hooks/topsecret123`]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--notify webhook ${refused.url}/…: HTTP 403; check the URL`);
      expect(result.stderr).not.toContain('topsecret123');
    } finally {
      refused.server.close();
    }
    const noToken = await check(['--notify', 'github-issue=corvid-systems/sox-monitoring']);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('GITHUB_TOKEN is not set');
    const badSpec = await check(['--notify', 'email=ops@corvid.example']);
    expect(badSpec.code).toBe(2);
    expect(badSpec.stderr).toContain('--notify: "email=ops@corvid.example" is neither webhook=URL, webhook=env:NAME nor github-issue=owner/repo');
    const unset = await check(['--notify', 'webhook=env:DRIFT_HOOK']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('--notify webhook=env:DRIFT_HOOK: DRIFT_HOOK is not set');
    const notUrl = await check(['--notify', 'webhook=env:DRIFT_HOOK'], { DRIFT_HOOK: 'ftp://hooks.example/T000/supersecret' });
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain('--notify webhook: DRIFT_HOOK holds "ftp:…", not an http(s) URL');
    expect(notUrl.stderr).not.toContain('supersecret');
  });
});
