import YAML from 'yaml';
import type { Problem } from './sdk/index.js';

/** `sources[0].accounts[1].id`: the path format every problem uses. */
export function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`))
    .join('');
}

/** Parses YAML (or JSON, which is YAML) and reports syntax errors with their line and column. */
export function parseYaml(text: string): { value?: unknown; problems: Problem[] } {
  const document = YAML.parseDocument(text);
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
        message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
      })),
    };
  }
  return { value: document.toJS(), problems: [] };
}
