import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../connectors/aws-iam/sandbox/index.js';
import { awsWorkspace, cli, CLI, ROOT } from './cli.js';

const AS_OF = '2026-11-20';

function run(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', HOME: options.cwd, ...options.env } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

function outputs(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('CI integrations', () => {
  let sandbox: AwsSandbox;
  beforeAll(async () => {
    sandbox = await startAwsSandbox(await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam')), { now: new Date(`${AS_OF}T00:00:00Z`), credentialReportPolls: 0 });
  });
  afterAll(() => sandbox.close());

  it("the GitHub Action's script writes the step summary, the SARIF and the pack, and records the exit code for the last step", async () => {
    const { cwd, env } = await awsWorkspace(sandbox);
    const github = {
      RUNNER_TEMP: cwd,
      GITHUB_STEP_SUMMARY: path.join(cwd, 'step-summary.md'),
      GITHUB_OUTPUT: path.join(cwd, 'github-output'),
      GITHUB_ACTIONS: 'true',
      GITHUB_RUN_ID: '4242',
      GITHUB_REPOSITORY: 'corvid/finance-infra',
      INPUT_COMMAND: 'run',
      INPUT_CONFIG: 'nhi-audit.yaml',
      INPUT_FAIL_ON: 'high',
      INPUT_FORMATS: 'junit=junit.xml\noscal=oscal.json',
      INPUT_AS_OF: AS_OF,
    };
    await writeFile(github.GITHUB_STEP_SUMMARY, '');
    const result = await run(process.execPath, [path.join(ROOT, 'ci/github/action.mjs')], { cwd, env: { ...env, ...github } });
    expect(result.code).toBe(0);
    const out = outputs(await readFile(github.GITHUB_OUTPUT, 'utf8'));
    expect(out['exit-code']).toBe('1');
    expect(result.stderr).toContain('::error::nhi-audit exited 1: control failures');
    expect(JSON.parse(await readFile(out.sarif!, 'utf8')).version).toBe('2.1.0');
    expect(await readFile(github.GITHUB_STEP_SUMMARY, 'utf8')).toMatch(/^## .*failing finding/m);
    expect(existsSync(path.join(cwd, 'junit.xml'))).toBe(true);
    expect(existsSync(path.join(cwd, 'oscal.json'))).toBe(true);
    expect(existsSync(path.join(out.pack!, 'manifest.json'))).toBe(true);
    expect((await cli(['verify', out.pack!, '--public-key', 'keys/nhi-audit.pub'], { cwd })).code).toBe(0);
  });

  it('action.yml passes the script every input it reads, and fails the job with the recorded code', async () => {
    const action = parse(await readFile(path.join(ROOT, 'action.yml'), 'utf8'));
    expect(action.runs.using).toBe('composite');
    const script = await readFile(path.join(ROOT, 'ci/github/action.mjs'), 'utf8');
    const audit = action.runs.steps.find((s: { id?: string }) => s.id === 'audit');
    for (const variable of new Set([...script.matchAll(/env\.(INPUT_[A-Z_]+)/g)].map((m) => m[1]!))) {
      const expression = audit.env[variable];
      expect(expression, variable).toMatch(/^\$\{\{ inputs\.([a-z-]+) \}\}$/);
      expect(Object.keys(action.inputs)).toContain(/inputs\.([a-z-]+)/.exec(expression)![1]);
    }
    const upload = action.runs.steps.find((s: { uses?: string }) => s.uses?.startsWith('github/codeql-action/upload-sarif'));
    expect(upload.with).toMatchObject({ category: '${{ inputs.sarif-category }}' });
    expect(action.runs.steps.at(-1).run).toContain('steps.audit.outputs.exit-code');
  });

  it('the GitLab template runs as written, producing its JUnit and Code Quality reports and failing with the exit code', async () => {
    const template = parse(await readFile(path.join(ROOT, 'ci/gitlab/nhi-audit.gitlab-ci.yml'), 'utf8'));
    const job = template['.nhi-audit'];
    expect(job.artifacts.reports).toEqual({ junit: 'nhi-audit-junit.xml', codequality: 'gl-code-quality-report.json' });
    const { cwd, env } = await awsWorkspace(sandbox);
    const variables = { ...job.variables, NHI_AUDIT_COMMAND: 'check' } as Record<string, string>;
    const [line] = job.script as string[];
    const shell = `nhi-audit() { node ${JSON.stringify(CLI)} --as-of ${AS_OF} "$@"; }\n${line}`;
    const result = await run('bash', ['-c', shell], { cwd, env: { ...env, ...variables } });
    expect(result.stderr).not.toMatch(/internal error|is not a format/);
    expect(result.code).toBe(1);
    const quality = JSON.parse(await readFile(path.join(cwd, 'gl-code-quality-report.json'), 'utf8'));
    expect(quality.length).toBeGreaterThan(0);
    expect(await readFile(path.join(cwd, 'nhi-audit-junit.xml'), 'utf8')).toContain('<testsuites');
    expect(existsSync(path.join(cwd, 'nhi-audit-summary.md'))).toBe(true);
  });
});
