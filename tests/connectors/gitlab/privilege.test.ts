import { describe, expect, it } from 'vitest';
import { deployKeyPrivilege, tokenPrivilege } from '../../../connectors/gitlab/privilege.js';

describe('gitlab: token scopes and roles as privilege', () => {
  it.each([
    { scopes: ['read_api'], role: 20, level: 'read', flags: [] },
    { scopes: ['read_repository', 'write_repository'], role: 30, level: 'write', flags: [] },
    { scopes: ['api'], role: 30, level: 'write', flags: [] },
    { scopes: ['api'], role: 40, level: 'write', flags: ['credential-creation'] },
    { scopes: ['api'], role: 50, level: 'admin', flags: ['admin', 'credential-creation', 'iam-write'] },
    { scopes: ['api'], role: undefined, level: 'write', flags: [] },
    { scopes: ['sudo', 'read_user'], role: undefined, level: 'admin', flags: ['admin', 'impersonation'] },
    { scopes: ['create_runner'], role: 40, level: 'write', flags: [] },
    { scopes: ['self_rotate'], role: 20, level: 'none', flags: [] },
    { scopes: ['some_future_scope'], role: 20, level: 'unknown', flags: [] },
  ])('$scopes with access level $role: $level $flags', ({ scopes, role, level, flags }) => {
    const privilege = tokenPrivilege(scopes, role, 'acme/app', 'selected');
    expect(privilege).toMatchObject({ level, flags, reach: 'selected' });
    expect(privilege.grants.map((grant) => grant.name)).toEqual([...scopes].sort());
  });

  it('names the role in each grant\'s evidence', () => {
    expect(tokenPrivilege(['api'], 40, 'acme/app', undefined).grants[0]!.evidence).toEqual(['api', 'role:maintainer']);
  });

  it('reads a deploy key as read, or write when it can push', () => {
    expect(deployKeyPrivilege(false, 'acme/app')).toMatchObject({ level: 'read', reach: 'selected' });
    expect(deployKeyPrivilege(true, 'acme/app').grants[0]).toMatchObject({ name: 'repository:write', ref: 'acme/app', evidence: ['can_push:true'] });
  });
});
