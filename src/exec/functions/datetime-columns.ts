import type { Cell } from '../../data/cells.ts';
import { DataError } from '../../errors.ts';
import type { Arg } from './scalar-function.ts';
import { type DateTimePattern, PatternError, compilePattern, patternOf } from './datetime-pattern.ts';

/** What the date and time functions share: the handling of a format argument. */

/**
 * A format argument: compiled when the query is analysed if it is a literal (a bad pattern is then
 * an analysis error naming the letter), else per distinct value as rows come (a bad one fails the batch).
 */
export type PatternArg = { readonly fixed: DateTimePattern } | { readonly perRow: true; readonly forParsing: boolean };

export function patternArg(fn: string, a: Arg, forParsing = false): PatternArg | string {
  if (!a.constant) return { perRow: true, forParsing };
  // A null format makes every row null (mapRows), as in Spark.
  if (a.constant.value === null) return { perRow: true, forParsing };
  if (typeof a.constant.value !== 'string') return `${fn}: the format '${a.name}' must be a string`;
  try { return { fixed: compilePattern(a.constant.value, forParsing) }; } catch (e) {
    if (e instanceof PatternError) return `${fn}: ${e.message}`;
    throw e;
  }
}

/** The pattern for one row: the literal's, or this row's format value compiled (cached). */
export function patternFor(fn: string, p: PatternArg, value: Cell): DateTimePattern {
  if ('fixed' in p) return p.fixed;
  try { return patternOf(value as string, p.forParsing); } catch (e) {
    if (e instanceof PatternError) throw new DataError(`${fn}: ${e.message}`);
    throw e;
  }
}

export { DAY_MS } from './datetime-pattern.ts';
