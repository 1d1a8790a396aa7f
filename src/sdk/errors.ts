/**
 * The errors the CLI turns into exit codes. Anything else that reaches the top is a bug: the CLI prints
 * its stack and exits 2.
 */

/** One bad value in one input file: where it is, what is wrong, and how to fix it. */
export interface Problem {
  /** Dotted path inside the file (`sources[0].region`), or `line 4, column 2` for tabular files. */
  path: string;
  message: string;
}

/** Usage, configuration or input error: exit 2, nothing written. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: readonly Problem[],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
  }
}

/** `sources[0].accounts[1].id`: the path format every problem uses. */
export function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`))
    .join('');
}

export function formatProblem(file: string, problem: Problem): string {
  return problem.path ? `${file}: ${problem.path}: ${problem.message}` : `${file}: ${problem.message}`;
}

/** A source could not be read. Carries the source name and, where one is known, how to fix it. */
export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  readonly hint: string | undefined;
  constructor(
    readonly source: string,
    message: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    super(`${source}: ${message}`, { cause: options.cause });
    this.hint = options.hint;
  }
}

/** Ends the process with a given exit code after its message (if any) was printed. */
export class ExitError extends Error {
  override readonly name = 'ExitError';
  constructor(
    readonly exitCode: number,
    message = '',
  ) {
    super(message);
  }
}

export const EXIT = {
  ok: 0,
  controlFailures: 1,
  usage: 2,
  incomplete: 3,
} as const;
