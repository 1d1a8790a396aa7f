import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConnectorPackage, LoadedPlugin } from '../config.js';
import { ConfigError, connectorProblems, type Connector, type Problem } from '../sdk/index.js';

/**
 * Connector packages: a team's own connector, built on `nhi-audit/sdk` and kept outside this repository. The config
 * names one in `plugins:` (its sources then use its id) or directly as a source's `connector:`, by npm package name
 * (installed beside the config) or by path to its folder. Each is checked before anything runs, and its name,
 * version and a digest of its files go into the manifest.
 */

const NPM_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** A package named by the path to its folder rather than by its npm name. */
export function isPackagePath(spec: string): boolean {
  return spec.startsWith('.') || path.isAbsolute(spec);
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  type?: unknown;
  main?: unknown;
  exports?: unknown;
}

/** The folder a spec names: a path from the config's folder, or the package in the nearest node_modules above it. */
async function packageDir(spec: string, baseDir: string): Promise<string> {
  if (isPackagePath(spec)) {
    const dir = path.resolve(baseDir, spec);
    if (!(await stat(path.join(dir, 'package.json')).catch(() => undefined))?.isFile()) {
      throw new Error(`${dir} is not a package folder (it has no package.json); name the folder that holds the connector's package.json`);
    }
    return dir;
  }
  if (!NPM_NAME.test(spec)) throw new Error('neither a connector id, an npm package name, nor a path (start a path with ./ or /)');
  for (let dir = baseDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', ...spec.split('/'));
    if ((await stat(path.join(candidate, 'package.json')).catch(() => undefined))?.isFile()) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new PackageNotFound(spec, baseDir);
}

class PackageNotFound extends Error {
  constructor(spec: string, baseDir: string) {
    super(`no installed package ${spec} in a node_modules folder at or above ${baseDir}; install it there (npm install ${spec}) or name its folder with a path`);
  }
}

/** The module a package's `import` gives: `exports["."]` (its import or default condition), else `main`, else index.js. */
function entryOf(manifest: PackageJson): string {
  const pick = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object') {
      const conditions = value as Record<string, unknown>;
      for (const key of ['import', 'node', 'default']) {
        const found = pick(conditions[key]);
        if (found) return found;
      }
    }
    return undefined;
  };
  const exported = manifest.exports;
  const root = exported && typeof exported === 'object' && '.' in exported ? (exported as Record<string, unknown>)['.'] : exported;
  return pick(root) ?? (typeof manifest.main === 'string' ? manifest.main : 'index.js');
}

/** sha256 over the package's files as `sha256sum` lists them (node_modules/ and .git/ left out), and how many. */
export async function digestPackage(dir: string): Promise<{ digest: string; files: number }> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((file) => !/(^|\/)(node_modules|\.git)\//.test(file))
    .sort();
  const listing = createHash('sha256');
  for (const file of files) listing.update(`${createHash('sha256').update(await readFile(path.join(dir, file))).digest('hex')}  ${file}\n`);
  return { digest: `sha256:${listing.digest('hex')}`, files: files.length };
}

/** From a built CLI, `nhi-audit/sdk` must resolve to this SDK; tests and tsx resolve it by alias instead. */
async function resolveSdkForPackages(): Promise<void> {
  if (import.meta.url.endsWith('.js')) await import('./register.js');
}

/** Loads one package: imports its entry, checks its default export is a connector this SDK can run, digests it. */
export async function loadConnectorPackage(spec: string, baseDir: string): Promise<LoadedPlugin> {
  const dir = await packageDir(spec, baseDir);
  const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  const label = `${typeof manifest.name === 'string' ? manifest.name : spec}${typeof manifest.version === 'string' ? `@${manifest.version}` : ''}`;
  if (typeof manifest.name !== 'string' || typeof manifest.version !== 'string') {
    throw new Error(`${path.join(dir, 'package.json')} needs a name and a version: the manifest records both`);
  }
  if (manifest.type !== 'module') throw new Error(`${label} must be an ES module package ("type": "module" in its package.json)`);
  await resolveSdkForPackages();
  const entry = path.resolve(dir, entryOf(manifest));
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(entry).href)) as { default?: unknown };
  } catch (error) {
    throw new Error(`${label}: cannot load ${entry}: ${(error as Error).message}`);
  }
  const problems = connectorProblems(module.default);
  if (problems.length > 0) throw new Error(`${label} is not a connector nhi-audit can run: ${problems.join('; ')}`);
  const connector = module.default as Connector;
  const { digest, files } = await digestPackage(dir);
  const record: ConnectorPackage = { id: connector.id, spec, name: manifest.name, version: manifest.version, sdkVersion: connector.sdkVersion!, digest, files };
  return { connector, package: record };
}

/**
 * Loads every connector package a parsed config names and rewrites the sources that name one by package or path to
 * its connector id, so the rest of the run sees ids only. Every problem is reported at once, as a ConfigError.
 */
export async function loadConnectorPackages(raw: unknown, where: { file: string; baseDir: string }, builtins: readonly Connector[]): Promise<LoadedPlugin[]> {
  const config = (raw ?? {}) as { plugins?: unknown; sources?: unknown };
  const listed = Array.isArray(config.plugins) ? config.plugins : [];
  const sources = Array.isArray(config.sources) ? (config.sources as unknown[]) : [];
  const builtinIds = new Set(builtins.map((c) => c.id));
  const problems: Problem[] = [];
  const byId = new Map<string, LoadedPlugin>();
  const bySpec = new Map<string, LoadedPlugin>();

  /** `unlisted`: a source's bare name that no package answers to is left for validation to call an unknown connector. */
  const load = async (spec: string, at: string, unlisted = false): Promise<LoadedPlugin | undefined> => {
    const known = bySpec.get(spec);
    if (known) return known;
    try {
      const plugin = await loadConnectorPackage(spec, where.baseDir);
      const clash = builtinIds.has(plugin.connector.id) ? 'nhi-audit has it built in' : byId.has(plugin.connector.id) ? `${byId.get(plugin.connector.id)!.package.spec} provides it too` : undefined;
      if (clash) {
        problems.push({ path: at, message: `${spec} provides connector id "${plugin.connector.id}", but ${clash}; connector ids must be unique` });
        return undefined;
      }
      byId.set(plugin.connector.id, plugin);
      bySpec.set(spec, plugin);
      return plugin;
    } catch (error) {
      if (!(unlisted && error instanceof PackageNotFound)) problems.push({ path: at, message: (error as Error).message });
      return undefined;
    }
  };

  for (const [i, spec] of listed.entries()) if (typeof spec === 'string' && spec.length > 0) await load(spec, `plugins[${i}]`);
  for (const [i, source] of sources.entries()) {
    if (!source || typeof source !== 'object') continue;
    const entry = source as { connector?: unknown };
    const spec = entry.connector;
    if (typeof spec !== 'string' || spec.length === 0 || builtinIds.has(spec) || byId.has(spec)) continue;
    if (!isPackagePath(spec) && !NPM_NAME.test(spec)) continue;
    const plugin = await load(spec, `sources[${i}].connector`, true);
    if (plugin) entry.connector = plugin.connector.id;
  }
  if (problems.length > 0) throw new ConfigError(where.file, problems);
  return [...bySpec.values()];
}
