import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../connectors/aws-iam/sandbox/index.js';
import { pdfText } from '../helpers/pdf-text.js';
import { DEMO_AWS, workspace } from './aws-workspace.js';
import { cli, packsIn, ROOT } from './cli.js';

const AS_OF = '2026-11-20';
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

async function manifest(pack: string) {
  return JSON.parse(await readFile(path.join(pack, 'manifest.json'), 'utf8'));
}

/** The sealed packs (not staging folders) under a workspace's output, oldest run id first. */
async function packs(cwd: string): Promise<string[]> {
  return (await packsIn(path.join(cwd, 'evidence'))).filter((p) => !path.basename(p).startsWith('.'));
}

describe('audit cycles and the output folder, against the AWS sandbox', () => {
  let sandbox: AwsSandbox;
  beforeAll(async () => {
    sandbox = await startAwsSandbox(await loadAwsSandboxDataset(DEMO_AWS), { now: new Date(`${AS_OF}T00:00:00Z`), credentialReportPolls: 0 });
  });
  afterAll(() => sandbox.close());

  describe('honest cycles (issue 10, 5)', () => {
    it('takes only calendar dates, refuses a cycle that starts after the as-of date, and notes one long past', { timeout: 240_000 }, async () => {
      const { cwd, env } = await workspace(sandbox);
      for (const asOf of ['2026-02-30', '2026-11-20T25:00:00Z', '2026-13-01']) {
        const result = await cli(['run', '--as-of', asOf], { cwd, env });
        expect(result.code, asOf).toBe(2);
        expect(result.stderr, asOf).toContain(`--as-of: "${asOf}" is not a calendar date or instant`);
      }
      const future = await cli(['run', '--as-of', AS_OF, '--cycle', '2027-Q1'], { cwd, env });
      expect(future.code).toBe(2);
      expect(future.stderr).toContain('--cycle: 2027-Q1 starts on 2027-01-01, after the as-of date 2026-11-20');
      expect(existsSync(path.join(cwd, 'evidence'))).toBe(false);
      const late = await cli(['run', '--as-of', AS_OF, '--cycle', '2025-Q1'], { cwd, env });
      expect(late.code).toBe(1);
      expect(late.stderr).toContain('is 599 days after cycle 2025-Q1 ended (2025-03-31)');
    });

    it('a pack dated before the newest needs --backfill and records it; changes are measured against the newest complete pack', { timeout: 240_000 }, async () => {
      const { cwd, env } = await workspace(sandbox);
      expect((await cli(['run', '--as-of', AS_OF], { cwd, env })).code).toBe(1);
      const refused = await cli(['run', '--as-of', '2026-09-30'], { cwd, env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/precedes the as-of date of the newest pack 2026-Q4\/\S+ \(2026-11-20T00:00:00\.000Z\): a pack for an earlier date is a backfill; pass --backfill/);
      expect(await packs(cwd)).toHaveLength(1);
      expect((await cli(['run', '--as-of', '2026-09-30', '--backfill'], { cwd, env })).code).toBe(1);

      sandbox.faults.set([{ connector: 'aws-iam', operation: 'GetCredentialReport', kind: '5xx' }]);
      expect((await cli(['run', '--as-of', '2026-11-21'], { cwd, env })).code).toBe(3);
      sandbox.faults.set([]);
      expect((await cli(['run', '--as-of', '2026-11-22'], { cwd, env })).code).toBe(1);

      const [q4, q3] = [(await packs(cwd)).filter((p) => p.includes('/2026-Q4/')), (await packs(cwd)).filter((p) => p.includes('/2026-Q3/'))];
      const [complete, incomplete, latest] = q4 as [string, string, string];
      const backfill = await manifest(q3[0]!);
      expect(backfill.backfill).toBe(true);
      expect(backfill.previous.runId).toBe(path.basename(complete));
      expect(backfill.baseline).toBeNull();
      expect((await manifest(incomplete)).verdict).toBe('incomplete');
      const last = await manifest(latest);
      expect(last.backfill).toBe(false);
      expect(last.previous.runId).toBe(path.basename(incomplete));
      expect(last.baseline.runId).toBe(path.basename(complete));
      expect(await pdfText(await readFile(path.join(latest, 'report.pdf')))).toMatch(new RegExp(`Compared with: 2026-Q4,\\s+run\\s+${path.basename(complete)}`));
      const chain = await cli(['verify', '--chain', 'evidence', '--public-key', 'keys/nhi-audit.pub'], { cwd });
      expect(chain.code).toBe(0);
      expect(chain.stdout).toContain('OK: 4 packs');
      const diff = await cli(['diff', complete, incomplete], { cwd });
      expect(diff.stdout).toMatch(/^WARNING: \S+ is an incomplete collection; identities missing from it may not have changed\./);
    });

    it('a run in which every source failed writes no pack and exits 3', { timeout: 240_000 }, async () => {
      const { cwd } = await workspace(sandbox);
      const result = await cli(['run', '--as-of', AS_OF], { cwd, env: {} });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('No pack written: every source failed and nothing was collected.');
      expect(result.stderr).toMatch(/\n {2}aws: /);
      expect(await packs(cwd)).toEqual([]);
    });
  });

  describe('inputs sealed (issue 10, 2)', () => {
    it('seals an offline export the run read, and reperform repeats the run from the pack', { timeout: 240_000 }, async () => {
      const { cwd } = await workspace(sandbox);
      const details = path.join(ROOT, 'fixtures/external/cloudsplaining/example-authz-details.json');
      await writeFile(
        path.join(cwd, 'nhi-audit.yaml'),
        `output: ./evidence\nsources:\n  - { name: offline, connector: aws-iam, exports: [{ authorizationDetails: ${JSON.stringify(details)}, accountId: "123456789012" }] }\nsigning: { privateKeyFile: keys/nhi-audit.key }\n`,
      );
      const run = await cli(['run', '--as-of', AS_OF], { cwd });
      expect([1, 3]).toContain(run.code);
      const [pack] = await packs(cwd);
      const input = (await manifest(pack!)).ipe.inputs.find((i: { kind: string }) => i.kind === 'export');
      const exported = JSON.parse(await readFile(details, 'utf8'));
      expect(input).toMatchObject({ source: 'offline', path: 'inputs/export/offline/example-authz-details.json', originalPath: details });
      expect(input.rows).toBe(['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'].reduce((n, list) => n + exported[list].length, 0));
      expect((await readFile(path.join(pack!, input.path))).equals(await readFile(details))).toBe(true);
      const again = await cli(['reperform', pack!, '--public-key', 'keys/nhi-audit.pub'], { cwd });
      expect(again.stdout).toMatch(/^IDENTICAL: /);
    });
  });

  describe('the chain across a key rotation (issue 10, 4)', () => {
    it('verifies with both keys and says where the key changed; a run refuses a previous pack signed by a key not pinned', { timeout: 240_000 }, async () => {
      const { cwd, env } = await workspace(sandbox);
      expect((await cli(['run', '--as-of', AS_OF], { cwd, env })).code).toBe(1);
      expect((await cli(['keys', 'generate', '--out', 'keys2'], { cwd })).code).toBe(0);
      const config = await readFile(path.join(cwd, 'nhi-audit.yaml'), 'utf8');
      await writeFile(
        path.join(cwd, 'nhi-audit.yaml'),
        `${config.replace('keys/nhi-audit.key', 'keys2/nhi-audit.key')}\nverification: { publicKeys: [keys/nhi-audit.pub] }\n`,
      );
      expect((await cli(['run', '--as-of', '2026-11-21'], { cwd, env })).code).toBe(1);
      const second = path.basename((await packs(cwd))[1]!);
      const both = await cli(['verify', '--chain', 'evidence', '--public-key', 'keys/nhi-audit.pub', '--public-key', 'keys2/nhi-audit.pub'], { cwd });
      expect(both.code).toBe(0);
      expect(both.stdout).toMatch(new RegExp(`Key changed at 2026-Q4/${second}: [0-9a-f]{16} → [0-9a-f]{16}`));
      await writeFile(path.join(cwd, 'bare.yaml'), 'sources: [{ name: aws, connector: aws-iam }]\n');
      const newKeyOnly = await cli(['-c', 'bare.yaml', 'verify', '--chain', 'evidence', '--public-key', 'keys2/nhi-audit.pub'], { cwd });
      expect(newKeyOnly.code).toBe(1);
      expect(newKeyOnly.stdout).toContain('which is not one of the public keys given');

      expect((await cli(['keys', 'generate', '--out', 'keys3'], { cwd })).code).toBe(0);
      await writeFile(path.join(cwd, 'nhi-audit.yaml'), config.replace('keys/nhi-audit.key', 'keys3/nhi-audit.key'));
      const unpinned = await cli(['run', '--as-of', '2026-11-22'], { cwd, env });
      expect(unpinned.code).toBe(1);
      expect(unpinned.stderr).toContain('which is not one of the public keys given');
      expect(await packs(cwd)).toHaveLength(2);
    });
  });

  describe('one run per output folder (issue 9, 8)', () => {
    it('two concurrent runs into one folder leave a chain that verify --chain accepts', { timeout: 240_000 }, async () => {
      const { cwd, env } = await workspace(sandbox);
      const runs = await Promise.all([1, 2].map(() => cli(['run', '--as-of', AS_OF, '--wait', '120'], { cwd, env })));
      expect(runs.map((r) => r.code)).toEqual([1, 1]);
      const chain = await cli(['verify', '--chain', 'evidence', '--public-key', 'keys/nhi-audit.pub'], { cwd });
      expect(chain.stdout).toContain('OK: 2 packs');
      expect(chain.code).toBe(0);
      const [first, second] = await packs(cwd);
      const links = [(await manifest(first!)).previous, (await manifest(second!)).previous];
      expect(links.filter((l) => l === null)).toHaveLength(1);
      expect(existsSync(path.join(cwd, 'evidence/.nhi-audit.lock'))).toBe(false);
    });

    it('a live lock makes a run exit 2 naming its holder; a stale one is taken over', { timeout: 240_000 }, async () => {
      const { cwd, env } = await workspace(sandbox);
      const lock = path.join(cwd, 'evidence/.nhi-audit.lock');
      expect((await cli(['run', '--as-of', AS_OF], { cwd, env })).code).toBe(1);
      await writeFile(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: '2026-11-20T09:00:00.000Z', token: 'held' }));
      const held = await cli(['run', '--as-of', AS_OF], { cwd, env });
      expect(held.code).toBe(2);
      expect(held.stderr).toContain(`another nhi-audit run is writing packs here (run pid ${process.pid} on host ${os.hostname()}, started 2026-11-20T09:00:00.000Z)`);
      expect(held.stderr).toContain('pass --wait SECONDS');
      expect(await packs(cwd)).toHaveLength(1);
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      await writeFile(lock, JSON.stringify({ pid: gone, host: os.hostname(), startedAt: '2026-11-20T09:00:00.000Z', token: 'stale' }));
      expect((await cli(['run', '--as-of', AS_OF], { cwd, env })).code).toBe(1);
      expect(await packs(cwd)).toHaveLength(2);
      expect(existsSync(lock)).toBe(false);
      expect((await cli(['verify', '--chain', 'evidence', '--public-key', 'keys/nhi-audit.pub'], { cwd })).code).toBe(0);
    });
  });

  describe('terminal safety (issue 10, 8)', () => {
    it('escapes control characters and bidi overrides from registry data in the table and in diff', { timeout: 240_000 }, async () => {
      const { cwd, env } = await workspace(sandbox);
      expect((await cli(['run', '--as-of', AS_OF], { cwd, env })).code).toBe(1);
      const owner = 'mallory\u001b]0;pwned\u0007\u009b2J\u202egpj.exe';
      await writeFile(path.join(cwd, 'owners.csv'), `identity,owner\n"aws-iam:*:user/*","${owner}"\n`);
      await writeFile(path.join(cwd, 'hr.csv'), `person,status,terminated_at\n"${owner}",terminated,2026-01-01\n`);
      const config = await readFile(path.join(cwd, 'nhi-audit.yaml'), 'utf8');
      await writeFile(path.join(cwd, 'nhi-audit.yaml'), `${config}\nenrich: { owners: owners.csv, hrRoster: hr.csv }\n`);
      const run = await cli(['run', '--as-of', '2026-11-21'], { cwd, env });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('mallory\\x1b]0;pwned\\x07\\x9b2J\\u202egpj.exe');
      const [before, after] = await packs(cwd);
      for (const format of ['table', 'md']) {
        const diff = await cli(['diff', before!, after!, '--format', format, '--public-key', 'keys/nhi-audit.pub'], { cwd });
        expect(diff.code, format).toBe(0);
        expect(diff.stdout, format).toContain('\\u202egpj.exe');
        expect(diff.stdout, format).not.toMatch(UNSAFE);
      }
      expect(run.stdout).not.toMatch(UNSAFE);
      expect(run.stderr).not.toMatch(UNSAFE);
    });
  });
});
