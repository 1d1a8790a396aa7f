import { controls } from '../controls/index.js';
import { stableStringify } from '../stable-json.js';
import { EXIT } from '../sdk/index.js';
import type { GlobalOptions } from './context.js';

function catalog() {
  return controls.map((control) => ({
    id: control.meta.id,
    title: control.meta.title,
    severity: control.meta.severity,
    appliesTo: control.meta.appliesTo,
    options: control.options.parse({}) as Record<string, unknown>,
    rationale: control.meta.rationale,
    remediation: control.meta.remediation,
  }));
}

function optionsText(options: Record<string, unknown>): string {
  return Object.entries(options).map(([k, v]) => `${k}=${String(v)}`).join(' ');
}

export default async function controlsList(options: { format: 'table' | 'json' | 'md' }, _globals: GlobalOptions): Promise<number> {
  const rows = catalog();
  if (options.format === 'json') {
    process.stdout.write(`${stableStringify({ controls: rows }, 2)}\n`);
  } else if (options.format === 'md') {
    const lines = ['| control | severity | desired state | options |', '|---|---|---|---|'];
    for (const row of rows) lines.push(`| \`${row.id}\` | ${row.severity} | ${row.title} | ${optionsText(row.options) || '—'} |`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } else {
    const width = Math.max(...rows.map((r) => r.id.length));
    for (const row of rows) {
      process.stdout.write(`${row.id.padEnd(width)}  ${row.severity.padEnd(8)}  ${row.title}${row.options && Object.keys(row.options).length ? `  (${optionsText(row.options)})` : ''}\n`);
    }
  }
  return EXIT.ok;
}
