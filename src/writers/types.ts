import type { WaiverUse } from '../engine/evaluate.js';
import type { Drift } from '../evidence/drift.js';
import type { ControlMeta, Finding, Identity, SourceCompleteness } from '../sdk/index.js';
import type { Summary } from './summary.js';

/** A framework requirement a control evidences, e.g. `{ framework: 'CIS AWS Foundations', version: '3.0', ids: ['1.14'] }`. */
export interface FrameworkMapping {
  framework: string;
  version?: string;
  ids: string[];
}

/** A control as it was in force for a run: its meta with the severity and options after config overrides. */
export interface ControlInForce extends ControlMeta {
  options: Record<string, unknown>;
  mappings: FrameworkMapping[];
}

/** A system of the systems registry, as the reports name it. */
export interface SystemInScope {
  name: string;
  sox: boolean;
  owner: string;
  description?: string;
}

/** Everything the writers render from: one run's population, catalog and results. */
export interface ResultSet {
  /** `informationUri` is the project's home page, for SARIF consumers that link to the tool. */
  tool: { name: string; version: string; informationUri?: string };
  organization?: string;
  asOf: string;
  cycle?: string;
  controls: ControlInForce[];
  identities: Identity[];
  /** Sorted by control id, identity id, credential id; only those the summary lists (`isListed`) when `summary` is set. */
  findings: Finding[];
  /**
   * The summary of every finding, when `findings` holds only those it lists one by one: a sealed run writes
   * findings.json and findings.csv as it evaluates and keeps no more. Writers that render every finding
   * (`everyFinding`) refuse such a set.
   */
  summary?: Summary;
  sources: SourceCompleteness[];
  /**
   * The evaluation's account of every configured waiver (applied, expired, unused, with its finding count), so
   * the summaries can show unused and expired waivers; absent, only the waivers findings carry are known.
   */
  waivers?: WaiverUse[];
  /** The systems registry's systems, when the run had one: the reports group results by them. */
  systems?: SystemInScope[];
  /** What changed since a sealed baseline pack (`check --baseline`). */
  drift?: Drift;
}

/** How the terminal or the CI job wants output shaped; each writer reads the fields it has a use for. */
export interface RenderOptions {
  /** ANSI colour (the table on a TTY). */
  color?: boolean;
  /** Columns available (the table on a TTY); unset means no truncation. */
  width?: number;
  /** How many failing findings a summary lists before "and N more" (the Markdown summary). */
  maxFindings?: number;
  /**
   * Where the evidence pack of these results is, as a path from where the output is read (`.` for a file inside
   * the pack): references then name the pack's files (OSCAL evidence, SARIF locations). Unset: no pack exists.
   */
  pack?: string;
  /** The configuration file, as a path from where the output is read: a place that exists when no pack does. */
  config?: string;
}

/** A renderer of one output format. Pure: same ResultSet, same string. */
export interface Writer {
  id: string;
  /** File name used when the writer's output goes into a pack or a folder. */
  fileName: string;
  render(results: ResultSet, options?: RenderOptions): string;
  /** It renders every finding, not only the failing and excepted: it needs a set that holds them all. */
  everyFinding?: boolean;
  /**
   * It shows counts and at most the first LISTED_PER_CONTROL failing findings of each control, so a run's bounded
   * summary serves it; any other writer is given every failing and excepted finding.
   */
  boundedLists?: boolean;
  /**
   * The same bytes as `render`, in pieces, for outputs that grow with the population (inventory, findings): a
   * pack writes them piece by piece, so no string proportional to the population is built whole.
   */
  chunks?(results: ResultSet, options?: RenderOptions): Iterable<string>;
}

/** A writer whose output can be large: `render` joins its chunks, so both give the same bytes. */
export function streamingWriter(writer: Omit<Writer, 'render' | 'chunks'> & { chunks(results: ResultSet, options?: RenderOptions): Iterable<string> }): Writer {
  return { ...writer, render: (results, options) => [...writer.chunks(results, options)].join('') };
}
