import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../src/generated.js';

describe('generated files', () => {
  it.each(Object.entries(generatedFiles()))('%s is up to date (run `npm run generate`)', (file, content) => {
    expect(readFileSync(path.resolve(import.meta.dirname, '..', file), 'utf8')).toBe(content);
  });
});
