import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffPacks, diffStreamedPacks, type PackSide } from '../../src/evidence/diff.js';
import { identityBrief } from '../../src/evidence/pack-list-thread.js';
import { SpillFolder, SpillWriter } from '../../src/engine/spill.js';
import type { Finding, FindingStatus, Grant, Identity } from '../../src/sdk/index.js';
import { aCredential, anIdentity } from '../helpers/identity-builder.js';

const finding = (controlId: string, identityId: string, status: FindingStatus, credentialId?: string): Finding => ({
  controlId,
  identityId,
  ...(credentialId ? { credentialId } : {}),
  status,
  severity: 'high',
  message: `${controlId} on ${identityId}${credentialId ? ` [${credentialId}]` : ''}: ${status}`,
  evidence: {},
});
const side = (runId: string, findings: Finding[]): PackSide => ({ runId, cycle: '2026-Q4', asOf: '2026-11-20T00:00:00.000Z', identities: [], findings });

// Canonical order: control, identity, credential (an identity-level finding before its credentials).
const BEFORE = [
  finding('credential-rotated', 'aws:1:user/a', 'fail', 'AKIA1'),
  finding('credential-rotated', 'aws:1:user/b', 'pass', 'AKIA2'),
  finding('owner-assigned', 'aws:1:user/a', 'fail'),
  finding('owner-assigned', 'aws:1:user/b', 'fail'),
  finding('owner-assigned', 'aws:1:user/c', 'fail'),
  finding('owner-assigned', 'aws:1:user/d', 'fail'),
];
const AFTER = [
  finding('credential-rotated', 'aws:1:user/a', 'fail', 'AKIA1'),
  finding('credential-rotated', 'aws:1:user/b', 'fail', 'AKIA2'),
  finding('credential-rotated', 'aws:1:user/e', 'fail', 'AKIA5'),
  finding('owner-assigned', 'aws:1:user/a', 'pass'),
  finding('owner-assigned', 'aws:1:user/b', 'excepted'),
  finding('owner-assigned', 'aws:1:user/c', 'not-applicable'),
];

describe('diffPacks: findings matched by control, identity and credential', () => {
  const diff = diffPacks(side('then', BEFORE), side('now', AFTER));
  const rows = (changes: typeof diff.newlyFailing) => changes.map((c) => [c.controlId, c.identityId, c.credentialId ?? '', c.before, c.after]);

  it.each([
    ['newly failing: passing before, or absent', 'newlyFailing', [['credential-rotated', 'aws:1:user/b', 'AKIA2', 'pass', 'fail'], ['credential-rotated', 'aws:1:user/e', 'AKIA5', 'absent', 'fail']]],
    ['still open: failing in both', 'stillOpen', [['credential-rotated', 'aws:1:user/a', 'AKIA1', 'fail', 'fail']]],
    ['remediated: passing, not applicable or gone now', 'remediated', [['owner-assigned', 'aws:1:user/a', '', 'fail', 'pass'], ['owner-assigned', 'aws:1:user/c', '', 'fail', 'not-applicable'], ['owner-assigned', 'aws:1:user/d', '', 'fail', 'absent']]],
    ['waived: excepted now', 'waived', [['owner-assigned', 'aws:1:user/b', '', 'fail', 'excepted']]],
  ] as const)('%s', (_name, section, expected) => {
    expect(rows(diff[section])).toEqual(expected);
  });

  it('gives the same answer for lists in any order', () => {
    const shuffled = diffPacks(side('then', [...BEFORE].reverse()), side('now', [AFTER[3]!, AFTER[0]!, AFTER[5]!, AFTER[2]!, AFTER[4]!, AFTER[1]!]));
    expect(shuffled).toEqual(diff);
  });
});

describe('diffStreamedPacks: the findings walked in step as they are read', () => {
  /** The side's findings in batches of `size` (an empty batch between each), as a pack's are read. */
  const streamed = (pack: PackSide, size = 3) => ({ ...pack, findings: async function* () {
    for (let at = 0; at < pack.findings.length; at += size) {
      yield pack.findings.slice(at, at + size);
      yield [];
    }
  } });
  const statuses: FindingStatus[] = ['pass', 'fail', 'excepted', 'not-applicable'];
  const list = fc.uniqueArray(
    fc.record({ control: fc.constantFrom('a-control', 'b-control'), identity: fc.constantFrom('x', 'x-1', 'y', 'z'), credential: fc.option(fc.constantFrom('K1', 'K2'), { nil: undefined }), status: fc.constantFrom(...statuses) }),
    { selector: (f) => `${f.control} ${f.identity} ${f.credential}`, maxLength: 14 },
  );

  it('gives what diffPacks gives, for lists in canonical order or in any other', async () => {
    await fc.assert(
      fc.asyncProperty(list, list, fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 5 }), async (a, b, sortThem, heldNow, size) => {
        const findings = (items: typeof a) => items.map((f) => finding(f.control, f.identity, f.status, f.credential));
        const order = (items: Finding[]) => (sortThem ? [...items].sort((p, q) => (`${p.controlId}\u0000${p.identityId}\u0000${p.credentialId ?? ''}` < `${q.controlId}\u0000${q.identityId}\u0000${q.credentialId ?? ''}` ? -1 : 1)) : items);
        const [then, now] = [side('then', order(findings(a))), side('now', order(findings(b)))];
        // A side can hold its findings: it is walked as the one batch it is.
        const nowSide = heldNow ? { ...now, findings: () => [now.findings] } : streamed(now, size);
        const listed = diffPacks(then, now);
        expect(await diffStreamedPacks(streamed(then, size), nowSide)).toEqual(listed);
        expect(listed.stillOpenCount).toBe(listed.stillOpen.length);
        // Counted, a diff holds none of the findings still open but says how many there are.
        expect(await diffStreamedPacks(streamed(then, size), nowSide, { stillOpen: 'counted' })).toEqual({ ...listed, stillOpen: [] });
      }),
      { numRuns: 400 },
    );
  });
});

