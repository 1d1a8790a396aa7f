import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectors } from '../connectors/index.js';
import { controls } from '../src/controls/index.js';
import { loadConnectorPackages } from '../src/plugins/load.js';
import { ControlMetaSchema } from '../src/sdk/index.js';

const root = path.resolve(import.meta.dirname, '..');
const sorted = (ids: string[]) => [...ids].sort((a, b) => (a < b ? -1 : 1));

describe('control registry', () => {
  const files = readdirSync(path.join(root, 'src/controls')).filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.replace(/\.ts$/, ''));
  const ids = controls.map((c) => c.meta.id);

  it('registers every control file, once, sorted by id', () => {
    expect(sorted(ids)).toEqual(sorted(files));
    expect(ids).toEqual(sorted(ids));
  });

  it.each(controls.map((c) => [c.meta.id, c] as const))('%s: meta is complete, options have defaults, and it has a test', (id, control) => {
    expect(ControlMetaSchema.safeParse(control.meta).success).toBe(true);
    expect(control.meta.title).not.toMatch(/^Ensure/);
    expect(() => control.options.parse({})).not.toThrow();
    expect(existsSync(path.join(root, `tests/controls/${id}.test.ts`)), `add tests/controls/${id}.test.ts`).toBe(true);
  });
});

describe('connector registry', () => {
  const folders = readdirSync(path.join(root, 'connectors'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const ids = connectors.map((c) => c.id);

  it('registers every connector folder, once, sorted by id', () => {
    expect(sorted(ids)).toEqual(sorted(folders));
    expect(ids).toEqual(sorted(ids));
  });

  it.each(ids)('%s: has a client, a pure normalizer, a sandbox, tests, demo data and a README section', (id) => {
    for (const file of ['index.ts', 'client.ts', 'normalize.ts', 'sandbox/index.ts']) {
      expect(existsSync(path.join(root, 'connectors', id, file)), `connectors/${id}/${file}`).toBe(true);
    }
    expect(existsSync(path.join(root, 'tests/connectors', id)), `tests/connectors/${id}/`).toBe(true);
    expect(existsSync(path.join(root, 'fixtures/demo-org', id)), `fixtures/demo-org/${id}/`).toBe(true);
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(`\`${id}\``);
  });
});

describe('connector packages in examples/', () => {
  const packages = readdirSync(path.join(root, 'examples'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

  it.each(packages)('%s loads as a connector package, with a sandbox, its own test, demo data and a README section', async (name) => {
    const [plugin] = await loadConnectorPackages({ plugins: [`./examples/${name}`] }, { file: 'registry', baseDir: root }, connectors);
    expect(plugin!.connector.sandbox, 'sandbox: () => import(...)').toBeTypeOf('function');
    expect(existsSync(path.join(root, 'examples', name, 'test')), `examples/${name}/test/`).toBe(true);
    expect(existsSync(path.join(root, 'fixtures/demo-org', plugin!.connector.id)), `fixtures/demo-org/${plugin!.connector.id}/`).toBe(true);
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(`examples/${name}`);
  });
});
