import { z } from 'zod';
import type { Control, IdentityKind, Severity } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import type { FrameworkMapping } from '../writers/types.js';
import { mappingsFor, type Framework } from './frameworks.js';

export const CATALOG_FORMATS = ['table', 'json', 'md'] as const;
export type CatalogFormat = (typeof CATALOG_FORMATS)[number];

export interface CatalogOption {
  name: string;
  default?: unknown;
  description?: string;
}

/** A control as the catalog shows it: its meta, its options with their defaults, and the requirements it evidences. */
export interface CatalogEntry {
  id: string;
  title: string;
  severity: Severity;
  appliesTo: readonly IdentityKind[];
  options: CatalogOption[];
  rationale: string;
  remediation: string;
  mappings: FrameworkMapping[];
}

interface OptionsJsonSchema {
  properties?: Record<string, { default?: unknown; description?: string }>;
}

function optionsOf(control: Control): CatalogOption[] {
  const schema = z.toJSONSchema(control.options, { io: 'input' }) as OptionsJsonSchema;
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    ...(property.default !== undefined ? { default: property.default } : {}),
    ...(property.description ? { description: property.description } : {}),
  }));
}

export function catalogOf(controls: readonly Control[], frameworks: readonly Framework[]): CatalogEntry[] {
  return controls.map((control) => ({
    id: control.meta.id,
    title: control.meta.title,
    severity: control.meta.severity,
    appliesTo: control.meta.appliesTo,
    options: optionsOf(control),
    rationale: control.meta.rationale,
    remediation: control.meta.remediation,
    mappings: mappingsFor(control.meta.id, frameworks),
  }));
}

function mappingText(mapping: FrameworkMapping): string {
  return `${[mapping.framework, mapping.version].filter(Boolean).join(' ')}: ${mapping.ids.join(', ')}`;
}

function defaultText(value: unknown): string {
  if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : '[]';
  return String(value);
}

function renderTable(entries: readonly CatalogEntry[]): string {
  const width = Math.max(...entries.map((e) => e.id.length));
  const indent = ' '.repeat(width + 2 + 8 + 2);
  return entries
    .map((entry) => {
      const options = entry.options.filter((o) => o.default !== undefined).map((o) => `${o.name}=${defaultText(o.default)}`);
      return [
        `${entry.id.padEnd(width)}  ${entry.severity.padEnd(8)}  ${entry.title}${options.length > 0 ? `  (${options.join(' ')})` : ''}`,
        `${indent}${entry.mappings.map(mappingText).join(' · ')}`,
      ].join('\n');
    })
    .join('\n')
    .concat('\n');
}

function renderMarkdown(entries: readonly CatalogEntry[]): string {
  const lines = [
    '# Controls',
    '',
    '<!-- Generated from the control catalog by `npm run generate` (the output of `nhi-audit controls list --format md`). Do not edit. -->',
    '',
    `nhi-audit tests every identity against ${entries.length} controls. Each judges the normalized inventory, so it applies to every`,
    'connector alike, and returns `not-applicable` when there is nothing to judge. In `nhi-audit.yaml`, under',
    '`controls:`, a control can be set `off` or given options and a `severity`. The framework requirements each control',
    'evidences come from the files in `evidence-templates/frameworks/`.',
    '',
    '| control | severity | desired state | frameworks |',
    '|---|---|---|---|',
    ...entries.map((e) => `| [\`${e.id}\`](#${e.id}) | ${e.severity} | ${e.title} | ${e.mappings.map(mappingText).join('<br>')} |`),
  ];
  for (const entry of entries) {
    lines.push('', `## ${entry.id}`, '', `**${entry.title}.**`, '', `Severity: ${entry.severity}. Applies to: ${entry.appliesTo.join(', ')}.`, '');
    lines.push(entry.rationale, '', `Remediation: ${entry.remediation}`, '');
    if (entry.options.length > 0) {
      lines.push('| option | default | meaning |', '|---|---|---|');
      for (const option of entry.options) {
        lines.push(`| \`${option.name}\` | ${option.default === undefined ? '—' : `\`${defaultText(option.default)}\``} | ${option.description ?? ''} |`);
      }
    } else {
      lines.push('No options.');
    }
    lines.push('', '| framework | version | requirements |', '|---|---|---|');
    for (const mapping of entry.mappings) lines.push(`| ${mapping.framework} | ${mapping.version ?? ''} | ${mapping.ids.join(', ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The catalog as a terminal table, JSON or Markdown (the Markdown is docs/controls.md). */
export function renderCatalog(entries: readonly CatalogEntry[], format: CatalogFormat): string {
  if (format === 'json') return `${stableStringify({ controls: entries }, 2)}\n`;
  return format === 'md' ? renderMarkdown(entries) : renderTable(entries);
}
