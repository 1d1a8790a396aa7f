import os from 'node:os';

export interface Operator {
  user: string;
  host: string;
  ci: { provider: string; jobId?: string; url?: string } | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The CI job that ran the collector, when there is one: auditors trace a pack back to the job log. */
function ciOf(env: Env): Operator['ci'] {
  if (env.GITHUB_ACTIONS === 'true') {
    const url = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
    return { provider: 'github-actions', ...(env.GITHUB_RUN_ID ? { jobId: env.GITHUB_RUN_ID } : {}), ...(url ? { url } : {}) };
  }
  if (env.GITLAB_CI === 'true') {
    return { provider: 'gitlab-ci', ...(env.CI_JOB_ID ? { jobId: env.CI_JOB_ID } : {}), ...(env.CI_JOB_URL ? { url: env.CI_JOB_URL } : {}) };
  }
  if (env.BUILDKITE === 'true') {
    return { provider: 'buildkite', ...(env.BUILDKITE_JOB_ID ? { jobId: env.BUILDKITE_JOB_ID } : {}), ...(env.BUILDKITE_BUILD_URL ? { url: env.BUILDKITE_BUILD_URL } : {}) };
  }
  if (env.CI) return { provider: 'ci' };
  return null;
}

export function describeOperator(env: Env): Operator {
  let user = env.USER ?? env.USERNAME ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): keep the environment's answer.
  }
  return { user, host: os.hostname(), ci: ciOf(env) };
}
