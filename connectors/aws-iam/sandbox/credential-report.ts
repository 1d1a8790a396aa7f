import { parseAwsDate, type AccessKeyData } from './dataset.js';
import type { AccountView } from './view.js';

/** The 22 columns of IAM's credential report, in AWS's order. */
export const CREDENTIAL_REPORT_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
] as const;

/** The report's timestamp form, e.g. `2014-09-01T22:28:48+00:00`. */
function reportTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function reportDate(value: string): string {
  return reportTime(parseAwsDate(value));
}

/** One key slot: `N/A` wherever there is no key or no recorded use (including use before 2015-04-22). */
function keySlot(key: AccessKeyData | undefined): string[] {
  if (!key) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
  const used = key.LastUsedDate;
  return [
    String(key.Status === 'Active'),
    reportDate(key.CreateDate),
    used ? reportDate(used) : 'N/A',
    (used && key.LastUsedRegion) || 'N/A',
    (used && key.LastUsedService) || 'N/A',
  ];
}

/** The sandbox stores no signing certificates. */
const NO_CERTIFICATES = ['false', 'N/A', 'false', 'N/A'];

function keySlots(keys: readonly AccessKeyData[]): string[] {
  return [...keySlot(keys[0]), ...keySlot(keys[1])];
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function credentialReportCsv(view: AccountView): string {
  const root = view.root;
  const rows: string[][] = [
    [
      '<root_account>',
      `arn:aws:iam::${view.id}:root`,
      reportTime(root.createDate),
      'not_supported',
      root.passwordLastUsed ? reportTime(root.passwordLastUsed) : 'no_information',
      'not_supported',
      'not_supported',
      String(root.mfaActive),
      ...keySlots(root.keys),
      ...NO_CERTIFICATES,
    ],
  ];
  for (const { user, credentials, keys } of view.credentials.values()) {
    const password = credentials?.passwordEnabled ?? false;
    rows.push([
      user.UserName,
      user.Arn,
      reportDate(user.CreateDate),
      String(password),
      !password ? 'N/A' : credentials?.passwordLastUsed ? reportDate(credentials.passwordLastUsed) : 'no_information',
      password ? reportDate(credentials?.passwordLastChanged ?? user.CreateDate) : 'N/A',
      'N/A',
      String(credentials?.mfaActive ?? false),
      ...keySlots(keys),
      ...NO_CERTIFICATES,
    ]);
  }
  return [CREDENTIAL_REPORT_COLUMNS, ...rows].map((row) => row.map(csvField).join(',')).join('\n');
}
