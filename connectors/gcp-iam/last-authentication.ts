import type { LastUsed } from '../../src/sdk/index.js';
import type { Activity } from './rest.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Activity Analyzer reports the *day* of the last authentication, counted in US Pacific Standard Time
 * (UTC-8) all year, written as that day's Pacific midnight: 08:00Z, or 07:00Z while daylight time is in
 * effect. Taken at face value, a 07:00Z stamp lands an hour before the PST day it names. The day is
 * recovered as the UTC-7 calendar date (right for both stamps, and for an explicit -08:00 offset), and
 * reported as the day's first instant, 08:00Z: the earliest the authentication can have happened.
 */
export function pacificDayStart(stamp: string): string | undefined {
  const instant = Date.parse(stamp);
  if (Number.isNaN(instant)) return undefined;
  const day = Math.floor((instant - 7 * HOUR) / DAY);
  return new Date(day * DAY + 8 * HOUR).toISOString();
}

/** What Activity Analyzer watched for one activity type in one project. */
export interface Coverage {
  /** Earliest observation start seen; unset when the analyzer did not say. */
  start?: number;
  end?: number;
}

/** Coverage from the records returned; undefined when none carried an observation period. */
export function coverageOf(activities: readonly Activity[]): Coverage | undefined {
  const starts = activities.map((a) => Date.parse(a.observationPeriod?.startTime ?? '')).filter((t) => !Number.isNaN(t));
  const ends = activities.map((a) => Date.parse(a.observationPeriod?.endTime ?? '')).filter((t) => !Number.isNaN(t));
  if (starts.length === 0 && ends.length === 0) return undefined;
  return {
    ...(starts.length > 0 ? { start: Math.min(...starts) } : {}),
    ...(ends.length > 0 ? { end: Math.max(...ends) } : {}),
  };
}

/**
 * Last use of a service account or key. "never" needs the analyzer to have watched the item's whole life
 * and seen nothing; an item older than the observation window was not used *since* its start; no record
 * and no window (analyzer disabled, denied, or silent) is "unknown".
 */
export function lastUseOf(
  activity: Activity | undefined,
  coverage: Coverage | undefined,
  createdAt: string | null,
): LastUsed {
  const stamp = activity?.activity?.lastAuthenticatedTime;
  const at = typeof stamp === 'string' ? pacificDayStart(stamp) : undefined;
  if (at) return { at };
  if (coverage?.start === undefined) return 'unknown';
  const created = createdAt === null ? undefined : Date.parse(createdAt);
  // Created after the analyzer's last observed day: too recent for its data to say anything.
  if (created !== undefined && coverage.end !== undefined && created > coverage.end) return 'unknown';
  if (created !== undefined && created >= coverage.start) return 'never';
  return { notSince: new Date(coverage.start).toISOString() };
}
