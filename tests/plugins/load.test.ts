import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.js';
import { loadConfig, validateConfig, withPlugins } from '../../src/config.js';
import { controls } from '../../src/controls/index.js';
import { digestPackage, loadConnectorPackages } from '../../src/plugins/load.js';
import { ConfigError, SDK_VERSION } from '../../src/sdk/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;

/** A connector package folder; `entry` is its index.js. */
async function pkg(folder: string, entry: string, manifest: Record<string, unknown> = {}): Promise<string> {
  const at = path.join(dir, folder);
  await mkdir(at, { recursive: true });
  await writeFile(path.join(at, 'package.json'), JSON.stringify({ name: `nhi-connector-${path.basename(folder)}`, version: '2.3.4', type: 'module', ...manifest }));
  await writeFile(path.join(at, 'index.js'), entry);
  return at;
}

const connectorModule = (id: string, sdkVersion: number | null = 1) =>
  `import { defineConnector, z } from 'nhi-audit/sdk';\n` +
  `export default defineConnector({ id: '${id}', title: '${id} accounts', kinds: ['token'], config: z.object({ tenant: z.string() }).strict(),` +
  `${sdkVersion === null ? '' : ` sdkVersion: ${sdkVersion},`} async connect() { return {}; }, async *collect() {} });\n`;

