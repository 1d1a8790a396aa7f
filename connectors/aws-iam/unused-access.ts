import type { PrivilegeUsage, RawPage, RawPages, UsageItem } from '../../src/sdk/index.js';
import { SeenItems } from './listing.js';
import { instant } from './normalize.js';

/**
 * IAM Access Analyzer's unused-access findings, as the usage facts the unused-privilege control judges: an unused
 * role, key or password, and the services or actions a principal was granted but did not use within the
 * analyzer's tracking period (`unusedAccessAge`).
 */

export const UNUSED_ACCESS_ANALYZER_TYPES = ['ACCOUNT_UNUSED_ACCESS', 'ORGANIZATION_UNUSED_ACCESS'] as const;
export const UNUSED_FINDING_TYPES = ['UnusedIAMRole', 'UnusedIAMUserAccessKey', 'UnusedIAMUserPassword', 'UnusedPermission'];
/** Access Analyzer's default tracking period, when the analyzer does not say. */
const DEFAULT_UNUSED_ACCESS_AGE = 90;
export const ACCESS_ANALYZER_SOURCE = 'access-analyzer';

type DateLike = Date | string;

export interface AnalyzerLike {
  arn?: string;
  name?: string;
  type?: string;
  status?: string;
  configuration?: { unusedAccess?: { unusedAccessAge?: number } };
}

export interface FindingDetailLike {
  unusedPermissionDetails?: { serviceNamespace?: string; actions?: { action?: string; lastAccessed?: DateLike }[]; lastAccessed?: DateLike };
  unusedIamRoleDetails?: { lastAccessed?: DateLike };
  unusedIamUserAccessKeyDetails?: { accessKeyId?: string; lastAccessed?: DateLike };
  unusedIamUserPasswordDetails?: { lastAccessed?: DateLike };
}

export interface UnusedAccessFindingLike {
  id?: string;
  findingType?: string;
  resource?: string;
  findingDetails?: FindingDetailLike[];
}

/** What an account's unused-access analyzer said: the analyzer and its active findings about the account's principals. */
export interface UnusedAccess {
  analyzer: { arn: string; type: string; unusedAccessAge: number };
  findings: UnusedAccessFindingLike[];
}

/** The analyzer to read: an active unused-access one, the account's own before the organization's, then by name. */
export function unusedAccessAnalyzer(analyzers: readonly AnalyzerLike[]): UnusedAccess['analyzer'] | undefined {
  const rank = (type: string | undefined) => UNUSED_ACCESS_ANALYZER_TYPES.indexOf(type as (typeof UNUSED_ACCESS_ANALYZER_TYPES)[number]);
  const [chosen] = analyzers
    .filter((analyzer) => analyzer.arn && analyzer.status === 'ACTIVE' && rank(analyzer.type) >= 0)
    .sort((a, b) => rank(a.type) - rank(b.type) || (a.name ?? '').localeCompare(b.name ?? ''));
  if (!chosen?.arn || !chosen.type) return undefined;
  return { arn: chosen.arn, type: chosen.type, unusedAccessAge: chosen.configuration?.unusedAccess?.unusedAccessAge ?? DEFAULT_UNUSED_ACCESS_AGE };
}

/** A date the finding gives; without one, unused within the tracking period and no more is known. */
function lastAccessed(value: DateLike | undefined, otherwise: UsageItem['lastUsed']): UsageItem['lastUsed'] {
  const at = instant(value);
  return at ? { at } : otherwise;
}

