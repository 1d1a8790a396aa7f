import type { Control } from '../sdk/index.js';
import ciSecretRotated from './ci-secret-rotated.js';
import credentialRotated from './credential-rotated.js';
import credentialUnused from './credential-unused.js';
import deployKeyReadOnly from './deploy-key-read-only.js';
import noAdminPrivilege from './no-admin-privilege.js';
import ownerAssigned from './owner-assigned.js';

/** Every control, sorted by id. Adding a control is one import and one line here. */
export const controls: readonly Control[] = [
  ciSecretRotated,
  credentialRotated,
  credentialUnused,
  deployKeyReadOnly,
  noAdminPrivilege,
  ownerAssigned,
];
