import { execFile, spawn } from 'node:child_process';
import { appendFile, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestPackage } from '../../src/plugins/load.js';
import { SDK_VERSION } from '../../src/sdk/index.js';
import { CLI, cli, packsIn, ROOT, tempDir } from './cli.js';

const run = promisify(execFile);

/** The sourceable `NAME='value'` lines `nhi-audit sandbox` writes. */
function parseShellEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/^([A-Z_][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/gms)) env[match[1]!] = match[2]!.replaceAll(`'\\''`, "'");
  return env;
}

describe('a connector package from outside the repository', () => {
  let cwd: string;
  let acme: string;
  let sandbox: ReturnType<typeof spawn> | undefined;

  beforeAll(async () => {
    cwd = await tempDir('plugins');
    acme = path.join(cwd, 'acme');
  });
  afterAll(() => {
    if (sandbox && sandbox.exitCode === null) sandbox.kill('SIGTERM');
  });

  it('connectors new writes a package whose own test passes against its sandbox', async () => {
    const made = await cli(['connectors', 'new', 'acme-vault', '--out', 'acme', '--title', 'Acme Vault service accounts'], { cwd });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    for (const file of ['config.js', 'client.js', 'normalize.js', 'sandbox/index.js', 'test/connector.test.js', 'package.json']) expect(made.stdout).toContain(`  ${file}\n`);
    // What `npm install --save-dev nhi-audit` gives the package: this nhi-audit in its node_modules.
    await mkdir(path.join(acme, 'node_modules'));
    await symlink(ROOT, path.join(acme, 'node_modules', 'nhi-audit'), 'dir');
    const test = await run(process.execPath, ['--test'], { cwd: acme, env: { PATH: process.env.PATH ?? '' } });
    expect(test.stdout).toMatch(/# pass 4\n# fail 0/);
    expect((await cli(['connectors', 'new', 'acme-vault', '--out', 'acme'], { cwd })).code, 'never over an existing package').toBe(2);
  });

  it('is loaded by the built CLI, read through its own sandbox, and recorded in the manifest with its version and digest', async () => {
    const dataset = path.join(cwd, 'dataset');
    const work = path.join(cwd, 'work');
    await mkdir(path.join(dataset, 'acme-vault'), { recursive: true });
    await mkdir(work);
    await cp(path.join(acme, 'sandbox', 'dataset.json'), path.join(dataset, 'acme-vault', 'dataset.json'));
    await writeFile(
      path.join(dataset, 'nhi-audit.yaml'),
      'organization: Acme\nplugins: [../acme]\nsources:\n  - name: vault\n    connector: acme-vault\n    baseUrl: https://vault.acme.example\n    tokenEnv: ACME_VAULT_TOKEN\n',
    );
    let stdout = '';
    sandbox = spawn(process.execPath, [CLI, 'sandbox', '--dataset', dataset], { cwd: work, env: { PATH: process.env.PATH ?? '', HOME: work } });
    sandbox.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${stdout}`)), 20_000);
      sandbox!.stdout!.on('data', () => stdout.includes('Stop with Ctrl-C') && (clearTimeout(timer), resolve()));
      sandbox!.once('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
    });
    expect(stdout).toMatch(/acme-vault\s+baseUrl http:\/\/127\.0\.0\.1:\d+/);

    expect((await cli(['keys', 'generate', '--out', 'keys'], { cwd: work })).code).toBe(0);
    await appendFile(path.join(work, 'nhi-audit.sandbox.yaml'), 'signing: { privateKeyFile: keys/nhi-audit.key }\n');
    const env = parseShellEnv(await readFile(path.join(work, '.sandbox.env'), 'utf8'));
    const listed = await cli(['-c', 'nhi-audit.sandbox.yaml', 'connectors', 'list'], { cwd: work });
    expect(listed.stdout).toMatch(/^acme-vault\s+Acme Vault service accounts\s+\[service-account\]\s+nhi-audit-connector-acme-vault@0\.1\.0 \(\.\.\/acme, SDK 1, sha256:/m);

    const result = await cli(['-c', 'nhi-audit.sandbox.yaml', '--as-of', '2026-11-20', 'run', '--cycle', '2026-Q4', '--format', 'json'], { cwd: work, env });
    expect(result.stderr).toMatch(/^Evidence pack: /);
    expect(result.code, 'the planted administrator fails a critical control').toBe(1);
    const [pack] = await packsIn(path.join(work, 'evidence'));
    const manifest = JSON.parse(await readFile(path.join(pack!, 'manifest.json'), 'utf8'));
    const { digest, files } = await digestPackage(acme);
    expect(manifest.plugins).toEqual([{ id: 'acme-vault', spec: '../acme', name: 'nhi-audit-connector-acme-vault', version: '0.1.0', sdkVersion: 1, digest, files }]);
    expect(manifest.sources[0]).toMatchObject({ source: 'vault', connector: 'acme-vault', verdict: 'complete', identities: 3 });
    const inventory = JSON.parse(await readFile(path.join(pack!, 'inventory.json'), 'utf8'));
    expect(JSON.stringify(inventory)).toContain('acme-vault:default:sa-1002');
    expect((await cli(['verify', pack!, '--public-key', 'keys/nhi-audit.pub'], { cwd: work })).code).toBe(0);
  }, 120_000);

  it('is found by its npm name in a node_modules folder beside the config', async () => {
    const project = path.join(cwd, 'npm-project');
    await cp(acme, path.join(project, 'node_modules', 'nhi-audit-connector-acme-vault'), { recursive: true, verbatimSymlinks: true });
    await writeFile(path.join(project, 'nhi-audit.yaml'), 'sources:\n  - { name: vault, connector: nhi-audit-connector-acme-vault, baseUrl: "https://vault.acme.example", tokenEnv: T }\n');
    const listed = await cli(['connectors', 'list'], { cwd: project });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^acme-vault .* nhi-audit-connector-acme-vault@0\.1\.0 \(nhi-audit-connector-acme-vault, SDK 1, /m);
  });

  it('built for another SDK major, is refused before anything runs: exit 2, both versions named, nothing written', async () => {
    const future = path.join(cwd, 'future');
    await cp(acme, future, { recursive: true, verbatimSymlinks: true });
    await writeFile(path.join(future, 'index.js'), (await readFile(path.join(future, 'index.js'), 'utf8')).replace('sdkVersion: 1', 'sdkVersion: 2'));
    await writeFile(path.join(cwd, 'future.yaml'), 'plugins: [./future]\nsources:\n  - { name: vault, connector: acme-vault, baseUrl: "https://vault.acme.example", tokenEnv: T }\nsigning: { privateKeyFile: work/keys/nhi-audit.key }\noutput: ./future-evidence\n');
    const result = await cli(['-c', 'future.yaml', 'run'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`future.yaml: plugins[0]: nhi-audit-connector-acme-vault@0.1.0 is not a connector nhi-audit can run: sdkVersion: it was built for nhi-audit SDK 2, but this nhi-audit provides SDK ${SDK_VERSION}`);
    expect(await packsIn(path.join(cwd, 'future-evidence'))).toEqual([]);
  });
});

describe('the sample Snowflake package', () => {
  it('passes its own test, run by Node against this nhi-audit without an install', async () => {
    const test = await run(process.execPath, ['--import', path.join(ROOT, 'dist/src/plugins/register.js'), '--test'], {
      cwd: path.join(ROOT, 'examples/connector-snowflake'),
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(test.stdout).toMatch(/# pass 7\n# fail 0/);
  });
});
