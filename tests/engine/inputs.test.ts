import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enrich } from '../../src/engine/enrich.js';
import { loadOwners, loadWaivers } from '../../src/engine/inputs.js';
import { anIdentity } from '../helpers/identity-builder.js';

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-inputs-'));
  const full = path.join(dir, name);
  await writeFile(full, text);
  return full;
}

describe('owners registry', () => {
  it('reads identity,owner rows', async () => {
    const owners = await loadOwners(await file('owners.csv', 'identity,owner\naws-iam:1:user/a,team-a\n"aws-iam:*:role/x",team-x\n'));
    expect(owners).toEqual([
      { identity: 'aws-iam:1:user/a', owner: 'team-a' },
      { identity: 'aws-iam:*:role/x', owner: 'team-x' },
    ]);
  });

  it('names the file, line and column of a bad row', async () => {
    const owners = await file('owners.csv', 'identity,owner\naws-iam:1:user/a,team-a\naws-iam:1:user/b,\n');
    await expect(loadOwners(owners)).rejects.toThrow(`${owners}: line 3, column owner: name the accountable person or team`);
  });
});

describe('waivers file', () => {
  it('reads a YAML list of waivers', async () => {
    const waivers = await loadWaivers(
      await file('waivers.yaml', '- control: owner-assigned\n  identity: "aws-iam:*"\n  reason: r\n  ticket: T-1\n  approver: a@x\n  expires: 2026-12-31\n'),
      ['owner-assigned'],
    );
    expect(waivers[0]).toMatchObject({ control: 'owner-assigned', expires: '2026-12-31' });
  });

  it('names the entry and field of every problem', async () => {
    const waivers = await file('waivers.yaml', '- control: nope\n  identity: x\n  reason: r\n  ticket: T-1\n  approver: a\n  expires: 2026-12-31\n- control: owner-assigned\n  identity: x\n  reason: r\n  ticket: T-2\n  expires: soon\n');
    const error = await loadWaivers(waivers, ['owner-assigned']).catch((e: Error) => e);
    expect((error as Error).message).toContain(`${waivers}: [1].approver: `);
    expect((error as Error).message).toContain(`${waivers}: [1].expires: `);
  });

  it('refuses a waiver for a control that does not exist', async () => {
    const waivers = await file('waivers.yaml', '- control: nope\n  identity: x\n  reason: r\n  ticket: T-1\n  approver: a\n  expires: 2026-12-31\n');
    await expect(loadWaivers(waivers, ['owner-assigned'])).rejects.toThrow(`${waivers}: [0].control: unknown control "nope"`);
  });
});

describe('enrich', () => {
  const rows = [{ identity: 'aws-iam:111111111111:user/etl-*', owner: 'data-eng' }];

  it('takes the owner from the first configured tag key, over the registry', () => {
    const [identity] = enrich([anIdentity({ name: 'etl-a', tags: { Owner: 'ops', owner: 'fin' } })], { ownerTagKeys: ['owner', 'Owner'], environmentTagKeys: [], owners: { file: 'owners.csv', rows } });
    expect(identity!.owner).toEqual({ id: 'fin', source: 'tag:owner', status: 'unknown' });
  });

  it('falls back to the registry by glob, and names it as the source', () => {
    const [identity] = enrich([anIdentity({ name: 'etl-b' })], { ownerTagKeys: ['owner'], environmentTagKeys: [], owners: { file: 'owners.csv', rows } });
    expect(identity!.owner).toEqual({ id: 'data-eng', source: 'registry:owners.csv', status: 'unknown' });
  });

  it('leaves an identity without owner when nothing names one, and reads the environment tag', () => {
    const [identity] = enrich([anIdentity({ name: 'other', tags: { env: 'prod' } })], { ownerTagKeys: ['owner'], environmentTagKeys: ['environment', 'env'], owners: { file: 'owners.csv', rows } });
    expect(identity!.owner).toBeUndefined();
    expect(identity!.environment).toBe('prod');
  });
});
