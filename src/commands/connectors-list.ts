import { connectors } from '../../connectors/index.js';
import { EXIT } from '../sdk/index.js';
import type { GlobalOptions } from './context.js';

export default async function connectorsList(_options: unknown, _globals: GlobalOptions): Promise<number> {
  const width = Math.max(...connectors.map((c) => c.id.length));
  for (const connector of connectors) {
    process.stdout.write(`${connector.id.padEnd(width)}  ${connector.title}  [${connector.kinds.join(', ')}]\n`);
  }
  return EXIT.ok;
}
