#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, ExitError, EXIT, FAULT_KINDS } from './sdk/index.js';
import { boundHeapGrowth, collects, endWithParent, withLargerYoungGeneration } from './heap.js';
import { LOG_LEVELS } from './log.js';
import { toolVersion } from './paths.js';
import { safeLines } from './terminal.js';
import { OUTPUT_FORMATS } from './writers/index.js';
import type { GlobalOptions } from './commands/context.js';

const SEVERITY_CHOICES = ['critical', 'high', 'medium', 'low', 'info'];

/** A repeatable option's values, in the order given. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Commands are imported only when they run, so `nhi-audit --help` does not load every SDK. */
function lazy<T extends unknown[]>(load: () => Promise<{ default: (...args: [...T, GlobalOptions]) => Promise<number> }>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    let root = command;
    while (root.parent) root = root.parent;
    const globals = { ...(command.optsWithGlobals() as GlobalOptions), configGiven: root.getOptionValueSource('config') !== 'default' };
    const { default: run } = await load();
    process.exitCode = await run(...(args.slice(0, -1) as T), globals);
  };
}

/** `--public-key` may be given several times: a chain signed before and after a key rotation needs both keys. */
function publicKeyOption(command: Command, what: string): Command {
  return command.option('--public-key <file>', `${what} (repeatable; keys pinned in the config's verification.publicKeys count too)`, (value: string, previous: string[]) => [...previous, value], [] as string[]);
}

function reportOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a control fails at or above this severity; none: never for failures (exits 2 and 3 still apply)')
        .choices([...SEVERITY_CHOICES, 'none'])
        .default('high'),
    )
    .option(
      '--format <format[=path]>',
      `an output: ${OUTPUT_FORMATS.join(', ')}; with =PATH it goes to that file (repeatable; one may go to stdout; default table)`,
      collect,
      [],
    )
    .option('--output <file>', 'write the one --format given without =PATH to this file instead of stdout')
    .option('--only-failed', 'show only failing and excepted findings')
    .option('--systems <which>', 'judge only identities reaching these systems: sox (every SOX key system) or names from the systems registry, comma-separated (overrides evaluate.systems)');
}

