import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connectors } from '../connectors/index.js';
import { configJsonSchema } from './config.js';
import { controls } from './controls/index.js';
import { catalogOf, renderCatalog } from './evidence/catalog.js';
import { loadFrameworks } from './evidence/frameworks.js';
import { frameworksDir, packageRoot } from './paths.js';

/** Hand-written sections of docs/controls.md, after the generated catalog: how the controls' facts are computed. */
const CONTROL_NOTES = ['privilege-evaluation.md'];

function controlNotes(): string {
  return CONTROL_NOTES.map((name) => {
    const text = readFileSync(path.join(packageRoot(), 'evidence-templates', name), 'utf8');
    return `\n<!-- From evidence-templates/${name}: edit it there and run \`npm run generate\`. -->\n\n${text}`;
  }).join('');
}

/** Files in the repository that are generated from code, by path: kept in sync by a test. */
export function generatedFiles(): Record<string, string> {
  return {
    'docs/controls.md': renderCatalog(catalogOf(controls, loadFrameworks(frameworksDir())), 'md') + controlNotes(),
    'nhi-audit.schema.json': `${JSON.stringify(configJsonSchema({ connectors, controls }), null, 2)}\n`,
  };
}
