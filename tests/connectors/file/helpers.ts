import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileConfigSchema } from '../../../connectors/file/config.js';
import connector from '../../../connectors/file/index.js';
import { collectSource, type SourceResult } from '../../../src/engine/collect.js';
import { collectFromRaw } from '../../../src/engine/from-raw.js';
import { ConfigError, silentLogger, type Identity } from '../../../src/sdk/index.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../../../fixtures/file');
export const NOW = new Date('2026-11-20T00:00:00Z');
export const PROVENANCE = { producedBy: 'auditor-observed export', producedAt: '2026-11-19T16:05:00Z' };

export interface FileRun extends SourceResult {
  packDir: string;
  /** Every raw page the run kept, as one text. */
  rawText(): Promise<string>;
  reread(): Promise<SourceResult>;
}

/** Checks the inputs as `run` does before collecting, then collects into a throwaway pack folder. */
export async function collectFile(settings: Record<string, unknown>, name = 'exports'): Promise<FileRun> {
  const config = FileConfigSchema.parse({ directory: FIXTURES, ...settings });
  await connector.checkInputs!(config, { source: name, baseDir: FIXTURES });
  const packDir = await mkdtemp(path.join(os.tmpdir(), 'nhi-file-'));
  const result = await collectSource(connector, { name, connector: 'file', ...config }, { now: NOW, log: silentLogger, env: {}, baseDir: FIXTURES, rawDir: path.join(packDir, 'raw') });
  return {
    ...result,
    packDir,
    async rawText() {
      const files = await readdir(path.join(packDir, 'raw'), { recursive: true, withFileTypes: true });
      const texts = await Promise.all(files.filter((f) => f.isFile()).map((f) => readFile(path.join(f.parentPath, f.name), 'utf8')));
      return texts.join('\n');
    },
    reread: () => collectFromRaw(connector, packDir, result.completeness, NOW),
  };
}

export const removeRun = (run: FileRun) => rm(run.packDir, { recursive: true, force: true });

/** The ConfigError `checkInputs` throws for these settings, as the CLI would print it. */
export async function inputProblems(settings: Record<string, unknown>, baseDir = FIXTURES): Promise<string> {
  const config = FileConfigSchema.parse(settings);
  try {
    await connector.checkInputs!(config, { source: 'exports', baseDir });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('checkInputs accepted the export');
}

export function byNativeId(identities: readonly Identity[], nativeId: string): Identity {
  const found = identities.find((i) => i.nativeId === nativeId);
  if (!found) throw new Error(`no identity ${nativeId} among ${identities.map((i) => i.nativeId).join(', ')}`);
  return found;
}
