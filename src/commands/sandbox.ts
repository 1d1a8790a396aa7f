import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { validateConfig, withPlugins } from '../config.js';
import { parseYaml } from '../parse.js';
import { isPackagePath, loadConnectorPackages } from '../plugins/load.js';
import { ConfigError, EXIT, ExitError } from '../sdk/index.js';
import { loadRegistries, resolveAsOf, type GlobalOptions } from './context.js';
import { DEMO_AS_OF, demoDir } from './demo.js';
import { parseFaults, startSandboxes } from './sandboxes.js';

/** Settings in a dataset's config that name files beside it: rewritten so the written config still finds them. */
const FILE_SETTINGS = [['enrich', 'owners'], ['enrich', 'hrRoster'], ['enrich', 'approvals'], ['enrich', 'privilegedAccess'], ['enrich', 'systems'], ['waivers']] as const;

function rebaseFiles(raw: Record<string, unknown>, datasetDir: string, configDir: string): void {
  for (const keys of FILE_SETTINGS) {
    let holder: Record<string, unknown> | undefined = raw;
    for (const key of keys.slice(0, -1)) holder = holder?.[key] as Record<string, unknown> | undefined;
    const last = keys.at(-1)!;
    const value = holder?.[last];
    if (holder && typeof value === 'string') holder[last] = path.relative(configDir, path.resolve(datasetDir, value)) || '.';
  }
}

/** A package folder as a path from the written config's folder; `./` keeps it from reading as an npm name. */
function relativeSpec(from: string, to: string): string {
  const relative = path.relative(from, to) || '.';
  return relative.startsWith('.') ? relative : `./${relative}`;
}

/** A POSIX shell file that exports the sandboxes' fake credentials: `set -a; . ./file; set +a`. */
function shellEnv(env: Record<string, string>): string {
  const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
  return `${Object.entries(env).map(([name, value]) => `${name}=${quote(value)}`).join('\n')}\n`;
}

function waitForStop(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
  });
}

/**
 * `nhi-audit sandbox`: the connectors' sandboxes over the demo organization (or a dataset folder laid out like it),
 * with the faults asked for, until stopped. Writes a config that points at them and a file with their fake
 * credentials, so the CLI, or a provider's own client (`aws --endpoint-url`), can be tried against them.
 */
export default async function sandbox(options: { dataset?: string; writeConfig: string; fault?: string[] }, globals: GlobalOptions): Promise<number> {
  const registries = await loadRegistries();
  const faults = parseFaults(options.fault ?? []);
  const datasetDir = path.resolve(options.dataset ?? demoDir());
  const configFile = path.join(datasetDir, 'nhi-audit.yaml');
  const text = await readFile(configFile, 'utf8').catch(() => {
    throw new ConfigError(configFile, [{ path: '', message: 'a dataset folder needs an nhi-audit.yaml naming its sources, beside one folder per connector (see fixtures/demo-org)' }]);
  });
  const parsed = parseYaml(text);
  if (parsed.problems.length > 0) throw new ConfigError(configFile, parsed.problems);
  const raw = parsed.value as Record<string, unknown> & { sources?: Array<Record<string, unknown>> };
  const written = path.resolve(options.writeConfig);
  const envFile = path.join(path.dirname(written), '.sandbox.env');
  const folderExists = await access(path.dirname(written)).then(() => true, () => false);
  if (!folderExists) throw new ExitError(EXIT.usage, `--write-config: the folder ${path.dirname(written)} does not exist; create it or name another file`);

  const now = resolveAsOf({ ...globals, asOf: globals.asOf ?? DEMO_AS_OF });
  const plugins = await loadConnectorPackages(raw, { file: configFile, baseDir: datasetDir }, registries.connectors);
  const withPackages = withPlugins(registries, plugins);
  const running = await startSandboxes(raw, datasetDir, { now, faults, connectors: withPackages.connectors });
  try {
    rebaseFiles(raw, datasetDir, path.dirname(written));
    // The sources now name the packages' connector ids: the written config lists the packages, found from its own folder.
    if (plugins.length > 0) raw.plugins = plugins.map(({ package: p }) => (isPackagePath(p.spec) ? relativeSpec(path.dirname(written), path.resolve(datasetDir, p.spec)) : p.spec));
    raw.output = './evidence';
    const { problems } = validateConfig(raw, withPackages);
    if (problems.length > 0) throw new ConfigError(configFile, problems);
    await writeFile(
      written,
      `# Written by \`nhi-audit sandbox\`: these sources point at local sandboxes serving ${path.relative(process.cwd(), datasetDir) || '.'}, as of ${now.toISOString()}.\n` +
        `# Their fake credentials are in ${path.basename(envFile)}; the sandboxes stop when the command does.\n${stringify(raw)}`,
    );
    await writeFile(envFile, shellEnv(running.env), { mode: 0o600 });
    const lines = [`Sandboxes serving ${datasetDir} as of ${now.toISOString()}:`];
    for (const [id, box] of running.sandboxes) {
      // Where each sandbox is: the URLs its sources are pointed at, or the folder (the file connector's exports).
      const endpoints = Object.entries(box.sourceOverrides).filter(([, value]) => typeof value === 'string' && (/^https?:\/\//.test(value) || path.isAbsolute(value)));
      lines.push(`  ${id.padEnd(10)} ${endpoints.map(([key, value]) => `${key} ${String(value)}`).join(', ')}`);
    }
    for (const fault of faults) lines.push(`  fault: ${fault.connector} ${fault.operation} ${fault.kind}${fault.times ? ` ×${fault.times} per request` : ', always'}`);
    lines.push(
      `Config: ${path.relative(process.cwd(), written)}  credentials: ${path.relative(process.cwd(), envFile)}`,
      `Try:    set -a; . ${path.relative(process.cwd(), envFile)}; set +a; npx nhi-audit -c ${path.relative(process.cwd(), written)} check`,
      'Stop with Ctrl-C.',
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    await waitForStop();
    return EXIT.ok;
  } finally {
    await running.close();
  }
}
