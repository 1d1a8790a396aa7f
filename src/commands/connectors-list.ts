import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { connectors } from '../../connectors/index.js';
import { parseYaml } from '../parse.js';
import { loadConnectorPackages } from '../plugins/load.js';
import { ConfigError, EXIT } from '../sdk/index.js';
import type { GlobalOptions } from './context.js';

/** The built-in connectors, then the connector packages the config names (when there is a config). */
export default async function connectorsList(_options: unknown, globals: GlobalOptions): Promise<number> {
  const text = await readFile(globals.config, 'utf8').catch(() => undefined);
  let rows = connectors.map((c) => ({ id: c.id, title: c.title, kinds: c.kinds, from: 'built in' }));
  if (text !== undefined) {
    const parsed = parseYaml(text);
    if (parsed.problems.length > 0) throw new ConfigError(globals.config, parsed.problems);
    const plugins = await loadConnectorPackages(parsed.value, { file: globals.config, baseDir: path.dirname(path.resolve(globals.config)) }, connectors);
    rows = [
      ...rows,
      ...plugins.map(({ connector: c, package: p }) => ({ id: c.id, title: c.title, kinds: c.kinds, from: `${p.name}@${p.version} (${p.spec}, SDK ${p.sdkVersion}, ${p.digest.slice(0, 19)}…)` })),
    ];
  }
  const width = Math.max(...rows.map((r) => r.id.length));
  for (const row of rows) process.stdout.write(`${row.id.padEnd(width)}  ${row.title}  [${row.kinds.join(', ')}]  ${row.from}\n`);
  return EXIT.ok;
}
