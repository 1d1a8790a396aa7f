import { defineConnector } from '../../src/sdk/index.js';
import { createClient } from './client.js';
import { collectGitLab, gitLabScopes, type GitLabSession } from './collect.js';
import { GitLabConfigSchema } from './config.js';
import { diagnose } from './doctor.js';
import { identitiesFromRaw } from './from-raw.js';

export default defineConnector({
  id: 'gitlab',
  title: 'GitLab groups: access tokens, deploy tokens and keys, CI/CD variables, trigger tokens, runners and service accounts',
  kinds: ['token', 'deploy-key', 'ci-secret', 'service-account'],
  config: GitLabConfigSchema,
  async connect(config, context): Promise<GitLabSession> {
    return { client: await createClient(config, context), config };
  },
  collect: (session, context) => collectGitLab(session, context),
  listScopes: async ({ config }) => gitLabScopes(config),
  fromRaw: (raw, context) => identitiesFromRaw(raw, context.source),
  doctor: diagnose,
});
