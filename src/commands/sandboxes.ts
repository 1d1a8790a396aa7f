import path from 'node:path';
import { isSystemError } from '../system-errors.js';
import { ExitError, EXIT, parseFaultSpec, type Connector, type DemoSandbox, type FaultSpec, type SandboxModule } from '../sdk/index.js';

/** `--fault` values, each `connector:operation:kind[:times]`; a bad one is a usage error before anything starts. */
export function parseFaults(specs: readonly string[]): FaultSpec[] {
  try {
    return specs.map(parseFaultSpec);
  } catch (error) {
    throw new ExitError(EXIT.usage, `--fault: ${(error as Error).message}`);
  }
}

export interface RunningSandboxes {
  sandboxes: Map<string, DemoSandbox>;
  /** The sandboxes' (fake) credentials, by environment variable. */
  env: Record<string, string>;
}

/**
 * Starts one sandbox per connector the sources use (their connector packages already loaded), each over `<datasetDir>/<connector>/`, and points those
 * sources at it (their settings are changed in place). A fault naming a connector no source uses is refused.
 */
export async function startSandboxes(
  raw: { sources?: Array<Record<string, unknown> & { connector?: unknown }> },
  datasetDir: string,
  options: { now: Date; faults: readonly FaultSpec[]; connectors: readonly Connector[] },
): Promise<RunningSandboxes & { close(): Promise<void> }> {
  const connectors = new Map(options.connectors.map((c) => [c.id, c]));
  const connectorIds = [...new Set((raw.sources ?? []).map((s) => String(s.connector ?? '')))];
  const unknown = options.faults.filter((f) => !connectorIds.includes(f.connector));
  if (unknown.length > 0) {
    throw new ExitError(EXIT.usage, `--fault: no source uses connector ${unknown.map((f) => f.connector).join(', ')}; the sources use ${connectorIds.join(', ')}`);
  }
  const sandboxes = new Map<string, DemoSandbox>();
  const env: Record<string, string> = {};
  const close = async () => {
    await Promise.all([...sandboxes.values()].map((s) => s.close()));
  };
  let starting = '';
  try {
    for (const id of connectorIds) {
      starting = id;
      // A connector package brings its own sandbox; an in-tree connector keeps it in its sandbox/ folder.
      const packaged = connectors.get(id)?.sandbox;
      const module = packaged ? await packaged() : ((await import(`../../connectors/${id}/sandbox/index.js`)) as SandboxModule);
      const sandbox = await module.startDemo(path.join(datasetDir, id), { now: options.now, faults: options.faults.filter((f) => f.connector === id) });
      sandboxes.set(id, sandbox);
      Object.assign(env, sandbox.env);
      for (const source of raw.sources ?? []) if (source.connector === id) Object.assign(source, sandbox.sourceOverrides);
    }
  } catch (error) {
    await close();
    // A file the sandbox could not read or write (its dataset, its temporary folder) is the machine's, not a bug.
    if (isSystemError(error)) {
      throw new ExitError(EXIT.usage, `the ${starting} sandbox could not start: ${error.message}; check that the folder exists and is writable (TMPDIR for temporary files)`);
    }
    throw error;
  }
  return { sandboxes, env, close };
}
