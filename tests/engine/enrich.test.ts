import { describe, expect, it } from 'vitest';
import { enrich, type EnrichInputs } from '../../src/engine/enrich.js';
import { anIdentity } from '../helpers/identity-builder.js';

const tagKeys: EnrichInputs = {
  ownerTagKeys: ['owner', 'Owner'],
  environmentTagKeys: ['environment', 'env'],
  vendorTagKeys: ['vendor'],
  expiryTagKeys: ['expires-at'],
  breakGlassTagKeys: ['break-glass', 'emergency'],
  approvalTagKeys: ['approval'],
};
const owners = { file: 'owners.csv', rows: [{ identity: 'aws-iam:111111111111:user/etl-*', owner: 'data-eng' }] };
const one = (identity = anIdentity(), inputs: Partial<EnrichInputs> = {}) => enrich([identity], { ...tagKeys, ...inputs })[0]!;

describe('enrich: owners', () => {
  it('takes the owner from the first configured tag key, over the registry', () => {
    const identity = one(anIdentity({ name: 'etl-a', tags: { Owner: 'ops', owner: 'fin' } }), { owners });
    expect(identity.owner).toEqual({ id: 'fin', source: 'tag:owner', status: 'unknown' });
  });

  it('falls back to the registry by glob, and names it as the source', () => {
    expect(one(anIdentity({ name: 'etl-b' }), { owners }).owner).toEqual({ id: 'data-eng', source: 'registry:owners.csv', status: 'unknown' });
  });

  it('keeps the owner the connector found when neither tag nor registry names one', () => {
    const found = { id: 'octocat', source: 'added_by', status: 'unknown' as const };
    expect(one(anIdentity({ name: 'other', owner: found }), { owners }).owner).toEqual(found);
  });

  it('leaves an identity without owner when nothing names one, and reads the environment tag', () => {
    const identity = one(anIdentity({ name: 'other', tags: { env: 'prod' } }), { owners });
    expect(identity.owner).toBeUndefined();
    expect(identity.environment).toBe('prod');
  });
});

describe('enrich: HR roster', () => {
  const hrRoster = {
    file: 'hr-roster.csv',
    rows: [
      { person: 'Ana@Corvid.example', status: 'active' as const },
      { person: 'bo@corvid.example', status: 'terminated' as const, terminatedAt: '2026-09-30T00:00:00.000Z' },
    ],
  };

  it('gives a listed owner its status, matching the id without regard to case', () => {
    expect(one(anIdentity({ tags: { owner: 'ana@corvid.example' } }), { hrRoster }).owner).toEqual({ id: 'ana@corvid.example', source: 'tag:owner', status: 'active' });
  });

  it('marks an owner who left as terminated, with the date, whichever source named the owner', () => {
    expect(one(anIdentity({ name: 'etl-x' }), { owners: { file: 'owners.csv', rows: [{ identity: '*', owner: 'bo@corvid.example' }] }, hrRoster }).owner).toEqual({
      id: 'bo@corvid.example',
      source: 'registry:owners.csv',
      status: 'terminated',
      terminatedAt: '2026-09-30T00:00:00.000Z',
    });
  });

  it('leaves an owner the roster does not list (a team) unknown', () => {
    expect(one(anIdentity({ tags: { owner: 'gl-accounting@corvid.example' } }), { hrRoster }).owner?.status).toBe('unknown');
  });
});

describe('enrich: approvals', () => {
  const approvals = {
    file: 'approvals.csv',
    rows: [
      { identity: 'aws-iam:111111111111:user/svc-*', ticket: 'CHG-9', requester: 'ana', approver: 'bo', approvedAt: '2026-03-01T00:00:00.000Z' },
      { identity: 'aws-iam:111111111111:user/svc-close', ticket: 'CHG-1', requester: 'ana', approver: 'cy', approvedAt: '2026-01-05T00:00:00.000Z' },
      { ticket: 'INC-7', requester: 'dee', approver: 'ed', approvedAt: '2026-10-15T02:05:00.000Z' },
    ],
  };

  it('takes the earliest approval naming the identity: the one that can have authorized its creation', () => {
    expect(one(anIdentity({ name: 'svc-close' }), { approvals }).approval).toEqual({ ticket: 'CHG-1', requester: 'ana', approver: 'cy', approvedAt: '2026-01-05T00:00:00.000Z' });
  });

  it('finds a ticket named by an approval tag', () => {
    expect(one(anIdentity({ name: 'breakglass', tags: { approval: 'INC-7' } }), { approvals }).approval?.ticket).toBe('INC-7');
  });

  it('gives no approval when the tag names a ticket the register does not hold', () => {
    expect(one(anIdentity({ name: 'other', tags: { approval: 'CHG-404' } }), { approvals }).approval).toBeUndefined();
  });
});

describe('enrich: tag conventions', () => {
  it('reads the vendor, without overriding one the connector set', () => {
    expect(one(anIdentity({ tags: { vendor: 'ARBridge Inc.' } })).vendor).toBe('ARBridge Inc.');
    expect(one(anIdentity({ vendor: 'octo-vendor', tags: { vendor: 'tagged' } })).vendor).toBe('octo-vendor');
  });

  it.each([
    ['an instant as given', '2026-10-15T14:00:00Z', '2026-10-15T14:00:00.000Z'],
    ['a date as the end of that day', '2027-07-31', '2027-07-31T23:59:59.999Z'],
    ['an unreadable value as no expiry', 'next spring', undefined],
  ])('reads an expiry tag: %s', (_name, value, expected) => {
    expect(one(anIdentity({ tags: { 'expires-at': value } })).expiresAt).toBe(expected);
  });

  it('keeps an expiry the provider reports', () => {
    expect(one(anIdentity({ expiresAt: '2026-12-01T00:00:00.000Z', tags: { 'expires-at': '2027-01-01' } })).expiresAt).toBe('2026-12-01T00:00:00.000Z');
  });

  it.each([
    [{ 'break-glass': 'true' }, true],
    [{ emergency: 'INC-2291' }, true],
    [{ 'break-glass': 'false' }, undefined],
    [{ 'break-glass': 'No' }, undefined],
    [{}, undefined],
  ])('marks break-glass identities by tag: %o', (tags, expected) => {
    expect(one(anIdentity({ tags })).breakGlass).toBe(expected);
  });

  it('puts an identity on the privileged-access list by glob, the first matching row winning', () => {
    const privilegedAccess = {
      file: 'privileged-access.csv',
      rows: [
        { identity: 'aws-iam:*:user/ci-*', approver: 'cfo', ticket: 'CHG-1', recertifiedAt: '2026-10-05T00:00:00.000Z' },
        { identity: '*', approver: 'nobody', recertifiedAt: '2020-01-01T00:00:00.000Z' },
      ],
    };
    expect(one(anIdentity({ name: 'ci-deployer' }), { privilegedAccess }).privilegedAccess).toEqual({
      approver: 'cfo',
      ticket: 'CHG-1',
      recertifiedAt: '2026-10-05T00:00:00.000Z',
      source: 'registry:privileged-access.csv',
    });
  });

  it('does not change the identities it is given', () => {
    const identity = Object.freeze(anIdentity({ tags: { vendor: 'v', 'break-glass': 'yes' } }));
    one(identity);
    expect(identity.vendor).toBeUndefined();
    expect(identity.breakGlass).toBeUndefined();
  });
});
