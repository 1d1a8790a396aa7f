import { Octokit } from '@octokit/rest';
import { driftLines, type Drift } from '../evidence/drift.js';
import { ExitError, EXIT, SEVERITIES } from '../sdk/index.js';

/** Where `check --notify` sends drift: a webhook (Slack-compatible JSON) or one GitHub issue kept up to date. */
export type NotifyTarget = { kind: 'webhook'; url: URL } | { kind: 'github-issue'; owner: string; repo: string };

/**
 * `webhook=URL`, `webhook=env:NAME` (the URL read from that environment variable, so the secret in its path stays
 * out of the command line and the process list) or `github-issue=owner/repo`, checked before anything is collected.
 */
export function parseNotify(specs: readonly string[], env: NodeJS.ProcessEnv = process.env): NotifyTarget[] {
  return specs.map((spec) => {
    const [kind, ...rest] = spec.split('=');
    const given = rest.join('=');
    if (kind === 'webhook') {
      const variable = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(given)?.[1];
      const value = variable === undefined ? given : (env[variable] ?? '');
      if (variable !== undefined && value === '') throw new ExitError(EXIT.usage, `--notify webhook=env:${variable}: ${variable} is not set; export the webhook URL in it`);
      const url = URL.canParse(value) ? new URL(value) : undefined;
      if (!url || !/^https?:$/.test(url.protocol)) {
        // Only the scheme is echoed: whatever follows may be the webhook's secret.
        const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(value)?.[0] ?? '';
        throw new ExitError(EXIT.usage, `--notify webhook: ${variable ? `${variable} holds ` : ''}"${scheme}…", not an http(s) URL`);
      }
      return { kind, url };
    }
    if (kind === 'github-issue') {
      const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(given);
      if (!match) throw new ExitError(EXIT.usage, `--notify github-issue=owner/repo: "${given}" is not owner/repo`);
      return { kind, owner: match[1]!, repo: match[2]! };
    }
    throw new ExitError(EXIT.usage, `--notify: "${spec}" is neither webhook=URL, webhook=env:NAME nor github-issue=owner/repo`);
  });
}

/** A webhook URL without its path and query, which often hold the token (Slack's do): safe for an error line. */
const origin = (url: URL) => `${url.origin}/…`;

const LABEL = 'nhi-audit-drift';

function headline(drift: Drift, organization: string | undefined): string {
  const counts = SEVERITIES.map((s) => [s, drift.events.filter((e) => e.severity === s).length] as const).filter(([, n]) => n > 0);
  const where = organization ? ` at ${organization}` : '';
  return `nhi-audit: ${drift.events.length} change${drift.events.length === 1 ? '' : 's'}${where} since ${drift.baseline.cycle} (as of ${drift.asOf.slice(0, 10)})${counts.length > 0 ? `: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}` : ''}`;
}

function issueBody(drift: Drift, organization: string | undefined): string {
  return [
    headline(drift, organization),
    '',
    `Compared with the sealed pack \`${drift.baseline.runId}\` (cycle ${drift.baseline.cycle}, as of ${drift.baseline.asOf}). Updated by \`nhi-audit check --baseline\` on each scheduled run.`,
    '',
    ...driftLines(drift).map((line) => `- ${line.replace(/[`<>@]/g, '\\$&')}`),
  ].join('\n');
}

async function postWebhook(url: URL, drift: Drift, organization: string | undefined): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: `${headline(drift, organization)}\n${driftLines(drift).join('\n')}`, organization, ...drift }),
    signal: AbortSignal.timeout(15_000),
  }).catch((error: Error) => {
    throw new ExitError(EXIT.usage, `--notify webhook ${origin(url)}: ${error.name === 'TimeoutError' ? 'no answer within 15 s' : error.message}`);
  });
  if (!response.ok) throw new ExitError(EXIT.usage, `--notify webhook ${origin(url)}: HTTP ${response.status}; check the URL`);
}

/**
 * Opens one issue labelled nhi-audit-drift, or updates the open one, so a schedule keeps a single running record.
 * GITHUB_TOKEN authenticates; GITHUB_API_URL (set in GitHub Actions, and for GitHub Enterprise) names the API.
 */
async function upsertIssue(target: Extract<NotifyTarget, { kind: 'github-issue' }>, drift: Drift, organization: string | undefined, env: NodeJS.ProcessEnv): Promise<void> {
  if (!env.GITHUB_TOKEN) throw new ExitError(EXIT.usage, '--notify github-issue: GITHUB_TOKEN is not set; export a token that can write issues of the repository');
  const octokit = new Octokit({ auth: env.GITHUB_TOKEN, ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}) });
  const { owner, repo } = target;
  const title = `nhi-audit drift since ${drift.baseline.cycle}`;
  const body = issueBody(drift, organization);
  try {
    const open = await octokit.rest.issues.listForRepo({ owner, repo, state: 'open', labels: LABEL, per_page: 100 });
    const existing = open.data.find((issue) => !issue.pull_request);
    if (existing) await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, title, body });
    else await octokit.rest.issues.create({ owner, repo, title, body, labels: [LABEL] });
  } catch (error) {
    const status = (error as { status?: number }).status;
    throw new ExitError(EXIT.usage, `--notify github-issue=${owner}/${repo}: ${status ? `HTTP ${status}` : (error as Error).message}; check the repository and that the token can write its issues`);
  }
}

/** Sends the drift to every target; nothing is sent when nothing changed. */
export async function notify(targets: readonly NotifyTarget[], drift: Drift, organization: string | undefined, env: NodeJS.ProcessEnv): Promise<void> {
  if (drift.events.length === 0) return;
  for (const target of targets) {
    if (target.kind === 'webhook') await postWebhook(target.url, drift, organization);
    else await upsertIssue(target, drift, organization, env);
  }
}
