import control from '../../src/controls/deploy-key-read-only.js';
import type { Identity, PrivilegeLevel } from '../../src/sdk/index.js';
import { ControlTester } from '../helpers/control-tester.js';
import { anIdentity } from '../helpers/identity-builder.js';

const now = new Date('2026-11-20T00:00:00Z');

function aDeployKey(level: PrivilegeLevel, overrides: Partial<Identity> = {}): Identity {
  return anIdentity({
    id: 'github:corvid-systems:deploy-key/reporting-service/7001',
    connector: 'github',
    scope: 'corvid-systems',
    kind: 'deploy-key',
    name: 'release-push',
    privilege: {
      level,
      grants: level === 'unknown' ? [] : [{ via: 'permission', name: `contents:${level}`, ref: 'reporting-service', level, flags: [], evidence: [] }],
      flags: [],
      reach: 'selected',
    },
    ...overrides,
  });
}

new ControlTester(control, now).run([
  {
    name: 'a read-only key passes',
    identities: [aDeployKey('read')],
    expect: [{ status: 'pass', evidence: { level: 'read', grants: ['contents:read (reporting-service)'] } }],
  },
  {
    name: 'a key that can push fails and names its repository',
    identities: [aDeployKey('write')],
    expect: [{ status: 'fail', message: /can write \(contents:write \(reporting-service\)\)/, evidence: { level: 'write' } }],
  },
  {
    name: 'a disabled writable key is not applicable, never a pass',
    identities: [aDeployKey('write', { status: 'disabled' })],
    expect: [{ status: 'not-applicable', message: /disabled/ }],
  },
  {
    name: 'a key of unknown access is not applicable',
    identities: [aDeployKey('unknown')],
    expect: [{ status: 'not-applicable', evidence: { level: 'unknown' } }],
  },
  {
    name: 'identities other than deploy keys are outside the control',
    identities: [anIdentity({ kind: 'app', privilege: { level: 'write', grants: [], flags: [] } })],
    expect: [],
  },
]);
