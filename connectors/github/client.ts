import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { ConnectorError, type ConnectContext, type Logger } from '../../src/sdk/index.js';
import { createAppAuth } from './app-auth.js';
import type { GitHubConfig } from './config.js';
import { listItems, type Operation } from './operations.js';

const GitHubOctokit = Octokit.plugin(throttling, retry);
type GitHubOctokit = InstanceType<typeof GitHubOctokit>;

/** One response as received, with the number of HTTP attempts it took (retries included). */
export interface ApiResponse {
  body: unknown;
  attempts: number;
}

/** One page of a list: the body as received, its items, and the JSON pointer to them inside the body. */
export interface Page extends ApiResponse {
  items: unknown[];
  itemsPointer: string;
}

/** What the collector reads with: an Octokit with throttling, retries and the configured authentication. */
export class GitHubClient {
  constructor(
    private readonly octokit: GitHubOctokit,
    /** Who the collector is when it authenticates as an App installation; a token's user is looked up. */
    readonly appCollector: string | undefined,
  ) {}

  async request(operation: Operation, parameters: Record<string, unknown>): Promise<ApiResponse> {
    const counter = { attempts: 0 };
    const response = await this.octokit.request(operation.route, { ...parameters, request: { fetch: counting(counter) } });
    return { body: response.data, attempts: counter.attempts };
  }

  /** Every page of a list, following the `Link: rel="next"` URL GitHub (or the sandbox) returns. */
  async *pages(operation: Operation, parameters: Record<string, unknown>): AsyncGenerator<Page> {
    let next: string | undefined;
    let first = true;
    while (first || next) {
      const counter = { attempts: 0 };
      const fetch = counting(counter);
      const response = first
        ? await this.octokit.request(operation.route, { ...parameters, per_page: 100, request: { fetch } })
        : await this.octokit.request({ method: 'GET', url: next!, request: { fetch } });
      first = false;
      next = nextLink(response.headers.link);
      const body: unknown = response.data;
      const { items, pointer } = listItems(operation, body);
      yield { body, items, itemsPointer: pointer, attempts: counter.attempts };
    }
  }

  async graphql(query: string, variables: Record<string, unknown>): Promise<ApiResponse> {
    const counter = { attempts: 0 };
    const data = await this.octokit.graphql(query, { ...variables, request: { fetch: counting(counter) } });
    return { body: { data }, attempts: counter.attempts };
  }
}

function counting(counter: { attempts: number }): typeof fetch {
  return (input, init) => {
    counter.attempts += 1;
    return fetch(input, init);
  };
}

function nextLink(link: string | undefined): string | undefined {
  return link?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
}

/**
 * The status of a refusal that will not change by waiting: 403 (a missing permission, not a rate limit,
 * which GitHub also answers with 403) or 404 (GitHub hides what a caller may not see).
 */
export function refusalStatus(error: unknown): 403 | 404 | undefined {
  const status = (error as { status?: unknown })?.status;
  if (status === 404) return 404;
  if (status !== 403) return undefined;
  const headers = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers;
  const rateLimited = headers?.['x-ratelimit-remaining'] === '0' || /rate limit/i.test((error as Error).message ?? '');
  return rateLimited ? undefined : 403;
}

/** The permission GitHub says the call needed (`X-Accepted-GitHub-Permissions`), when it says. */
export function acceptedPermissions(error: unknown): string | undefined {
  const headers = (error as { response?: { headers?: Record<string, unknown> } })?.response?.headers;
  const value = headers?.['x-accepted-github-permissions'];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export async function createClient(config: GitHubConfig, context: ConnectContext): Promise<GitHubClient> {
  const log = context.log;
  const { retries, baseDelayMs, maxWaitSeconds, graphqlIntervalMs } = config.retry;
  const onLimit = (kind: string) => (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
    const willRetry = retryCount < retries && retryAfter <= maxWaitSeconds;
    log.warn({ method: options.method, url: options.url, retryAfter, retryCount, willRetry }, `GitHub ${kind} rate limit`);
    return willRetry;
  };
  const common = {
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    userAgent: 'nhi-audit',
    log: octokitLog(log),
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      retryAfterBaseValue: baseDelayMs,
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: graphqlIntervalMs }),
    },
    retry: { retries, retryAfterBaseValue: baseDelayMs },
  };
  if (config.app) {
    const app = config.app;
    const privateKey = await readPrivateKey(app, context);
    const octokit = new GitHubOctokit({
      ...common,
      authStrategy: createAppAuth,
      auth: { appId: app.appId, installationId: app.installationId, privateKey },
    });
    return new GitHubClient(octokit, `app:${app.appId}/installation:${app.installationId}`);
  }
  const tokenEnv = config.tokenEnv!;
  const token = context.env[tokenEnv];
  if (!token) {
    throw new ConnectorError(context.source, `environment variable ${tokenEnv} is not set`, {
      hint: `export ${tokenEnv} with a token that can read the organization ${config.org}, or configure app`,
    });
  }
  return new GitHubClient(new GitHubOctokit({ ...common, auth: token }), undefined);
}

async function readPrivateKey(app: NonNullable<GitHubConfig['app']>, context: ConnectContext): Promise<KeyObject> {
  let pem: string | undefined;
  let where: string;
  if (app.privateKeyEnv) {
    where = `environment variable ${app.privateKeyEnv}`;
    pem = context.env[app.privateKeyEnv];
  } else {
    const file = path.resolve(context.baseDir, app.privateKeyFile!);
    where = `file ${file}`;
    pem = await readFile(file, 'utf8').catch(() => undefined);
  }
  if (!pem) throw new ConnectorError(context.source, `no GitHub App private key in ${where}`);
  try {
    return createPrivateKey(pem);
  } catch {
    // The parser's message is dropped: it could quote the key material.
    throw new ConnectorError(context.source, `the GitHub App private key in ${where} is not a PEM private key`, {
      hint: 'use the .pem file GitHub generated for the App',
    });
  }
}

function octokitLog(log: Logger) {
  return {
    debug: (message: string) => log.debug(message),
    info: (message: string) => log.info(message),
    warn: (message: string) => log.warn(message),
    error: (message: string) => log.error(message),
  };
}
