import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth } from '../../../connectors/gcp-iam/auth.js';
import { GcpIamConfigSchema } from '../../../connectors/gcp-iam/config.js';
import { DEFAULT_PAGING, DEFAULT_TIMEOUTS, silentLogger, type ConnectContext } from '../../../src/sdk/index.js';

describe('credentials', () => {
  let dir: string;
  const context = (env: Record<string, string> = {}): ConnectContext => ({ source: 'gcp', log: silentLogger, env, baseDir: dir, now: new Date('2026-11-20T00:00:00Z'), timeouts: DEFAULT_TIMEOUTS, paging: DEFAULT_PAGING });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-gcp-auth-'));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(
      path.join(dir, 'collector.json'),
      JSON.stringify({
        type: 'service_account',
        project_id: 'corvid-audit',
        private_key_id: 'k1',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        client_email: 'nhi-audit@corvid-audit.iam.gserviceaccount.com',
        client_id: '1',
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a key file named in the config, relative to the config file, and knows the collector from it', async () => {
    const auth = await createAuth(GcpIamConfigSchema.parse({ projects: ['corvid-finance-prod'], keyFile: 'collector.json' }), context());
    expect(auth.client).toBeInstanceOf(GoogleAuth);
    await expect(auth.identify()).resolves.toBe('nhi-audit@corvid-audit.iam.gserviceaccount.com');
  });

  it('fails once, with a fix and without quoting it, on a key file that is not a key', async () => {
    await writeFile(path.join(dir, 'broken.json'), '{"private_key": "canary-key-material-93ab", ');
    const auth = await createAuth(GcpIamConfigSchema.parse({ projects: ['corvid-finance-prod'], keyFile: 'broken.json' }), context());
    const error = await auth.identify().then(() => undefined, (e: unknown) => e as Error & { hint?: string });
    expect(error?.message).toMatch(/no usable Google credentials/);
    expect(error?.hint).toContain('broken.json');
    expect(`${error?.message} ${error?.hint}`).not.toContain('canary-key-material-93ab');
  });

  it('uses an access token from the named variable as given', async () => {
    const auth = await createAuth(GcpIamConfigSchema.parse({ projects: ['corvid-finance-prod'], accessTokenEnv: 'T' }), context({ T: 'tok-1' }));
    expect(auth.client).toBeInstanceOf(OAuth2Client);
    expect(((await (auth.client as OAuth2Client).getRequestHeaders()) as Headers).get('authorization')).toBe('Bearer tok-1');
    await expect(auth.identify()).resolves.toBe('access token from T (principal not reported)');
  });

  it('refuses a key file and a token variable together, and a config that names nothing to read', () => {
    expect(GcpIamConfigSchema.safeParse({ projects: ['corvid-finance-prod'], keyFile: 'k.json', accessTokenEnv: 'T' }).success).toBe(false);
    expect(GcpIamConfigSchema.safeParse({}).success).toBe(false);
    expect(GcpIamConfigSchema.parse({ organization: '418303000001' }).organization).toBe('organizations/418303000001');
  });
});
