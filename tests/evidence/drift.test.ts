import { describe, expect, it } from 'vitest';
import { driftSince } from '../../src/evidence/drift.js';
import type { Finding, Grant, Identity } from '../../src/sdk/index.js';
import { aCredential, anIdentity } from '../helpers/identity-builder.js';

const BASELINE = { runId: '20260930T000000Z-aaaaaa', cycle: '2026-Q3', asOf: '2026-09-30T00:00:00.000Z' };
const NOW = '2026-11-20T00:00:00.000Z';
const passRole: Grant = { via: 'inline', name: 'deploy', level: 'write', flags: ['iam-write', 'passrole-any'], evidence: ['iam:PassRole'] };

const drift = (before: Identity[], after: Identity[], findings: Finding[] = []) =>
  driftSince({ ...BASELINE, identities: before, findings }, { asOf: NOW, identities: after, findings: [] }).events;

describe('driftSince', () => {
  it('says nothing when nothing changed', () => {
    const same = anIdentity({ credentials: [aCredential()] });
    expect(drift([same], [same])).toEqual([]);
  });

  it('names a new escalation path and the grant that opened it', () => {
    const before = anIdentity({ privilege: { level: 'write', grants: [], flags: [] } });
    const after = anIdentity({ privilege: { level: 'write', grants: [passRole], flags: ['iam-write', 'passrole-any'] } });
    expect(drift([before], [after])).toEqual([{ kind: 'new-escalation', severity: 'high', identityId: after.id, message: 'Can now escalate (iam-write, passrole-any) through deploy' }]);
  });

  it('tells a rotation (one key replaced another) from a key added beside the old one', () => {
    const old = aCredential({ id: 'AKIAOLD' });
    const rotated = drift([anIdentity({ credentials: [old] })], [anIdentity({ credentials: [aCredential({ id: 'AKIANEW' })] })]);
    expect(rotated).toMatchObject([{ kind: 'rotated-credential', severity: 'info', credentialId: 'AKIANEW', message: 'Credential AKIANEW replaced AKIAOLD' }]);
    const added = drift([anIdentity({ credentials: [old] })], [anIdentity({ credentials: [old, aCredential({ id: 'AKIANEW' })] })]);
    expect(added).toMatchObject([{ kind: 'new-credential', severity: 'medium', credentialId: 'AKIANEW', message: 'New access-key AKIANEW' }]);
  });

  it('reports a key last used from a service or region the baseline did not record for it', () => {
    const before = aCredential({ lastUsed: { at: '2026-09-29T10:00:00.000Z' }, lastUsedContext: 's3/us-east-1' });
    const moved = aCredential({ lastUsed: { at: '2026-11-19T03:00:00.000Z' }, lastUsedContext: 'iam/ap-southeast-1' });
    expect(drift([anIdentity({ credentials: [before] })], [anIdentity({ credentials: [moved] })])).toMatchObject([
      { kind: 'new-usage-context', severity: 'medium', message: 'Credential AKIAEXAMPLEKEY000001 was last used from iam/ap-southeast-1, never seen for it before (before: s3/us-east-1)' },
    ]);
    const sameContext = aCredential({ lastUsed: { at: '2026-11-19T03:00:00.000Z' }, lastUsedContext: 's3/us-east-1' });
    expect(drift([anIdentity({ credentials: [before] })], [anIdentity({ credentials: [sameContext] })])).toEqual([]);
  });

  it('flags use of a credential only when the baseline judged it unused and it was used after the baseline', () => {
    const idle = aCredential({ lastUsed: { at: '2026-03-01T00:00:00.000Z' } });
    const usedAgain = aCredential({ lastUsed: { at: '2026-10-05T00:00:00.000Z' } });
    const identity = anIdentity({ credentials: [idle] });
    const unused: Finding = { controlId: 'credential-unused', identityId: identity.id, credentialId: idle.id, status: 'fail', severity: 'medium', message: 'idle', evidence: {} };
    expect(drift([identity], [anIdentity({ credentials: [usedAgain] })], [unused])).toMatchObject([{ kind: 'used-after-judged-unused', severity: 'high' }]);
    expect(drift([identity], [anIdentity({ credentials: [usedAgain] })], [])).toEqual([]);
  });

  it('orders events most severe first', () => {
    const admin = anIdentity({ name: 'new-admin', privilege: { level: 'admin', grants: [], flags: ['admin'] } });
    const plain = anIdentity({ name: 'new-plain' });
    expect(drift([], [plain, admin]).map((e) => [e.severity, e.identityId])).toEqual([
      ['high', admin.id],
      ['low', plain.id],
    ]);
  });
});
