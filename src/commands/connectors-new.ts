import path from 'node:path';
import { connectors } from '../../connectors/index.js';
import { packageRoot } from '../paths.js';
import { scaffoldConnector } from '../plugins/scaffold.js';
import { ConnectorIdSchema, ExitError, EXIT, SDK_VERSION } from '../sdk/index.js';
import type { GlobalOptions } from './context.js';

/** `nhi-audit connectors new <id>`: a connector package outside this repository, ready to run its own test. */
export default async function connectorsNew(id: string, options: { out?: string; title?: string; name?: string }, _globals: GlobalOptions): Promise<number> {
  if (!ConnectorIdSchema.safeParse(id).success) throw new ExitError(EXIT.usage, `connectors new: "${id}" is not a connector id; use lowercase letters, digits and dashes (it starts every identity id)`);
  if (connectors.some((c) => c.id === id)) throw new ExitError(EXIT.usage, `connectors new: "${id}" is a built-in connector; choose another id`);
  const packageName = options.name ?? `nhi-audit-connector-${id}`;
  const target = path.resolve(options.out ?? packageName);
  let files: string[];
  try {
    files = await scaffoldConnector(path.join(packageRoot(), 'templates', 'connector'), target, {
      id,
      title: options.title ?? `${id}: service accounts and their keys`,
      packageName,
    });
  } catch (error) {
    throw new ExitError(EXIT.usage, `connectors new: ${(error as Error).message}`);
  }
  const where = path.relative(process.cwd(), target) || '.';
  process.stdout.write(
    `Wrote the connector package ${packageName} (nhi-audit SDK ${SDK_VERSION}) to ${where}:\n${files.map((f) => `  ${f}`).join('\n')}\n` +
      `Next: cd ${where} && npm install && npm test; then name it in a config: plugins: [./${path.basename(target)}]\n`,
  );
  return EXIT.ok;
}
