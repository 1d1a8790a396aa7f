import { defineConnector } from '../../src/sdk/index.js';
import { createClient } from './client.js';
import { collectOrganization, type GitHubSession } from './collect.js';
import { GitHubConfigSchema } from './config.js';
import { diagnose } from './doctor.js';
import { identitiesFromRaw } from './from-raw.js';

export default defineConnector({
  id: 'github',
  title: 'GitHub organization: Apps, deploy keys, tokens, CI secrets, webhooks and self-hosted runners',
  kinds: ['app', 'deploy-key', 'token', 'ci-secret', 'api-key', 'service-account'],
  config: GitHubConfigSchema,
  async connect(config, context): Promise<GitHubSession> {
    return { client: await createClient(config, context), config };
  },
  collect: (session, context) => collectOrganization(session, context),
  fromRaw: (raw, context) => identitiesFromRaw(raw, context.source),
  doctor: diagnose,
});
