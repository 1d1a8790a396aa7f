import { connectors } from '../connectors/index.js';
import { configJsonSchema } from './config.js';
import { controls } from './controls/index.js';
import { catalogOf, renderCatalog } from './evidence/catalog.js';
import { loadFrameworks } from './evidence/frameworks.js';
import { frameworksDir } from './paths.js';

/** Files in the repository that are generated from code, by path: kept in sync by a test. */
export function generatedFiles(): Record<string, string> {
  return {
    'docs/controls.md': renderCatalog(catalogOf(controls, loadFrameworks(frameworksDir())), 'md'),
    'nhi-audit.schema.json': `${JSON.stringify(configJsonSchema({ connectors, controls }), null, 2)}\n`,
  };
}
