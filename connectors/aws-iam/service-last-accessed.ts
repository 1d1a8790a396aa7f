import type { PrivilegeUsage, RawPage, RawPages } from '../../src/sdk/index.js';
import { SeenItems } from './listing.js';
import { instant } from './normalize.js';

/**
 * IAM's service last accessed data (GenerateServiceLastAccessedDetails / GetServiceLastAccessedDetails), the
 * opt-in source of usage facts for an account without an unused-access analyzer: each service a principal's
 * policies allow, with its last authenticated use over IAM's tracking period.
 */

export const SERVICE_LAST_ACCESSED_SOURCE = 'service-last-accessed';
/** IAM reports service last accessed data over the last 400 days. */
const TRACKING_DAYS = 400;
const DAY_MS = 86_400_000;

export interface ServiceLastAccessedRow {
  ServiceNamespace?: string;
  LastAuthenticated?: Date | string;
}

/** Each principal's services, by ARN; a principal whose report was not read whole is absent. */
export type ServiceLastAccessed = Record<string, ServiceLastAccessedRow[]>;

export function serviceUsage(rows: readonly ServiceLastAccessedRow[], now: Date): PrivilegeUsage {
  const horizon = new Date(now.getTime() - TRACKING_DAYS * DAY_MS).toISOString();
  const items = rows
    .filter((row) => row.ServiceNamespace)
    .map((row) => {
      const at = instant(row.LastAuthenticated);
      return { kind: 'service' as const, name: row.ServiceNamespace!, lastUsed: at ? { at } : { notSince: horizon } };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { source: SERVICE_LAST_ACCESSED_SOURCE, observedDays: TRACKING_DAYS, items };
}

export const namespaces = (rows: readonly ServiceLastAccessedRow[]) => rows.map((row) => row.ServiceNamespace ?? '');

/** The reports a pack's raw pages hold, as the collection read them: only principals whose report ended and repeated nothing. */
export async function serviceLastAccessedFromRaw(raw: RawPages, accountId: string): Promise<ServiceLastAccessed | undefined> {
  const pages = await raw.pages(accountId, 'GetServiceLastAccessedDetails');
  if (pages.length === 0) return undefined;
  const byArn = new Map<string, RawPage[]>();
  for (const page of pages) byArn.set(String(page.parameters.Arn), [...(byArn.get(String(page.parameters.Arn)) ?? []), page]);
  const reports: ServiceLastAccessed = {};
  for (const [arn, kept] of byArn) {
    const last = kept.at(-1)!.body as { IsTruncated?: boolean; Marker?: string };
    if (last.IsTruncated || last.Marker) continue;
    const seen = new SeenItems('GetServiceLastAccessedDetails');
    try {
      for (const page of kept) seen.add(namespaces((page.body as { ServicesLastAccessed?: ServiceLastAccessedRow[] }).ServicesLastAccessed ?? []));
    } catch {
      continue;
    }
    reports[arn] = kept.flatMap((page) => (page.body as { ServicesLastAccessed?: ServiceLastAccessedRow[] }).ServicesLastAccessed ?? []);
  }
  return reports;
}
