import fc from 'fast-check';
import { compareIds } from '../../src/engine/collect.js';
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

/**
 * Any population of up to `maxLength` distinct identities in id order, as a collected one is: of every kind, owned
 * or not, at any privilege level, with keys of any age as of `now`, each reaching a SOX system or another.
 */
export function aPopulation(now: Date, { minLength = 0, maxLength = 40 } = {}): fc.Arbitrary<Identity[]> {
  const kinds = ['service-account', 'role', 'app', 'token'] as const;
  const anyIdentity = fc
    .record({
      name: fc.stringMatching(/^[a-zA-Z0-9._-]{1,6}$/),
      kind: fc.constantFrom(...kinds),
      owned: fc.boolean(),
      level: fc.constantFrom('admin', 'write', 'read', 'none', 'unknown' as const),
      keyAges: fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 3 }),
      sox: fc.boolean(),
      providerManaged: fc.boolean(),
    })
    .map(({ name, kind, owned, level, keyAges, sox, providerManaged }) =>
      anIdentity({
        name,
        kind,
        ...(owned ? { owner: { id: 'team-ledger', source: 'tag:owner', status: 'unknown' as const } } : {}),
        privilege: { level, grants: [], flags: level === 'admin' ? ['admin'] : [] },
        credentials: keyAges.map((age, k) => aCredential({ id: `AKIA${name.toUpperCase()}${k}`.padEnd(20, 'X'), createdAt: daysAgo(now, age) })),
        systems: [{ name: sox ? 'ledger' : 'wiki', sox, reasons: ['tag:system'] }],
        ...(providerManaged ? { providerManaged: { reason: 'an AWS service-linked role' } } : {}),
      }),
    );
  return fc
    .uniqueArray(anyIdentity, { selector: (i) => i.id, minLength, maxLength })
    .map((identities) => identities.sort((a, b) => compareIds(a.id, b.id)));
}
