import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a new connector package is called and titled; every placeholder of the template comes from these. */
export interface ScaffoldNames {
  id: string;
  title: string;
  packageName: string;
}

/**
 * Writes a connector package from the template folder into `target` (which must not exist or be empty): config,
 * client, normalizer, sandbox and a test that passes as written. Returns the files written, relative to `target`.
 */
export async function scaffoldConnector(templateDir: string, target: string, names: ScaffoldNames): Promise<string[]> {
  const existing = await readdir(target).catch(() => []);
  if (existing.length > 0) throw new Error(`${target} already holds files; name a new or empty folder with --out`);
  const envPrefix = names.id.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  const fill = (text: string) =>
    text
      .replaceAll('__CONNECTOR_ID__', names.id)
      .replaceAll('__CONNECTOR_TITLE__', names.title)
      .replaceAll('__PACKAGE_NAME__', names.packageName)
      .replaceAll('__ENV_PREFIX__', envPrefix);
  const files = (await readdir(templateDir, { withFileTypes: true, recursive: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(templateDir, path.join(e.parentPath, e.name)))
    .sort();
  for (const file of files) {
    await mkdir(path.dirname(path.join(target, file)), { recursive: true });
    await writeFile(path.join(target, file), fill(await readFile(path.join(templateDir, file), 'utf8')));
  }
  return files;
}
