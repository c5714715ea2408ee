import type * as A from 'apache-arrow';
import { type Cell, cellReader, cellWriter } from '../../data/cells.ts';
import type { DataType } from '../../data/types.ts';
import { DataError } from '../../errors.ts';
import type { Arg } from './scalar-function.ts';
import { type DateTimePattern, PatternError, compilePattern, patternOf } from './datetime-pattern.ts';

/**
 * What the date and time functions share: a row-wise map over their few arguments (the work per
 * row is calendar arithmetic, not memory traffic) and the handling of a format argument.
 */

/** `n` rows of `out`: null where any argument is null, else f(the arguments' values). */
export function mapRows(cols: readonly A.Data[], types: readonly DataType[], out: DataType, n: number, f: (v: Cell[]) => Cell): A.Data {
  const read = cols.map((d, k) => cellReader(d, types[k]!)), w = cellWriter(out, n), vals: Cell[] = new Array<Cell>(cols.length);
  outer: for (let i = 0; i < n; i++) {
    for (let k = 0; k < read.length; k++) { const v = read[k]!(i); if (v === null) { w.push(null); continue outer; } vals[k] = v; }
    w.push(f(vals));
  }
  return w.finish();
}

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

export const DAY_MS = 86_400_000;
