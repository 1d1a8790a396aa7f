/**
 * no-admin-privilege and no-privilege-escalation against cloudsplaining (salesforce/cloudsplaining, vendored
 * unchanged in fixtures/external/cloudsplaining/): the same `aws iam get-account-authorization-details` export,
 * read by the aws-iam connector, judged per principal, and compared with cloudsplaining's own expected results.
 * Where the two differ by design, the difference is pinned here and explained in README.md under the controls.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import connector from '../../connectors/aws-iam/index.js';
import noAdminPrivilege from '../../src/controls/no-admin-privilege.js';
import noPrivilegeEscalation from '../../src/controls/no-privilege-escalation.js';
import { collectSource } from '../../src/engine/collect.js';
import { silentLogger, type Identity } from '../../src/sdk/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLOUDSPLAINING = path.join(ROOT, 'fixtures/external/cloudsplaining');
const now = new Date('2026-11-20T00:00:00Z');
const ESCALATION_FLAGS = noPrivilegeEscalation.options.parse({}).flags;

async function expected(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(CLOUDSPLAINING, 'scanning', name), 'utf8')) as Record<string, unknown>;
}

/** Policy names keyed by id, as cloudsplaining writes a principal's policies. */
const names = (byId: unknown) => Object.values(byId as Record<string, string>).sort();

let identities: Identity[];
const principal = (id: string) => identities.find((i) => i.id === `aws-iam:012345678901:${id}`)!;
const grantNames = (id: string, via: string[]) => principal(id).privilege.grants.filter((g) => via.includes(g.via)).map((g) => g.name).sort();
function verdict(id: string, control: typeof noAdminPrivilege | typeof noPrivilegeEscalation): string {
  const options = control.options.parse({});
  return control.evaluate([principal(id)], { options: options as never, now })[0]!.status;
}

beforeAll(async () => {
  const rawDir = await mkdtemp(path.join(os.tmpdir(), 'nhi-cloudsplaining-'));
  const result = await collectSource(
    connector,
    { name: 'cloudsplaining', connector: 'aws-iam', exports: [{ authorizationDetails: path.join(CLOUDSPLAINING, 'example-authz-details.json') }] },
    { now, log: silentLogger, env: {}, baseDir: ROOT, rawDir },
  );
  identities = result.identities;
});

describe("cloudsplaining's expected results for example-authz-details.json", () => {
  it('user biden: the same policies, directly and through group biden (test_user_detail_results.json)', async () => {
    const user = await expected('test_user_detail_results.json');
    const group = (user.groups as Record<string, { inline_policies: unknown; managed_policies: unknown }>).biden!;
    expect(grantNames('user/biden', ['attached'])).toEqual(names(user.managed_policies));
    expect(grantNames('user/biden', ['inline'])).toEqual(names(user.inline_policies));
    expect(grantNames('user/biden', ['group'])).toEqual([...names(group.managed_policies), ...names(group.inline_policies)].sort());
  });

  it('group biden: the policies every member inherits (test_group_detail_results.json)', async () => {
    const group = await expected('test_group_detail_results.json');
    const inherited = principal('user/biden').privilege.grants.filter((g) => g.ref?.startsWith(`group/${String(group.name)} `));
    expect(inherited.map((g) => g.name).sort()).toEqual([...names(group.aws_managed_policies), ...names(group.customer_managed_policies), ...names(group.inline_policies)].sort());
  });

  it('role OverprivilegedEC2: the same policies and an EC2 trust (test_role_detail_results.json)', async () => {
    const role = await expected('test_role_detail_results.json');
    expect(grantNames('role/OverprivilegedEC2', ['attached', 'inline'])).toEqual(
      [...names(role.aws_managed_policies), ...names(role.customer_managed_policies), ...names(role.inline_policies)].sort(),
    );
    const compute = (role.AssumableByComputeServices as { findings: string[] }).findings;
    expect(principal('role/OverprivilegedEC2').trust!.map((t) => t.value)).toEqual(compute.map((service) => `${service}.amazonaws.com`));
  });

  it('InlinePolicyForBidenGroup: no privilege escalation and no service wildcard (test_inline_policy_results.json)', async () => {
    const policy = await expected('test_inline_policy_results.json');
    expect((policy.PrivilegeEscalation as { findings: unknown[] }).findings).toEqual([]);
    expect((policy.ServiceWildcard as { findings: unknown[] }).findings).toEqual([]);
    const grant = principal('user/biden').privilege.grants.find((g) => g.name === policy.PolicyName)!;
    expect(grant.flags.filter((f) => ESCALATION_FLAGS.includes(f))).toEqual([]);
    expect(grant.flags).not.toContain('service-wildcard');
    expect(grant.level).not.toBe('admin');
  });
});

