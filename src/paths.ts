import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, found from this file whether it runs from src/ (tests) or dist/src/ (the built CLI). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'nhi-audit') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the nhi-audit package root');
    dir = parent;
  }
}

/** The framework mappings shipped with the tool: one file per framework and version. */
export function frameworksDir(): string {
  return path.join(packageRoot(), 'evidence-templates', 'frameworks');
}

export function toolVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The git commit the tool runs from, when it runs from a checkout: part of the IPE's "which logic ran". */
export function toolCommit(): string | undefined {
  try {
    const gitDir = path.join(packageRoot(), '.git');
    const head = readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    const loose = path.join(gitDir, ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    const packed = readFileSync(path.join(gitDir, 'packed-refs'), 'utf8');
    return packed.split('\n').find((line) => line.endsWith(` ${ref}`))?.split(' ')[0];
  } catch {
    return undefined;
  }
}
