/**
 * Regenerates the files derived from code: the config JSON Schema and docs/controls.md. Tests fail when a
 * checked-in copy is stale, naming this script: `npm run generate`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generatedFiles } from '../src/generated.js';
import { packageRoot } from '../src/paths.js';

for (const [file, content] of Object.entries(generatedFiles())) {
  await mkdir(path.dirname(path.join(packageRoot(), file)), { recursive: true });
  await writeFile(path.join(packageRoot(), file), content);
  console.log(`wrote ${file}`);
}