describe('diffPacks: the population, from the identities\' briefs', () => {
  const grant = (name: string, level: Grant['level']): Grant => ({ via: 'inline', name, ref: `inline:${name}`, level, flags: [], evidence: [] });
  const who = (name: string, overrides: Partial<Identity> = {}) => anIdentity({ name, ...overrides });
  const key = (id: string) => aCredential({ id });
  const then = [
    who('steady', { privilege: { level: 'write', grants: [grant('app', 'write')], flags: [] }, credentials: [key('AKIA1')] }),
    who('widened', { privilege: { level: 'read', grants: [grant('app', 'read')], flags: [] } }),
    who('flagged', { privilege: { level: 'admin', grants: [grant('all', 'admin')], flags: [] } }),
    who('rotated', { credentials: [key('AKIA2')] }),
    who('keyed', { credentials: [] }),
    who('gone'),
  ];
  const now = [
    who('steady', { privilege: { level: 'write', grants: [grant('app', 'write')], flags: [] }, credentials: [key('AKIA1')] }),
    who('widened', { privilege: { level: 'admin', grants: [grant('app', 'read'), grant('all', 'admin')], flags: [] } }),
    who('flagged', { privilege: { level: 'admin', grants: [grant('all', 'admin')], flags: ['privilege-escalation'] } }),
    who('rotated', { credentials: [key('AKIA3')] }),
    who('keyed', { credentials: [key('AKIA4')] }),
    who('new'),
  ];
  const diff = diffPacks({ ...side('then', []), identities: then.map(identityBrief) }, { ...side('now', []), identities: now.map(identityBrief) });
  const id = (name: string) => `aws-iam:111111111111:user/${name}`;

  it.each([
    ['added', diff.added, [{ id: id('new'), kind: 'service-account', name: 'new' }]],
    ['removed', diff.removed, [{ id: id('gone'), kind: 'service-account', name: 'gone' }]],
    [
      'privilege',
      diff.privilege,
      [
        { identityId: id('flagged'), before: { level: 'admin', flags: [] }, after: { level: 'admin', flags: ['privilege-escalation'] }, grantsAdded: [], grantsRemoved: [] },
        { identityId: id('widened'), before: { level: 'read', flags: [] }, after: { level: 'admin', flags: [] }, grantsAdded: ['inline all (inline:all): admin'], grantsRemoved: [] },
      ],
    ],
    [
      'credentials',
      diff.credentials,
      [
        { identityId: id('keyed'), added: ['AKIA4'], removed: [], rotated: false },
        { identityId: id('rotated'), added: ['AKIA3'], removed: ['AKIA2'], rotated: true },
      ],
    ],
  ])('%s', (_, got, expected) => {
    expect(got).toEqual(expected);
  });
  it('gives the same from identities as a run holds them as from their briefs', () => {
    expect(diffPacks({ ...side('then', []), identities: then }, { ...side('now', []), identities: now })).toEqual(diff);
    expect(diffPacks({ ...side('then', []), identities: then.map(identityBrief) }, { ...side('now', []), identities: now })).toEqual(diff);
  });
  it('walks a run\'s spilled population once, never holding it by id, for the same answer', () => {
    const writer = new SpillWriter<Identity>(new SpillFolder(), 'now.jsonl');
    for (const identity of now) writer.write(identity);
    let walks = 0;
    const list = writer.finish(true);
    const walked = list[Symbol.iterator].bind(list);
    list[Symbol.iterator] = () => {
      walks += 1;
      return walked();
    };
    const spilled = list.asArray();
    expect(diffPacks({ ...side('then', []), identities: then.map(identityBrief) }, { ...side('now', []), identities: spilled })).toEqual(diff);
    expect(walks).toBe(1);
  });
});
