import type { ScopeRecorder } from '../../src/sdk/index.js';
import type { CredentialReportRow } from './credential-report.js';
import type { AccountSnapshot } from './normalize.js';

const ROOT_ROW = '<root_account>';

function activeSlots(row: CredentialReportRow): number {
  return row.accessKeys.filter((slot) => slot.active).length;
}

/**
 * The credential report counts users and active keys independently of GAAD and ListAccessKeys: every user in it
 * must be in the listing, and every active key it shows must be among the keys listed for its user. The report
 * has no key ids, so keys are counted per user.
 */
export function reconcileWithReport(recorder: ScopeRecorder, snapshot: AccountSnapshot, options: { keys: boolean } = { keys: true }): void {
  const rows = snapshot.credentialReport?.filter((row) => row.user !== ROOT_ROW);
  if (!rows) return;
  recorder.reconcile('credential report users = users in GAAD', rows.length, snapshot.users.length);
  if (!options.keys) return;
  let expected = 0;
  let observed = 0;
  for (const row of rows) {
    const active = activeSlots(row);
    const listed = (snapshot.accessKeys[row.user] ?? []).filter((key) => key.Status === 'Active').length;
    expected += active;
    observed += Math.min(active, listed);
  }
  recorder.reconcile('active access keys in the credential report = active keys listed for their users', expected, observed);
}
