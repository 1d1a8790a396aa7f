import { connectors } from '../../connectors/index.js';
import { EXIT } from '../sdk/index.js';
import { connectorPackagesFor, type GlobalOptions } from './context.js';

/** The built-in connectors, then the connector packages the config names (when there is a config). */
export default async function connectorsList(_options: unknown, globals: GlobalOptions): Promise<number> {
  const rows = [
    ...connectors.map((c) => ({ id: c.id, title: c.title, kinds: c.kinds, from: 'built in' })),
    ...(await connectorPackagesFor(globals)).map(({ connector: c, package: p }) => ({
      id: c.id,
      title: c.title,
      kinds: c.kinds,
      from: `${p.name}@${p.version} (${p.spec}, SDK ${p.sdkVersion}, ${p.digest.slice(0, 19)}…)`,
    })),
  ];
  const width = Math.max(...rows.map((r) => r.id.length));
  for (const row of rows) process.stdout.write(`${row.id.padEnd(width)}  ${row.title}  [${row.kinds.join(', ')}]  ${row.from}\n`);
  return EXIT.ok;
}