export function buildProgram(): Command {
  const program = new Command('nhi-audit')
    .description('SOX audit evidence for non-human identities: inventory, control tests and a signed evidence pack per audit cycle')
    .version(toolVersion())
    .option('-c, --config <file>', 'configuration file', 'nhi-audit.yaml')
    .addOption(new Option('--log-level <level>', 'log detail on stderr').choices(LOG_LEVELS).default('warn'))
    .option('--as-of <instant>', 'the audit as-of date or instant (ISO 8601); defaults to now')
    .showHelpAfterError()
    .exitOverride();

  program.command('init').description('write a starter nhi-audit.yaml').option('--force', 'overwrite an existing file').action(lazy(() => import('./commands/init.js')));

  const keys = program.command('keys').description('manage signing keys');
  keys
    .command('generate')
    .description('create an Ed25519 key pair for signing packs (private key written with mode 0600)')
    .option('--out <dir>', 'folder for nhi-audit.key and nhi-audit.pub', 'keys')
    .action(lazy(() => import('./commands/keys-generate.js')));

  publicKeyOption(program
    .command('collect')
    .description('the inventory alone: collect every source, or re-read a pack\'s raw pages with today\'s normalizers, or collect one shard of a plan into a signed part')
    .option('--from-raw <pack>', 're-read this pack\'s raw pages instead of calling any API, and compare with its inventory'), 'check the --from-raw pack\'s signature with this Ed25519 public key')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'csv']).default('json'))
    .option('--output <file>', 'write the inventory to a file instead of stdout')
    .option('--plan <file>', 'collect one shard of this plan (from `nhi-audit plan`) into a signed part, for `run --from-parts`')
    .option('--shard <i/N>', 'with --plan: the shard to collect, 1 to N; units go to shards round-robin in the plan\'s order')
    .option('--out <dir>', 'with --plan: the new folder to write the part into')
    .action(lazy(() => import('./commands/collect.js')));

  program
    .command('plan')
    .description('freeze every source\'s scopes (listed or discovered) into a signed plan for a sharded collection (`collect --plan --shard i/N`)')
    .requiredOption('--out <file>', 'the plan file to write (it must not exist)')
    .option('--cycle <id>', 'audit cycle such as 2026-Q4; derived from --as-of when omitted')
    .action(lazy(() => import('./commands/plan.js')));

  publicKeyOption(
    reportOptions(program.command('check').description('collect and evaluate without writing a pack: fast feedback for CI and pre-close checks, and drift since a sealed pack'))
      .option('--baseline <pack>', 'report what changed since this sealed pack (new identities, admin or escalation grants, credentials, leavers, unexpected use), each with a severity --fail-on applies to'),
    'check the --baseline pack\'s signature with this Ed25519 public key',
  )
    .option('--notify <target>', 'with --baseline, send the changes to webhook=URL or webhook=env:NAME (JSON with a Slack-compatible text) or github-issue=owner/repo (one issue kept up to date; GITHUB_TOKEN, GITHUB_API_URL) (repeatable)', collect, [])
    .action(lazy(() => import('./commands/check.js')));

  reportOptions(program.command('run').description('collect, evaluate and write a signed evidence pack for an audit cycle'))
    .option('--cycle <id>', 'audit cycle such as 2026-Q4 or FY2027-Q1; derived from --as-of when omitted')
    .option('--backfill', 'seal a pack whose as-of date precedes the newest pack\'s (recorded in the manifest)')
    .option('--wait <seconds>', 'when another run is writing to the output folder, wait this long for it instead of exiting 2', '0')
    .option('--from-parts <dirs...>', 'seal one pack from the parts of a sharded collection (`collect --plan --shard`) instead of collecting: each planned scope must arrive exactly once')
    .action(lazy(() => import('./commands/run.js')));

  publicKeyOption(
    program
      .command('verify')
      .description('verify a sealed pack or sample addendum offline: digests, signature, attestation, file list, sealed inputs; or a whole chain of packs')
      .argument('[pack]', 'pack folder'),
    'the Ed25519 public key (PEM) the pack must be signed with',
  )
    .option('--chain <dir>', 'verify every pack under this output folder and the links between them')
    .option('--expect-head <digest>', 'with --chain: fail unless the newest pack has this attestation digest (printed as Head by an earlier verify)')
    .action(lazy(() => import('./commands/verify.js')));

  publicKeyOption(program
    .command('diff')
    .description('what changed between two packs: identities, privilege, credentials, findings')
    .argument('<old>', 'the earlier pack')
    .argument('<new>', 'the later pack'), 'check both packs\' signatures with this Ed25519 public key')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'md']).default('table'))
    .action(lazy(() => import('./commands/diff.js')));

  publicKeyOption(program
    .command('sample')
    .description('a seeded, reproducible sample of a pack\'s findings, sealed as a signed addendum beside the pack')
    .argument('<pack>', 'pack folder'), 'check the pack\'s signature with this Ed25519 public key')
    .requiredOption('--seed <seed>', 'the seed: the same pack and seed give the same items on any machine')
    .option('--size <n>', 'items to select; defaults to the config\'s sampling table for its frequency')
    .option('--control <id>', 'sample the findings of one control')
    .addOption(new Option('--status <status>', 'sample findings with this status').choices(['pass', 'fail', 'excepted', 'not-applicable']))
    .option('--private-key <file>', 'sign the addendum with this key instead of the config\'s signing key')
    .option('--no-seal', 'print the selection only; write no addendum')
    .action(lazy(() => import('./commands/sample.js')));

  publicKeyOption(program
    .command('reperform')
    .description('re-run the join with the sealed registries and the controls from a pack\'s own inventory, inputs and config, and compare byte for byte')
    .argument('<pack>', 'pack folder'), 'check the pack\'s signature with this Ed25519 public key')
    .action(lazy(() => import('./commands/reperform.js')));

  publicKeyOption(program
    .command('report')
    .description('re-render report.pdf and summary.md of a sealed pack into a new folder (with its samples and changes)')
    .argument('<pack>', 'pack folder'), 'check the pack\'s (and its samples\') signatures with this Ed25519 public key')
    .option('--out <dir>', 'the new folder (default report-<pack folder name>)')
    .action(lazy(() => import('./commands/report.js')));

  const recert = program.command('recert').description('recertification campaigns: owners decide keep, revoke or modify for each identity of a sealed pack');
  publicKeyOption(recert
    .command('open')
    .description('open a campaign on a sealed pack: one worksheet per owner (CSV and XLSX) and an index')
    .argument('<pack>', 'pack folder'), 'check the pack\'s signature with this Ed25519 public key')
    .option('--systems <sox>', 'review only identities reaching a SOX key system of the systems registry')
    .option('--out <dir>', 'folder for the worksheets (default: the campaign id)')
    .action(lazy(() => import('./commands/recert-open.js')));
  publicKeyOption(recert
    .command('close')
    .description('validate the filled worksheets and seal the decisions as a signed addendum beside the pack')
    .argument('<pack>', 'the pack the campaign was opened on')
    .argument('<worksheets...>', 'the filled worksheets (CSV or XLSX), one per owner'), 'check the pack\'s signature with this Ed25519 public key')
    .option('--private-key <file>', 'sign the addendum with this key instead of the config\'s signing key')
    .action(lazy(() => import('./commands/recert-close.js')));

  program
    .command('demo')
    .description('run the whole job on the bundled demo organization, served by the local sandboxes (a fresh folder gets the previous quarter and its closed recertification campaign first)')
    .option('--out <dir>', 'where the demo writes its packs and public key', 'evidence-demo')
    .option('--backfill', 'seal a pack whose as-of date precedes the newest demo pack\'s')
    .option('--fault <spec>', 'inject a fault into the sandboxes: connector:operation:kind[:times] (repeatable; see `nhi-audit sandbox --help`)', collect, [])
    .action(lazy(() => import('./commands/demo.js')));

  program
    .command('sandbox')
    .description('serve the demo organization (or a dataset folder laid out like it) from local sandboxes until stopped, and write a config that points at them')
    .option('--dataset <dir>', 'a folder with nhi-audit.yaml and one sub-folder per connector (default: the bundled demo organization)')
    .option('--write-config <file>', 'where to write the config that points at the sandboxes', 'nhi-audit.sandbox.yaml')
    .option('--fault <spec>', `inject a fault: connector:operation:kind[:times], operation * for all; kinds: ${FAULT_KINDS.join(', ')} (repeatable)`, collect, [])
    .action(lazy(() => import('./commands/sandbox.js')));

  program
    .command('doctor')
    .description('check each source\'s credentials before a collection: who they are, which read permissions are missing, and the least-privilege grant to ask for')
    .option('--source <name>', 'check this source only')
    .option('--write-policies <dir>', 'write the grant to ask for as one file per source into this folder')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(lazy(() => import('./commands/doctor.js')));

  const controls = program.command('controls').description('the control catalog');
  controls
    .command('list')
    .description('list the controls with their severity, options and framework mappings')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'md']).default('table'))
    .action(lazy(() => import('./commands/controls-list.js')));

  const connectorCommands = program.command('connectors').description('the connectors, built in and from packages');
  connectorCommands
    .command('list')
    .description('list the built-in connectors and the connector packages the config names, with the identity kinds they collect')
    .action(lazy(() => import('./commands/connectors-list.js')));
  connectorCommands
    .command('new')
    .description('write a new connector package (config, client, normalizer, sandbox, a passing test) built on nhi-audit/sdk')
    .argument('<id>', 'the connector id: lowercase letters, digits and dashes')
    .option('--out <dir>', 'the package folder (default ./nhi-audit-connector-<id>)')
    .option('--title <text>', 'what the connector reads, in a few words')
    .option('--name <package>', 'the npm package name (default nhi-audit-connector-<id>)')
    .action(lazy(() => import('./commands/connectors-new.js')));

  return program;
}

/** The one place errors become exit codes. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every usage mistake exits 2 (commander's own message is already printed).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${safeLines(error.message)}\n`);
      return EXIT.usage;
    }
    if (error instanceof ExitError) {
      if (error.message) process.stderr.write(`${safeLines(error.message)}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `nhi-audit: internal error. This is a bug; please report it with the lines below.\n${(error as Error)?.stack ?? String(error)}\n`,
    );
    return EXIT.usage;
  }
}

// The AWS SDK warns on Node < 22 about its own future releases; the lockfile pins a release that supports
// Node 20, so the warning says nothing to someone running an audit and would clutter stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Libraries' process warnings (google-auth's MetadataLookupWarning, experimental-API notices) say nothing to
// someone running an audit; they reach the terminal only when asked for with --log-level debug or trace.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (process.argv.some((arg) => /^(debug|trace)$|^--log-level=(debug|trace)$/.test(arg))) process.stderr.write(`${warning.name}: ${warning.message}\n`);
});
// A reader that stops early (`| head`) is not an error of the audit: stop writing quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
  throw error;
});
endWithParent();
boundHeapGrowth();
process.exitCode = (collects(process.argv.slice(2)) ? await withLargerYoungGeneration() : undefined) ?? (await main(process.argv));
