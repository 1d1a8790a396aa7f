import { controls } from '../controls/index.js';
import { catalogOf, renderCatalog, type CatalogFormat } from '../evidence/catalog.js';
import { loadFrameworks } from '../evidence/frameworks.js';
import { frameworksDir } from '../paths.js';
import { EXIT } from '../sdk/index.js';
import type { GlobalOptions } from './context.js';

/** The control catalog with options, defaults and framework mappings; `--format md` is docs/controls.md. */
export default async function controlsList(options: { format: CatalogFormat }, _globals: GlobalOptions): Promise<number> {
  process.stdout.write(renderCatalog(catalogOf(controls, loadFrameworks(frameworksDir())), options.format));
  return EXIT.ok;
}
