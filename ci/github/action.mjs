// The GitHub Action's step: runs nhi-audit once with SARIF, the step summary and any other formats asked for,
// records the exit code, the SARIF path and the pack path as step outputs, and always exits 0 so that the SARIF
// and pack uploads run; the action's last step fails the job with the recorded code.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const actionPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(actionPath, 'dist/src/cli.js');
const env = process.env;
const temp = env.RUNNER_TEMP || process.cwd();
const command = env.INPUT_COMMAND || 'check';
const sarif = path.join(temp, 'nhi-audit.sarif');

function output(name, value) {
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `${name}=${value}\n`);
}

if (command !== 'check' && command !== 'run') {
  process.stderr.write(`::error::nhi-audit: the command input must be check or run, not "${command}"\n`);
  output('exit-code', 2);
  process.exit(0);
}

const formats = [`sarif=${sarif}`];
if (env.GITHUB_STEP_SUMMARY) formats.push(`md=${env.GITHUB_STEP_SUMMARY}`);
for (const line of (env.INPUT_FORMATS || '').split(/\r?\n|,/).map((s) => s.trim()).filter(Boolean)) formats.push(line);

const args = [cli, '-c', env.INPUT_CONFIG || 'nhi-audit.yaml', ...(env.INPUT_AS_OF ? ['--as-of', env.INPUT_AS_OF] : []), command, '--fail-on', env.INPUT_FAIL_ON || 'high'];
for (const format of formats) args.push('--format', format);
// The table goes to the job log; the step summary gets the Markdown.
args.push('--format', 'table');

const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe'], env });
let stderr = '';
child.stderr.on('data', (chunk) => {
  stderr += chunk;
  process.stderr.write(chunk);
});
const code = await new Promise((resolve) => child.on('close', (status) => resolve(status ?? 2)));

output('exit-code', code);
output('sarif', existsSync(sarif) ? sarif : '');
const pack = /^Evidence pack: (.+)$/m.exec(stderr)?.[1];
// The CLI prints the pack relative to the working directory; later steps may run elsewhere.
output('pack', pack && existsSync(pack) ? path.resolve(pack) : '');
const meaning = { 1: 'control failures at or above the fail-on severity', 2: 'a configuration or usage error', 3: 'an incomplete collection: the results do not cover the whole population' }[code];
if (meaning) process.stderr.write(`::error::nhi-audit exited ${code}: ${meaning}\n`);
process.exit(0);
