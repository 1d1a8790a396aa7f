import YAML from 'yaml';
import type { Problem } from './sdk/index.js';

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
