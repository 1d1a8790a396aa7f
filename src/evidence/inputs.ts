import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { safeSegment } from '../engine/collect.js';
import type { InputFile } from '../engine/pipeline.js';
import type { SealedInput } from './read-pack.js';
import { sha256 } from './seal.js';

/**
 * Copies every file the run read into the pack under `inputs/<kind>/` (exports under `inputs/export/<source>/`),
 * byte for byte, and describes each for the manifest's IPE section: what it was, where it came from, its digest,
 * size and row count. With them an auditor can test the organization's own records and repeat the join.
 */
export async function sealInputs(staging: string, files: readonly InputFile[]): Promise<SealedInput[]> {
  const used = new Set<string>();
  const sealed: SealedInput[] = [];
  for (const file of files) {
    const folder = ['inputs', file.kind, ...(file.source ? [safeSegment(file.source)] : [])].join('/');
    const { name, ext } = path.parse(safeSegment(path.basename(file.originalPath)));
    let packPath = `${folder}/${name}${ext}`;
    for (let n = 2; used.has(packPath); n++) packPath = `${folder}/${name}-${n}${ext}`;
    used.add(packPath);
    await mkdir(path.join(staging, folder), { recursive: true });
    await writeFile(path.join(staging, packPath), file.bytes);
    sealed.push({
      kind: file.kind,
      ...(file.source ? { source: file.source } : {}),
      path: packPath,
      originalPath: file.originalPath,
      sha256: sha256(file.bytes),
      size: file.bytes.length,
      rows: file.rows,
    });
  }
  return sealed;
}
