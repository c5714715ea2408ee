import { AnalysisError } from '../errors.ts';
import { parseInterval } from './interval.ts';

const invalid = (v: string, why: string): AnalysisError => new AnalysisError(
  `withWatermark delay '${v}' is not an interval (${why}); write it like '10 minutes', '1 day 2 hours', `
  + `'2 years 5 months', "interval '5' hour", "interval '1 2:3:4' day to second" or "interval '1-2' year to month".`);

const MS_PER_DAY = 86_400_000;
/** Spark turns a delay's months into time at 31 days each (EventTimeWatermark.getDelayMs): never too short. */
const DAYS_PER_MONTH = 31;

/**
 * Spark's withWatermark delay (IntervalUtils.fromIntervalString, SPARK-35815): an interval string
 * ('10 minutes', '2 years 5 months'), the same after the keyword `interval` (any case, values may
 * be quoted), or an ANSI literal ("interval '1 2:3:4' day to second", "interval '1-2' year to
 * month"). Months count 31 days. A negative total is refused with Spark's words. A number, or a
 * string of digits, is milliseconds (sluice's own form, kept for old queries).
 */
export function parseWatermarkDelay(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalid(String(v), 'not a finite number of milliseconds');
    if (v < 0) throw new AnalysisError(`delay threshold (${v}) should not be negative.`);
    return v;
  }
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const i = parseInterval(s, (why) => { throw invalid(v, why); });
  const ms = (i.months * DAYS_PER_MONTH + i.days) * MS_PER_DAY + i.ms;
  if (ms < 0) throw new AnalysisError(`delay threshold (${v}) should not be negative.`);
  return ms;
}
