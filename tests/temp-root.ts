import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Every test's temporary folders, and those of the CLI processes the tests start, go under one folder of this run
 * (TMPDIR, which os.tmpdir() reads), removed when the run ends: a test that fails before its own clean-up, or a
 * process it kills, leaves nothing behind in the machine's /tmp.
 */
export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'nhi-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