/**
 * Each principal of the export as cloudsplaining reports it with its default exclusions, and as the two
 * controls judge it. cloudsplaining's privilege escalation is its PRIVILEGE_ESCALATION_METHODS (Rhino Security
 * Labs' methods: every action of a method allowed on Resource "*" in one policy), reported per policy; the
 * connector uses the same methods over each principal's effective permissions, so a method must come out under
 * the same name, through the same policy.
 */
const principals: {
  id: string;
  cloudsplaining: { escalation: { method: string; policy: string } | null; excluded?: string };
  noAdminPrivilege: 'pass' | 'fail';
  noPrivilegeEscalation: 'pass' | 'fail';
  /** Why the verdicts differ by design; absent where they agree. */
  difference?: string;
}[] = [
  {
    id: 'role/OverprivilegedEC2',
    cloudsplaining: { escalation: { method: 'CreateAccessKey', policy: 'SupYo' } },
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'fail',
  },
  {
    id: 'user/biden',
    cloudsplaining: { escalation: { method: 'PassExistingRoleToNewLambdaThenInvoke', policy: 'AWSLambdaFullAccess' } },
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'fail',
  },
  {
    id: 'role/MyRole',
    cloudsplaining: { escalation: null },
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'fail',
    difference: 'iam:PassRole, iam:CreateInstanceProfile and iam:AddRoleToInstanceProfile on "*" match none of its methods; we fail PassRole on every role and IAM writes on every resource by themselves',
  },
  {
    id: 'role/MyOtherRole',
    cloudsplaining: { escalation: null },
    noAdminPrivilege: 'pass',
    noPrivilegeEscalation: 'fail',
    difference: 'the same policy as MyRole under another name',
  },
  {
    id: 'user/obama',
    cloudsplaining: { escalation: null, excluded: 'AdministratorAccess is in its default exclusions' },
    noAdminPrivilege: 'fail',
    noPrivilegeEscalation: 'fail',
    difference: 'cloudsplaining skips AdministratorAccess as admin by design; an auditor needs every administrator, so we judge it',
  },
  {
    id: 'user/userwithlotsofpermissions',
    cloudsplaining: { escalation: null, excluded: 'AdministratorAccess (through group admin) is in its default exclusions' },
    noAdminPrivilege: 'fail',
    noPrivilegeEscalation: 'fail',
    difference: 'as obama: administrator through the admin group, which cloudsplaining skips',
  },
];

describe('per principal: the controls against cloudsplaining', () => {
  it('covers every principal of the export', () => {
    expect(principals.map((p) => `aws-iam:012345678901:${p.id}`).sort()).toEqual(identities.map((i) => i.id).sort());
  });

  it.each(principals.map((p) => [p.id, p] as const))('%s', (id, p) => {
    expect(verdict(id, noAdminPrivilege)).toBe(p.noAdminPrivilege);
    expect(verdict(id, noPrivilegeEscalation)).toBe(p.noPrivilegeEscalation);
    const cloudsplainingEscalates = p.cloudsplaining.escalation !== null;
    const weEscalate = principal(id).privilege.flags.includes('privilege-escalation');
    // The connector's own privilege-escalation flag follows cloudsplaining's methods; the control adds to it.
    if (!p.cloudsplaining.excluded) expect(weEscalate).toBe(cloudsplainingEscalates);
    if (p.cloudsplaining.escalation) {
      const { method, policy } = p.cloudsplaining.escalation;
      expect(principal(id).privilege.escalationMethods).toContain(method);
      expect(principal(id).privilege.grants.find((g) => g.name === policy)?.evidence).toContain(`method:${method}`);
    }
    const agrees = !p.cloudsplaining.excluded && cloudsplainingEscalates === (p.noPrivilegeEscalation === 'fail');
    if (agrees) expect(p.difference, 'an agreement carries no difference').toBeUndefined();
    else expect(p.difference, 'a difference is pinned with its reason').toMatch(/\w/);
  });
});
