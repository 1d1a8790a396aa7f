/** An audit cycle: a fiscal quarter, named `2026-Q4` (calendar year) or `FY2027-Q1` (fiscal year named by its end). */
export interface Cycle {
  id: string;
  /** First and last day of the period, inclusive (UTC dates). */
  start: string;
  end: string;
}

const CALENDAR = /^(\d{4})-Q([1-4])$/;
const FISCAL = /^FY(\d{4})-Q([1-4])$/;

function isoDate(year: number, monthIndex: number, day: number): string {
  return new Date(Date.UTC(year, monthIndex, day)).toISOString().slice(0, 10);
}

/** Quarter `q` of fiscal year `fy` (named by the calendar year it ends in) when the year starts in `startMonth` (1-12). */
function quarterPeriod(fy: number, q: number, startMonth: number): { start: string; end: string } {
  const firstYear = startMonth === 1 ? fy : fy - 1;
  const startMonthIndex = startMonth - 1 + (q - 1) * 3;
  return {
    start: isoDate(firstYear, startMonthIndex, 1),
    end: isoDate(firstYear, startMonthIndex + 3, 0),
  };
}

export function parseCycle(id: string, fiscalYearStartMonth = 1): Cycle | undefined {
  const calendar = CALENDAR.exec(id);
  if (calendar) return { id, ...quarterPeriod(Number(calendar[1]), Number(calendar[2]), 1) };
  const fiscal = FISCAL.exec(id);
  if (fiscal) return { id, ...quarterPeriod(Number(fiscal[1]), Number(fiscal[2]), fiscalYearStartMonth) };
  return undefined;
}

/** The cycle an as-of instant falls in. */
export function cycleOf(asOf: Date, fiscalYearStartMonth = 1): Cycle {
  const month = asOf.getUTCMonth();
  const year = asOf.getUTCFullYear();
  if (fiscalYearStartMonth === 1) {
    return parseCycle(`${year}-Q${Math.floor(month / 3) + 1}`)!;
  }
  const offset = (month - (fiscalYearStartMonth - 1) + 12) % 12;
  const fy = month >= fiscalYearStartMonth - 1 ? year + 1 : year;
  return parseCycle(`FY${fy}-Q${Math.floor(offset / 3) + 1}`, fiscalYearStartMonth)!;
}
