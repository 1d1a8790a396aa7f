/**
 * Regenerates the files derived from code: the config JSON Schema. Tests fail when a checked-in copy is stale,
 * naming this script: `npm run generate`.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generatedFiles } from '../src/generated.js';
import { packageRoot } from '../src/paths.js';

for (const [file, content] of Object.entries(generatedFiles())) {
  await writeFile(path.join(packageRoot(), file), content);
  console.log(`wrote ${file}`);
}
