import codequality from './codequality.js';
import csv, { exceptionsCsv, inventoryCsv } from './csv.js';
import json, { inventoryJson } from './json.js';
import junit from './junit.js';
import md from './markdown.js';
import oscal from './oscal.js';
import sarif from './sarif.js';
import table from './table.js';
import type { Writer } from './types.js';

/** The `--format` names of `check` and `run`, sorted. Adding a format is one import and one line here. */
export const writers = { codequality, csv, json, junit, md, oscal, sarif, table } as const satisfies Record<string, Writer>;

export type OutputFormat = keyof typeof writers;

export const OUTPUT_FORMATS = Object.keys(writers) as OutputFormat[];

/** The files of DESIGN §6 that a pack holds from these writers, sorted by file name (report.pdf aside). */
export const packWriters: readonly Writer[] = [oscal, exceptionsCsv, csv, json, inventoryCsv, inventoryJson, md];
