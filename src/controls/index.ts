import type { Control } from '../sdk/index.js';
import approvalRecorded from './approval-recorded.js';
import breakGlassTimeBounded from './break-glass-time-bounded.js';
import ciSecretRotated from './ci-secret-rotated.js';
import ciTrustRestricted from './ci-trust-restricted.js';
import credentialExpirySet from './credential-expiry-set.js';
import credentialRotated from './credential-rotated.js';
import credentialUnused from './credential-unused.js';
import deployKeyReadOnly from './deploy-key-read-only.js';
import noAdminPrivilege from './no-admin-privilege.js';
import noHumanUse from './no-human-use.js';
import noPrivilegeEscalation from './no-privilege-escalation.js';
import ownerActive from './owner-active.js';
import ownerAssigned from './owner-assigned.js';
import privilegedAccessApproved from './privileged-access-approved.js';
import recertificationCompleted from './recertification-completed.js';
import revocationExecuted from './revocation-executed.js';
import singleActiveKey from './single-active-key.js';
import sodConflict from './sod-conflict.js';
import thirdPartyAppLeastPrivilege from './third-party-app-least-privilege.js';
import unusedPrivilege from './unused-privilege.js';

/** Every control, sorted by id. Adding a control is one import and one line here. */
export const controls: readonly Control[] = [
  approvalRecorded,
  breakGlassTimeBounded,
  ciSecretRotated,
  ciTrustRestricted,
  credentialExpirySet,
  credentialRotated,
  credentialUnused,
  deployKeyReadOnly,
  noAdminPrivilege,
  noHumanUse,
  noPrivilegeEscalation,
  ownerActive,
  ownerAssigned,
  privilegedAccessApproved,
  recertificationCompleted,
  revocationExecuted,
  singleActiveKey,
  sodConflict,
  thirdPartyAppLeastPrivilege,
  unusedPrivilege,
];