async function problemsOf(raw: unknown): Promise<string> {
  try {
    await loadConnectorPackages(raw, { file: path.join(dir, 'nhi-audit.yaml'), baseDir: dir }, connectors);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the packages loaded');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-plugins-'));
  await pkg('vault', connectorModule('vault'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('connector packages', () => {
  it('loads a package by path and points the sources at its connector id (npm names: tests/e2e/plugins.test.ts)', async () => {
    const raw = {
      plugins: ['./vault'],
      sources: [
        { name: 'vault', connector: 'vault', tenant: 't1' },
        { name: 'vault-2', connector: './vault', tenant: 't2' },
        { name: 'aws', connector: 'aws-iam' },
      ],
    };
    const plugins = await loadConnectorPackages(raw, { file: 'nhi-audit.yaml', baseDir: dir }, connectors);
    expect(plugins.map((p) => [p.connector.id, p.package.spec, p.package.name, p.package.version, p.package.sdkVersion])).toEqual([['vault', './vault', 'nhi-connector-vault', '2.3.4', 1]]);
    expect(raw.sources.map((s) => s.connector)).toEqual(['vault', 'vault', 'aws-iam']);
    const { config, problems } = validateConfig(raw, withPlugins({ connectors, controls }, plugins));
    expect(problems).toEqual([]);
    expect(config!.sources.map((s) => s.connector)).toEqual(['vault', 'vault', 'aws-iam']);
  });

  it('digests the installed files as sha256sum lists them, leaving node_modules out', async () => {
    const at = await pkg('digested', connectorModule('digested'));
    await mkdir(path.join(at, 'node_modules', 'dep'), { recursive: true });
    await writeFile(path.join(at, 'node_modules', 'dep', 'index.js'), 'export {};');
    await mkdir(path.join(at, 'lib'));
    await writeFile(path.join(at, 'lib', 'normalize.js'), 'export const x = 1;\n');
    const listing = execFileSync('sh', ['-c', "find . -type f -not -path './node_modules/*' | sed 's|^\\./||' | LC_ALL=C sort | xargs sha256sum | sha256sum"], { cwd: at }).toString().split(' ')[0];
    const before = await digestPackage(at);
    expect(before).toEqual({ digest: `sha256:${listing}`, files: 3 });
    await writeFile(path.join(at, 'lib', 'normalize.js'), 'export const x = 2;\n');
    expect((await digestPackage(at)).digest).not.toBe(before.digest);
  });

  it('loads the sample Snowflake package from this repository', async () => {
    const [snowflake] = await loadConnectorPackages({ plugins: ['./examples/connector-snowflake'], sources: [] }, { file: 'x.yaml', baseDir: ROOT }, connectors);
    expect(snowflake!.package).toMatchObject({ id: 'snowflake', name: 'nhi-audit-connector-snowflake', version: '1.0.0', sdkVersion: 1 });
    expect(snowflake!.connector.sandbox).toBeTypeOf('function');
  });

  it('refuses a package built for another SDK major, naming both versions', async () => {
    await pkg('future', connectorModule('future', 2));
    expect(await problemsOf({ plugins: ['./future'] })).toBe(
      `${path.join(dir, 'nhi-audit.yaml')}: plugins[0]: nhi-connector-future@2.3.4 is not a connector nhi-audit can run: sdkVersion: it was built for nhi-audit SDK 2, but this nhi-audit provides SDK ${SDK_VERSION}; use a release of the connector built for SDK 1, or an nhi-audit that provides SDK 2`,
    );
  });

  it('refuses a default export that is not a connector, saying what is missing', async () => {
    await pkg('unnamed', connectorModule('unnamed', null));
    expect(await problemsOf({ plugins: ['./unnamed'] })).toContain('sdkVersion: name the nhi-audit SDK major version it was built for');
    await pkg('half', "export default { id: 'Half Baked', kinds: [], collect: 1 };\n");
    const message = await problemsOf({ sources: [{ name: 'h', connector: './half' }] });
    expect(message).toContain('sources[0].connector: nhi-connector-half@2.3.4 is not a connector nhi-audit can run: id: name the connector in lowercase');
    for (const part of ['title:', 'kinds:', 'config: the schema of its settings must be a z.object', 'connect: must be a function', 'collect: must be a function']) expect(message).toContain(part);
    await pkg('none', 'export const connector = {};\n');
    expect(await problemsOf({ plugins: ['./none'] })).toContain('its default export is not a connector: end its entry module with `export default defineConnector({ ... })`');
  });

  it('refuses what is not a loadable ES module package, naming the file', async () => {
    await pkg('commonjs', connectorModule('commonjs'), { type: 'commonjs' });
    expect(await problemsOf({ plugins: ['./commonjs'] })).toContain('nhi-connector-commonjs@2.3.4 must be an ES module package ("type": "module" in its package.json)');
    await pkg('broken', 'export default {\n');
    expect(await problemsOf({ plugins: ['./broken'] })).toContain(`nhi-connector-broken@2.3.4: cannot load ${path.join(dir, 'broken', 'index.js')}`);
    expect(await problemsOf({ plugins: ['./nowhere'] })).toContain(`${path.join(dir, 'nowhere')} is not a package folder (it has no package.json)`);
    expect(await problemsOf({ plugins: ['not-installed'] })).toContain('no installed package not-installed in a node_modules folder');
  });

  it('refuses a connector id that is built in or provided twice', async () => {
    await pkg('fake-aws', connectorModule('aws-iam'));
    await pkg('vault-again', connectorModule('vault'));
    const message = await problemsOf({ plugins: ['./fake-aws', './vault', './vault-again'] });
    expect(message).toContain('plugins[0]: ./fake-aws provides connector id "aws-iam", but nhi-audit has it built in; connector ids must be unique');
    expect(message).toContain('plugins[2]: ./vault-again provides connector id "vault", but ./vault provides it too');
  });

  it('leaves a bare name no package answers to for the config to call an unknown connector', async () => {
    const raw = { sources: [{ name: 'x', connector: 'bitbucket' }] };
    expect(await loadConnectorPackages(raw, { file: 'x.yaml', baseDir: dir }, connectors)).toEqual([]);
    expect(validateConfig(raw, { connectors, controls }).problems[0]!.message).toMatch(/^unknown connector "bitbucket"; known: aws-iam, entra-id, file, gcp-iam, github, gitlab; or name a connector package/);
  });

  it('loadConfig loads the packages and the sources validate against their schemas', async () => {
    const file = path.join(dir, 'nhi-audit.yaml');
    await writeFile(file, 'plugins: [./vault]\nsources:\n  - { name: vault, connector: vault, tenant: t1 }\n  - { name: bad, connector: vault }\n');
    await expect(loadConfig(file, { connectors, controls }, loadConnectorPackages)).rejects.toThrow(`${file}: sources[1].tenant: Invalid input: expected string, received undefined`);
    await writeFile(file, 'plugins: [./vault]\nsources:\n  - { name: vault, connector: vault, tenant: t1 }\n');
    const loaded = await loadConfig(file, { connectors, controls }, loadConnectorPackages);
    expect(loaded.plugins!.map((p) => p.package.id)).toEqual(['vault']);
  });
});
