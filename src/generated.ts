import { connectors } from '../connectors/index.js';
import { configJsonSchema } from './config.js';
import { controls } from './controls/index.js';

/** Files in the repository that are generated from code, by path: kept in sync by a test. */
export function generatedFiles(): Record<string, string> {
  return {
    'nhi-audit.schema.json': `${JSON.stringify(configJsonSchema({ connectors, controls }), null, 2)}\n`,
  };
}
