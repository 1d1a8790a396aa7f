import { ExitError, EXIT, FaultPlan, type SandboxModule } from '../../../src/sdk/index.js';

/*
 * The file connector has no wire: its sandbox is the export files of a dataset. `nhi-audit demo` and
 * `nhi-audit sandbox` point its sources at `<dataset>/file/`, so the configs they write find the exports from anywhere.
 */
export const startDemo: SandboxModule['startDemo'] = async (datasetDir, options) => {
  if ((options.faults ?? []).length > 0) {
    throw new ExitError(EXIT.usage, '--fault: the file connector reads export files; there is no wire to inject faults into (edit a copy of the export instead)');
  }
  return { sourceOverrides: { directory: datasetDir }, env: {}, faults: new FaultPlan('file'), close: async () => undefined };
};