function itemsOf(finding: UnusedAccessFindingLike, resource: string): UsageItem[] {
  return (finding.findingDetails ?? []).flatMap((detail): UsageItem[] => {
    if (detail.unusedIamRoleDetails) {
      return [{ kind: 'role', name: resource.split('/').at(-1) ?? resource, lastUsed: lastAccessed(detail.unusedIamRoleDetails.lastAccessed, 'never') }];
    }
    if (detail.unusedIamUserAccessKeyDetails) {
      const key = detail.unusedIamUserAccessKeyDetails;
      return [{ kind: 'credential', name: key.accessKeyId ?? 'access key', lastUsed: lastAccessed(key.lastAccessed, 'never') }];
    }
    if (detail.unusedIamUserPasswordDetails) {
      return [{ kind: 'credential', name: 'console password', lastUsed: lastAccessed(detail.unusedIamUserPasswordDetails.lastAccessed, 'never') }];
    }
    const permission = detail.unusedPermissionDetails;
    if (!permission?.serviceNamespace) return [];
    const namespace = permission.serviceNamespace;
    // Services with action-level tracking name the unused actions; the others are unused as a whole.
    if (permission.actions && permission.actions.length > 0) {
      return permission.actions.map((action) => ({ kind: 'action' as const, name: `${namespace}:${action.action ?? '*'}`, lastUsed: lastAccessed(action.lastAccessed, 'unknown') }));
    }
    return [{ kind: 'service', name: namespace, lastUsed: lastAccessed(permission.lastAccessed, 'unknown') }];
  });
}

/** One principal's usage facts: what the analyzer found unused of it, nothing when it found nothing. */
export function usageOf(unusedAccess: UnusedAccess, principalArn: string): PrivilegeUsage {
  const items = unusedAccess.findings.filter((finding) => finding.resource === principalArn).flatMap((finding) => itemsOf(finding, principalArn));
  items.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  return { source: ACCESS_ANALYZER_SOURCE, observedDays: unusedAccess.analyzer.unusedAccessAge, items };
}

/** What tells a finding's details apart (they carry no id): a page that repeats one has led back to a page already read. */
export function detailKey(detail: FindingDetailLike): string {
  const permission = detail.unusedPermissionDetails;
  if (permission) return `permission ${permission.serviceNamespace ?? ''}`;
  if (detail.unusedIamUserAccessKeyDetails) return `key ${detail.unusedIamUserAccessKeyDetails.accessKeyId ?? ''}`;
  return Object.keys(detail).sort().join(' ');
}

const finished = (pages: readonly RawPage[]) => pages.length > 0 && !(pages.at(-1)!.body as { nextToken?: string }).nextToken;

function repeats(pages: readonly RawPage[], ids: (body: Record<string, unknown>) => string[]): boolean {
  const seen = new SeenItems(pages[0]?.operation ?? '');
  try {
    for (const page of pages) seen.add(ids(page.body as Record<string, unknown>));
  } catch {
    return true;
  }
  return false;
}

/**
 * An account's unused access from a pack's raw pages, as the collection read it: undefined when no analyzer was
 * found or any listing stopped partway (the collection then gave the account no usage data).
 */
export async function unusedAccessFromRaw(raw: RawPages, accountId: string): Promise<UnusedAccess | undefined> {
  const listed = await raw.pages(accountId, 'ListAnalyzers');
  if (!finished(listed)) return undefined;
  const analyzer = unusedAccessAnalyzer(listed.flatMap((page) => (page.body as { analyzers?: AnalyzerLike[] }).analyzers ?? []));
  if (!analyzer) return undefined;
  const findingPages = await raw.pages(accountId, 'ListFindingsV2');
  const findingIds = (body: Record<string, unknown>) => ((body.findings ?? []) as { id?: string }[]).map((finding) => finding.id ?? '');
  if (!finished(findingPages) || repeats(findingPages, findingIds)) return undefined;
  const detailPages = await raw.pages(accountId, 'GetFindingV2');
  const findings: UnusedAccessFindingLike[] = [];
  for (const id of findingPages.flatMap((page) => findingIds(page.body as Record<string, unknown>))) {
    const pages = detailPages.filter((page) => page.parameters.id === id);
    const keys = (body: Record<string, unknown>) => ((body.findingDetails ?? []) as FindingDetailLike[]).map(detailKey);
    if (!finished(pages) || repeats(pages, keys)) return undefined;
    const [first] = pages as [RawPage];
    findings.push({ ...(first.body as UnusedAccessFindingLike), findingDetails: pages.flatMap((page) => (page.body as UnusedAccessFindingLike).findingDetails ?? []) });
  }
  return { analyzer, findings };
}
