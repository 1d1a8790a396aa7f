import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.js';
import { validateConfig } from '../../src/config.js';
import { controls } from '../../src/controls/index.js';
import { loadApprovals, loadHrRoster, loadOwners, loadPrivilegedAccess, loadWaivers } from '../../src/engine/inputs.js';
import { loadInputs } from '../../src/engine/pipeline.js';

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

describe('owners registry in YAML', () => {
  it('reads a list of identity and owner', async () => {
    const owners = await loadOwners(await file('owners.yaml', '- identity: "aws-iam:*:role/x"\n  owner: team-x\n'));
    expect(owners).toEqual([{ identity: 'aws-iam:*:role/x', owner: 'team-x' }]);
  });

  it('names the entry and field of a bad one', async () => {
    const owners = await file('owners.yaml', '- identity: "aws-iam:*:role/x"\n');
    await expect(loadOwners(owners)).rejects.toThrow(`${owners}: [0].owner: `);
  });
});

describe('HR roster', () => {
  it('reads people with their status and departure date, ignoring further columns of an HR export', async () => {
    const roster = await loadHrRoster(
      await file('hr.csv', 'person,department,status,terminated_at\nana@corvid.example,Finance,Active,\nbo@corvid.example,IT,terminated,2026-09-30\n'),
    );
    expect(roster).toEqual([
      { person: 'ana@corvid.example', status: 'active' },
      { person: 'bo@corvid.example', status: 'terminated', terminatedAt: '2026-09-30T00:00:00.000Z' },
    ]);
  });

  it.each([
    ['an unknown status', 'bo@x,retired,', 'line 2, column status: expected active or terminated'],
    ['a leaver without a date', 'bo@x,terminated,', 'line 2, column terminated_at: a terminated person needs the date they left'],
    ['a date that is no date', 'bo@x,terminated,last Friday', 'line 2, column terminated_at: expected a date such as 2026-09-30'],
  ])('names file, line and column of %s', async (_name, row, message) => {
    const roster = await file('hr.csv', `person,status,terminated_at\n${row}\n`);
    await expect(loadHrRoster(roster)).rejects.toThrow(`${roster}: ${message}`);
  });
});

describe('approvals register', () => {
  it('reads tickets by identity or glob, or by ticket alone, with dates or instants', async () => {
    const approvals = await loadApprovals(
      await file(
        'approvals.csv',
        'identity,ticket,requester,approver,approved_at\naws-iam:*:role/deploy-*,CHG-1,ana,bo,2026-01-05\n,CHG-2,ana,cy,2026-02-01T09:30:00+02:00\n',
      ),
    );
    expect(approvals).toEqual([
      { identity: 'aws-iam:*:role/deploy-*', ticket: 'CHG-1', requester: 'ana', approver: 'bo', approvedAt: '2026-01-05T00:00:00.000Z' },
      { ticket: 'CHG-2', requester: 'ana', approver: 'cy', approvedAt: '2026-02-01T07:30:00.000Z' },
    ]);
  });

  it('names every bad cell with its line and column', async () => {
    const approvals = await file('approvals.csv', 'identity,ticket,requester,approver,approved_at\nx,CHG-1,ana,bo,2026-01-05\nx,,ana,,soon\n');
    const error = (await loadApprovals(approvals).catch((e: Error) => e)) as Error;
    expect(error.message).toContain(`${approvals}: line 3, column ticket: name the change ticket`);
    expect(error.message).toContain(`${approvals}: line 3, column approver: name who approved the change`);
    expect(error.message).toContain(`${approvals}: line 3, column approved_at: expected a date`);
  });

  it('names a missing column', async () => {
    const approvals = await file('approvals.csv', 'identity,ticket,requester,approver\nx,CHG-1,ana,bo\n');
    await expect(loadApprovals(approvals)).rejects.toThrow(`${approvals}: line 2, column approved_at: `);
  });
});

describe('privileged-access list', () => {
  it('reads approved administrator identities with their last recertification', async () => {
    const list = await loadPrivilegedAccess(
      await file('privileged.csv', 'identity,approver,ticket,recertified_at\naws-iam:1:role/admin,cfo,CHG-9,2026-10-05\naws-iam:1:role/other,cfo,,2026-10-06\n'),
    );
    expect(list).toEqual([
      { identity: 'aws-iam:1:role/admin', approver: 'cfo', ticket: 'CHG-9', recertifiedAt: '2026-10-05T00:00:00.000Z' },
      { identity: 'aws-iam:1:role/other', approver: 'cfo', recertifiedAt: '2026-10-06T00:00:00.000Z' },
    ]);
  });

  it('names the file, line and column of a row without its recertification date', async () => {
    const list = await file('privileged.csv', 'identity,approver,ticket,recertified_at\naws-iam:1:role/admin,cfo,CHG-9,\n');
    await expect(loadPrivilegedAccess(list)).rejects.toThrow(`${list}: line 2, column recertified_at: expected a date`);
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

describe('loadInputs', () => {
  const registries = { connectors, controls };
  const enrich = { owners: 'owners.csv', hrRoster: 'hr.csv', approvals: 'approvals.csv', privilegedAccess: 'privileged.csv', vendorTagKeys: ['supplier'] };

  async function configDir(hr: string): Promise<string> {
    const dir = path.dirname(await file('owners.csv', 'identity,owner\naws-iam:*,team\n'));
    await writeFile(path.join(dir, 'hr.csv'), hr);
    await writeFile(path.join(dir, 'approvals.csv'), 'identity,ticket,requester,approver,approved_at\naws-iam:*,CHG-1,ana,bo,2026-01-05\n');
    await writeFile(path.join(dir, 'privileged.csv'), 'identity,approver,ticket,recertified_at\naws-iam:*,cfo,,2026-10-05\n');
    return dir;
  }

  it('reads every configured registry, named by its file, with the tag conventions', async () => {
    const baseDir = await configDir('person,status,terminated_at\nana,active,\n');
    const { config } = validateConfig({ sources: [{ name: 'aws', connector: 'aws-iam' }], enrich }, registries);
    const inputs = await loadInputs({ file: path.join(baseDir, 'nhi-audit.yaml'), text: '', baseDir, config: config! }, registries);
    expect(inputs.enrich).toMatchObject({
      vendorTagKeys: ['supplier'],
      owners: { file: 'owners.csv', rows: [{ identity: 'aws-iam:*', owner: 'team' }] },
      hrRoster: { file: 'hr.csv', rows: [{ person: 'ana', status: 'active' }] },
      approvals: { file: 'approvals.csv', rows: [{ ticket: 'CHG-1' }] },
      privilegedAccess: { file: 'privileged.csv', rows: [{ approver: 'cfo' }] },
    });
  });

  it('stops on a bad registry before anything is collected, naming its file, line and column', async () => {
    const baseDir = await configDir('person,status,terminated_at\nana,gone,\n');
    const { config } = validateConfig({ sources: [{ name: 'aws', connector: 'aws-iam' }], enrich }, registries);
    await expect(loadInputs({ file: path.join(baseDir, 'nhi-audit.yaml'), text: '', baseDir, config: config! }, registries)).rejects.toThrow(
      `${path.join(baseDir, 'hr.csv')}: line 2, column status: expected active or terminated`,
    );
  });
});
