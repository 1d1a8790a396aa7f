import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './cli.js';

/** The libraries that talk to a provider: loaded by the commands that call one, never with the connector registry. */
const PROVIDER_LIBRARIES = /\/node_modules\/(@aws-sdk|@smithy|@azure|@microsoft|@googleapis|googleapis-common|google-auth-library|@octokit|@gitbeaker|undici|bottleneck)\//;

let dir: string;
beforeAll(async () => {
  dir = await tempDir('nhi-registry-loading-');
  // A resolve hook that writes down every module the process loads, on Node's loader thread.
  await writeFile(
    path.join(dir, 'hooks.mjs'),
    "import { appendFileSync } from 'node:fs';\n" +
      'export async function resolve(specifier, context, next) {\n' +
      '  const result = await next(specifier, context);\n' +
      '  appendFileSync(process.env.LOADED_LOG, `${result.url}\\n`);\n' +
      '  return result;\n' +
      '}\n',
  );
  await writeFile(path.join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
});

const built = (module: string) => JSON.stringify(pathToFileURL(path.join(ROOT, module)).href);

/** Every module a process running `script` (an ES module's text) loads. */
async function loadedBy(name: string, script: string): Promise<string[]> {
  const log = path.join(dir, `${name}.log`);
  await promisify(execFile)(process.execPath, ['--import', pathToFileURL(path.join(dir, 'register.mjs')).href, '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', LOADED_LOG: log },
  });
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}

const providerLibraries = (loaded: string[]) => [...new Set(loaded.filter((url) => PROVIDER_LIBRARIES.test(url)).map((url) => url.split('/node_modules/').at(-1)!.split('/')[0]))];

describe('loading the connector registry', () => {
  it('loads no provider library: a command that calls no provider does not pay for them', async () => {
    const loaded = await loadedBy('registry', `await import(${built('dist/connectors/index.js')});`);
    expect(loaded.some((url) => url.endsWith('/dist/connectors/aws-iam/index.js'))).toBe(true);
    expect(providerLibraries(loaded)).toEqual([]);
  });

  it('loads them where a client is made', async () => {
    const loaded = await loadedBy('clients', [`await import(${built('dist/connectors/aws-iam/client.js')});`, `await (await import(${built('dist/connectors/gcp-iam/apis.js')})).googleApis();`].join('\n'));
    expect(providerLibraries(loaded)).toEqual(expect.arrayContaining(['@aws-sdk', '@googleapis', 'googleapis-common']));
  });
});
