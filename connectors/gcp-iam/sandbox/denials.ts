import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Denial } from './index.js';

const DenialsSchema = z.array(
  z
    .object({
      operation: z.string().optional(),
      resource: z.string().optional(),
      pathIncludes: z.string().optional(),
      reason: z.string().optional(),
      after: z.number().int().nonnegative().optional(),
    })
    .strict(),
);

/**
 * The permissions a dataset folder refuses the collector (`denials.json` beside `dataset.json`, a list of `Denial`):
 * how `nhi-audit sandbox --dataset` shows `nhi-audit doctor` a missing permission. None when the file is absent.
 */
export async function datasetDenials(datasetDir: string): Promise<Denial[]> {
  const file = path.join(datasetDir, 'denials.json');
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '[]';
    throw error;
  });
  const parsed = DenialsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data.map((denial) => Object.fromEntries(Object.entries(denial).filter(([, value]) => value !== undefined)) as Denial);
}
