import type { Control } from '../sdk/index.js';
import credentialRotated from './credential-rotated.js';
import credentialUnused from './credential-unused.js';
import noAdminPrivilege from './no-admin-privilege.js';
import ownerAssigned from './owner-assigned.js';

/** Every control, sorted by id. Adding a control is one import and one line here. */
export const controls: readonly Control[] = [credentialRotated, credentialUnused, noAdminPrivilege, ownerAssigned];
