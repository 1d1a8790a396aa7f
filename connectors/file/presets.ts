import type { Classification, IdentityKind } from '../../src/sdk/index.js';
import type { Columns, DateColumn, DateFormat, Rule } from './config.js';

/**
 * Known reports, mapped: which column holds which fact, what a system's codes mean, and which of its standard roles
 * or scopes give administrator access. A source's own `columns` and `rules` come first; each field of `columns`
 * replaces the preset's field of that name whole.
 */
export interface Preset {
  /** The report or table the preset expects, as the README documents it. */
  export: string;
  kind: IdentityKind;
  dateFormat: DateFormat;
  /** The classification when no column gives one. */
  classification?: Classification;
  columns: Columns;
  related: { entitlements?: { identity: string; value: string; validTo?: DateColumn }; usedBy?: { identity: string; value: string; type: string } };
  rules: Rule[];
}

export const PRESET_IDS = ['netsuite', 'salesforce-connected-apps', 'salesforce-users', 'sap'] as const;
export type PresetId = (typeof PRESET_IDS)[number];

const admin = (match: string, note: string): Rule => ({ match, level: 'admin', flags: ['admin'], note });

export const PRESETS: Record<PresetId, Preset> = {
  /*
   * SAP ABAP users: table USR02 (SE16N, or SUIM RSUSR002 with the technical field names), with role assignments
   * from AGR_USERS and batch job steps from TBTCP as related exports. User types (USTYP): A dialog, B system,
   * C communication, L reference, S service. Lock flag (UFLAG) 0 is unlocked; 32, 64, 128 and sums are locks.
   */
  sap: {
    export: 'USR02 (BNAME, USTYP, UFLAG, ERDAT, TRDAT, LTIME, GLTGB, PWDCHGDATE); related AGR_USERS (UNAME, AGR_NAME, TO_DAT) and TBTCP (JOBNAME, AUTHCKNAM)',
    kind: 'service-account',
    dateFormat: 'yyyymmdd',
    columns: {
      id: 'BNAME',
      name: 'BNAME',
      classification: { column: 'USTYP', values: { A: 'human', B: 'machine', C: 'machine', S: 'machine', L: 'unknown' } },
      // Dialog and service users can log on with SAP GUI; system and communication users cannot.
      interactive: { column: 'USTYP', values: { A: true, S: true, B: false, C: false, L: false }, method: 'SAP GUI dialog logon' },
      status: { column: 'UFLAG', values: { '0': 'active', '*': 'disabled' } },
      created: 'ERDAT',
      lastUsed: { date: 'TRDAT', time: 'LTIME' },
      expires: 'GLTGB',
      credential: { type: 'secret', label: 'password', created: 'ERDAT', rotated: 'PWDCHGDATE', lastUsed: { date: 'TRDAT', time: 'LTIME' } },
    },
    related: {
      entitlements: { identity: 'UNAME', value: 'AGR_NAME', validTo: 'TO_DAT' },
      usedBy: { identity: 'AUTHCKNAM', value: 'JOBNAME', type: 'batch job' },
    },
    rules: [
      admin('SAP_ALL', 'profile SAP_ALL: every authorization in the system'),
      admin('SAP_NEW', 'profile SAP_NEW: every authorization added by upgrades'),
      admin('SAP_BC_BASIS_ADMIN', 'system administration'),
      { match: 'SAP_BC_USER_ADMIN', level: 'write', flags: ['iam-write', 'credential-creation'], note: 'creates users and sets their passwords (SU01)' },
      { match: 'SAP_BC_AUTH_PROFILE_ADMIN', level: 'write', flags: ['iam-write', 'privilege-escalation'], note: 'maintains roles and profiles (PFCG)' },
    ],
  },

  /*
   * NetSuite access tokens (Setup > Users/Roles > Access Tokens, as a saved search): each token ties an integration
   * record to a user and a role. A role flagged "Web Services Only" cannot sign in to the UI.
   */
  netsuite: {
    export: 'access tokens saved search (Internal ID, Token Name, Application Name, User, Role, Web Services Only Role, Date Created, Inactive)',
    kind: 'token',
    dateFormat: 'm/d/yyyy',
    classification: { value: 'machine', reason: 'an access token of an integration record' },
    columns: {
      id: 'Internal ID',
      name: 'Token Name',
      interactive: { column: 'Web Services Only Role', values: { Yes: false, T: false, No: true, F: true }, method: "NetSuite UI login with the token's role" },
      status: { column: 'Inactive', values: { No: 'active', F: 'active', Yes: 'disabled', T: 'disabled' } },
      owner: 'User',
      created: 'Date Created',
      entitlements: { column: 'Role', via: 'binding' },
      credential: { type: 'token', id: 'Token Name', label: 'token', created: 'Date Created' },
    },
    related: {},
    rules: [admin('Administrator', 'NetSuite Administrator role'), admin('Full Access', 'the Full Access role')],
  },

  /*
   * Salesforce users, as Data Loader exports SELECT Id, Username, Name, UserType, Profile.Name,
   * Profile.UserLicense.Name, IsActive, CreatedDate, LastLoginDate FROM User; permission set assignments
   * (AssigneeId, PermissionSet.Name) as a related export. Integration users hold the Salesforce Integration license.
   */
  'salesforce-users': {
    export: 'User (ID, USERNAME, PROFILE.NAME, PROFILE.USERLICENSE.NAME, ISACTIVE, CREATEDDATE, LASTLOGINDATE); related PermissionSetAssignment (ASSIGNEEID, PERMISSIONSET.NAME)',
    kind: 'service-account',
    dateFormat: 'iso',
    columns: {
      id: 'ID',
      name: 'USERNAME',
      classification: { column: 'PROFILE.USERLICENSE.NAME', values: { 'Salesforce Integration': 'machine', '*': 'human' } },
      interactive: { column: 'PROFILE.USERLICENSE.NAME', values: { 'Salesforce Integration': false, '*': true }, method: 'Salesforce login' },
      status: { column: 'ISACTIVE', values: { true: 'active', TRUE: 'active', false: 'disabled', FALSE: 'disabled' } },
      created: 'CREATEDDATE',
      lastUsed: 'LASTLOGINDATE',
      entitlements: { column: 'PROFILE.NAME', via: 'binding' },
    },
    related: { entitlements: { identity: 'ASSIGNEEID', value: 'PERMISSIONSET.NAME' } },
    rules: [
      admin('System Administrator', 'the System Administrator profile: Modify All Data'),
      admin('*Modify_All_Data*', 'a permission set granting Modify All Data'),
      { match: 'Minimum Access - API Only Integrations', level: 'read', flags: [], note: 'API only, no object access until granted' },
    ],
  },

  /*
   * Salesforce connected apps (OAuth clients) as JSON: their metadata's OAuth scopes (oauthConfig.scopes: Full, Api,
   * RefreshToken, ...), contact email, and the OAuth usage report's last use.
   */
  'salesforce-connected-apps': {
    export: 'connected apps as JSON records (Id, Name, ContactEmail, CreatedDate, OauthScopes, LastUsedDate)',
    kind: 'app',
    dateFormat: 'iso',
    classification: { value: 'machine', reason: 'a connected app: an OAuth client' },
    columns: {
      id: 'Id',
      name: 'Name',
      owner: 'ContactEmail',
      created: 'CreatedDate',
      lastUsed: 'LastUsedDate',
      entitlements: { column: 'OauthScopes', separator: ';', via: 'scope' },
    },
    related: {},
    rules: [
      admin('Full', 'OAuth scope full: everything the authorizing user can do'),
      { match: 'Api', level: 'write', flags: [], note: 'OAuth scope api: the REST and SOAP APIs as the user' },
      { match: 'Web', level: 'write', flags: [], note: 'OAuth scope web: the web UI as the user' },
      { match: 'RefreshToken', level: 'none', flags: [], note: 'OAuth scope refresh_token: access that outlives the session' },
      { match: 'OfflineAccess', level: 'none', flags: [], note: 'OAuth scope offline_access: access that outlives the session' },
      ...['Basic', 'OpenID', 'Profile', 'Email', 'Address', 'Phone'].map((match): Rule => ({ match, level: 'read', flags: [], note: 'identity data of the user' })),
    ],
  },
};
