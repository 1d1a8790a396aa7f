import { CredentialSchema, IdentitySchema, type Credential, type Identity } from '../../src/sdk/index.js';

/** A valid identity with neutral defaults; tests override only the facts they are about. */
export function anIdentity(overrides: Partial<Identity> = {}): Identity {
  const name = overrides.name ?? 'ci-deployer';
  return IdentitySchema.parse({
    id: `aws-iam:111111111111:user/${name}`,
    connector: 'aws-iam',
    source: 'aws-test',
    scope: '111111111111',
    kind: 'service-account',
    name,
    nativeId: `arn:aws:iam::111111111111:user/${name}`,
    status: 'active',
    classification: { value: 'machine', reason: 'no console password; access keys only' },
    createdAt: '2026-01-01T00:00:00.000Z',
    lastUsed: 'unknown',
    credentials: [],
    privilege: { level: 'read', grants: [], flags: [] },
    tags: {},
    rawRef: 'raw/aws-test/111111111111/GetAccountAuthorizationDetails-0001.json',
    ...overrides,
  });
}

/** A valid active access key with neutral defaults. */
export function aCredential(overrides: Partial<Credential> = {}): Credential {
  return CredentialSchema.parse({
    id: 'AKIAEXAMPLEKEY000001',
    type: 'access-key',
    status: 'active',
    createdAt: '2026-01-01T00:00:00.000Z',
    rotatedAt: null,
    lastUsed: 'unknown',
    expiresAt: null,
    ...overrides,
  });
}

/** An instant `days` days before `now`, in the inventory's format. */
export function daysAgo(now: Date, days: number): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}
